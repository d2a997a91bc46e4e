"""Entities and relations from a spaCy pipeline's parse (English rules).

Mentions come from :mod:`pipeline.extract.english.mentions` (NER spans,
proper-noun runs, numbers and codes, bare noun phrases), pronouns are
resolved within the document (:mod:`~pipeline.extract.english.pronouns`)
and relations are read off the dependency path between neighbouring
mentions (:mod:`~pipeline.extract.english.relations`). The rules use
spaCy's English (ClearNLP) dependency labels.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from pipeline.extract.base import Extraction, Extractor, extractors
from pipeline.extract.english.mentions import find_mentions, has_digit
from pipeline.extract.english.pronouns import (
    Antecedents,
    is_definite_anaphor,
    is_relative_subject,
    is_resolvable,
    relative_antecedent,
)
from pipeline.extract.english.relations import (
    SUBJECT_DEPS,
    Node,
    PathRelations,
    implicit_owner,
    noun_phrase_words,
    ownerless_relational_nouns,
)
from pipeline.extract.models import load_spacy
from pipeline.schema import coarse_type

TRAILING = ".,;:!?"
#: A resolved pronoun is a little less certain than a named mention.
PRONOUN_FACTOR = 0.9
#: Links to the sentence subject that no path rule made.
TOPIC_CONFIDENCE = 0.4
NUMERIC_DATE = re.compile(r"^\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}$")
NUMERIC_NER = {"DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT"}


def mention_label(span) -> str:
    """Coarse entity type of a mention span."""
    text = span.text.strip(TRAILING)
    if not any(ch.isalpha() for ch in text):  # "07/23/1927" is a value whatever NER calls it
        dated = span.root.ent_type_ in ("DATE", "TIME") or (len(text) == 4 and text.isdigit())
        return "DATE" if dated or NUMERIC_DATE.match(text) else "QUANTITY"
    # A number inside a name ("1 Decembrie 1918 University") does not make the name a value.
    ent = span.root.ent_type_ or next((t.ent_type_ for t in span if t.ent_type_ and t.ent_type_ not in NUMERIC_NER), "")
    if ent in NUMERIC_NER and span.root.pos_ == "PROPN" and any(ch.isalpha() for ch in span.root.text):
        return "THING"  # "3Arena", "200 Public Square": a name NER took for a number
    if ent:
        return coarse_type(ent)
    if has_digit(span.root.text):
        return "QUANTITY"
    return "THING"


@extractors.register("spacy")
class SpacyExtractor(Extractor):
    """Dependency-path extraction over a spaCy pipeline."""

    name = "spacy"

    def __init__(self, lang: str = "en", models: list[str] | tuple[str, ...] = (), batch_size: int = 32,
                 noun_phrases: bool = True, relations: bool = True, **_: object) -> None:
        self.lang = lang
        self.nlp = load_spacy(lang, tuple(models))
        self.batch_size = batch_size
        self.noun_phrases = noun_phrases
        #: False: sentences and typed mentions only (the learned extractor relates them itself).
        self.relations = relations

    def extract(self, documents: Iterable[dict]) -> Iterable[Extraction]:
        pairs = ((d["text"], d["doc_id"]) for d in documents)
        for doc, doc_id in self.nlp.pipe(pairs, as_tuples=True, batch_size=self.batch_size):
            yield self.extract_doc(doc, doc_id)

    def extract_doc(self, doc, doc_id: str) -> Extraction:
        out = Extraction(doc_id)
        antecedents = Antecedents()
        for index, sent in enumerate(doc.sents):
            out.sentences.append((sent.start_char, sent.end_char))
            nodes = []
            for span in find_mentions(sent, noun_phrases=self.noun_phrases):
                node = self._mention(out, index, span)
                if node is not None:
                    nodes.append(node)
            if not self.relations:
                continue
            nodes += self._pronouns(sent, nodes, antecedents)
            nodes += self._implicit_owners(sent, nodes, antecedents)
            best: dict = {}
            for rel in PathRelations(nodes).relations():
                pair = frozenset((rel.subject.key, rel.object.key))
                if len(pair) == 2 and (pair not in best or rel.confidence > best[pair].confidence):
                    best[pair] = rel
            for rel in self._topic_links(nodes, best, sent):
                best[frozenset((rel.subject.key, rel.object.key))] = rel
            for rel in best.values():
                resolved = rel.subject.stand_in or rel.object.stand_in
                confidence = rel.confidence * (PRONOUN_FACTOR if resolved else 1.0)
                out.add_relation(subject=rel.subject.key, predicate=rel.predicate, obj=rel.object.key,
                                 sentence=index, start=sent.start_char, end=sent.end_char, extractor=self.name,
                                 confidence=round(confidence, 3))
            for node in nodes:
                if not node.stand_in:
                    antecedents.note(node.key, node.label, _is_main_subject(node.root, sent),
                                     " ".join(doc[i].text for i in sorted(node.tokens)))
        return out

    def _mention(self, out: Extraction, sentence: int, span) -> Node | None:
        text = span.text.rstrip(TRAILING).rstrip()
        if not text:
            return None
        label = mention_label(span)
        key = out.add_mention(sentence=sentence, start=span.start_char, end=span.start_char + len(text), text=text,
                              label=label, lang=self.lang, extractor=self.name,
                              confidence=0.9 if span.root.ent_type_ else 0.7)
        return Node(key=key, tokens=frozenset(t.i for t in span), root=_span_root(span), label=label)

    def _topic_links(self, nodes: list[Node], best: dict, sent) -> list:
        """A mention no rule linked is tied, weakly, to the sentence's subject: its likeliest partner."""
        topic = next((n for n in nodes if _is_main_subject(n.root, sent)), None)
        if topic is None:
            return []
        linked = {key for pair in best for key in pair}
        links = []
        for node in nodes:
            if node.key in linked or node.key == topic.key or node.stand_in:
                continue
            rel = PathRelations([topic, node]).relate(topic, node)
            if rel is not None:
                links.append(replace(rel, confidence=min(rel.confidence, TOPIC_CONFIDENCE), pattern="topic"))
        return links

    def _implicit_owners(self, sent, nodes: list[Node], antecedents: Antecedents) -> list[Node]:
        node_at = {i: n for n in nodes for i in n.tokens}
        found = []
        for noun in ownerless_relational_nouns(sent, node_at):
            owner = implicit_owner(noun, node_at)
            if owner is not None:
                key, label = owner.key, owner.label
            else:
                resolved = antecedents.resolve("it")
                if resolved is None:
                    continue
                key, label = resolved
            found.append(Node(key=key, tokens=frozenset([noun.i]), root=noun, label=label,
                              relation=noun_phrase_words(noun), stand_in=True))
        return found

    def _pronouns(self, sent, nodes: list[Node], antecedents: Antecedents) -> list[Node]:
        taken = {i for n in nodes for i in n.tokens}
        subject = next((n for n in nodes if _is_main_subject(n.root, sent)), None)
        resolved = []
        for token in sent:
            if token.i in taken:
                continue
            if is_resolvable(token) and (place := _where_clause_place(token, nodes)) is not None:
                found = (place.key, place.label)  # "Sri Lanka, where they speak Tamil": its people
            elif is_resolvable(token):
                # The sentence's own subject, when it comes first; else the last clause subject before the
                # pronoun ("Aenir has the ISBN …, it was written by …": the parser made Aenir's clause a ccomp).
                near = subject if subject is not None and subject.root.i < token.i else next(
                    (n for n in reversed(nodes)
                     if n.root.i < token.i and not n.stand_in and n.root.dep_ in SUBJECT_DEPS), None)
                found = antecedents.resolve(token.lower_, (near.key, near.label) if near is not None else None)
            elif is_definite_anaphor(token):
                found = antecedents.resolve_noun(token.lemma_)
            elif is_relative_subject(token):
                # The relative clause's subject is the mention it follows, whatever the parser attached it to.
                node = relative_antecedent(token, nodes)
                found = (node.key, node.label) if node is not None else None
            else:
                continue
            if found is not None:
                resolved.append(Node(key=found[0], tokens=frozenset([token.i]), root=token, label=found[1],
                                     stand_in=True))
        return resolved


def _span_root(span):
    """The span's head token; where the parser hangs several tokens outside ("AZAL" as a marker, "PFK"
    as the subject), the one that carries the clause role: a subject, else an object, else spaCy's pick."""
    heads = [t for t in span if not span.start <= t.head.i < span.end or t.head.i == t.i]
    for deps in (SUBJECT_DEPS, {"dobj", "pobj", "attr", "appos"}):
        found = next((t for t in heads if t.dep_ in deps), None)
        if found is not None:
            return found
    return span.root


def _where_clause_place(token, nodes: list[Node]) -> Node | None:
    """For "they" as the subject of a *where* clause: the mention the clause hangs on."""
    verb = token.head
    if token.lower_ != "they" or token.dep_ not in SUBJECT_DEPS:
        return None
    while verb.dep_ == "conj" and verb.head.i != verb.i:
        verb = verb.head
    if verb.dep_ != "relcl" or not any(c.lower_ == "where" for c in verb.children):
        return None
    return next((n for n in nodes if verb.head.i in n.tokens and not n.stand_in), None)


def _is_main_subject(token, sent) -> bool:
    """The subject of the sentence's main verb (or of a verb conjoined with it)."""
    if token.dep_ not in SUBJECT_DEPS:
        return False
    head = token.head
    while head.dep_ == "conj" and head.head.i != head.i:
        head = head.head
    return head.i == sent.root.i
