"""Entity mentions in one sentence: more than NER spans.

A mention is a token span of one of these kinds, merged where they overlap:

* an NER entity (determiners, possessive 's and punctuation trimmed);
* a run of proper nouns, allowing name-internal connectors
  ("University of Dhaka", "San Sebastián de los Reyes", "Madrid–Barajas");
* a number, date or code: any token with a digit ("2702.0", "18L/36R");
* a bare common-noun phrase in an argument slot ("rock music", "test pilot"),
  unless the noun is relational, i.e. it carries the relation itself
  ("the *leader* of Aarhus", "Aarhus's *runway length*").
"""

from __future__ import annotations

from itertools import pairwise

from pipeline.extract.models import sentence_ents

#: Lower-case words that may sit inside a proper-noun run.
CONNECTORS = {"of", "de", "del", "la", "los", "las", "le", "du", "des", "da", "do", "di", "von", "van", "der", "den",
              "-", "–", "&", "'s"}
#: Dependency labels of argument slots a bare common noun may fill.
ARGUMENT_DEPS = {"nsubj", "nsubjpass", "dobj", "pobj", "appos", "conj", "oprd"}
#: Entity labels that are not things to relate.
SKIPPED_ENTS = {"ORDINAL"}
#: Pronoun-like or vague nouns that are never mentions on their own.
VAGUE_NOUNS = {"one", "ones", "part", "kind", "type", "lot", "number", "name", "names", "thing", "way", "time",
               "year", "years", "people", "member", "members", "area", "place"}
#: Words of office titles: capitalised ("the Prime Minister is X") they are still relational nouns, not names.
TITLE_WORDS = {"president", "prime", "minister", "mayor", "governor", "king", "queen", "chancellor", "leader",
               "chairman", "chairperson", "chairwoman", "premier", "monarch", "emperor", "senator", "speaker",
               "ceo", "dean", "chief", "deputy", "vice", "secretary", "general", "head", "rector", "principal"}
#: Prepositions that tie a relational noun to its owner ("leader *of* X", "runway *for* X").
OWNER_PREPS = {"of", "for"}


def has_digit(text: str) -> bool:
    return any(ch.isdigit() for ch in text)


def is_common_noun(token) -> bool:
    """A common noun, or a capitalised office title ("Prime *Minister*")."""
    return token.pos_ == "NOUN" or (token.pos_ == "PROPN" and token.lower_ in TITLE_WORDS)


def is_relational(token) -> bool:
    """A noun that names a relation: it has an owner ("of"/"for" phrase, possessive or name compound)."""
    for child in token.children:
        if child.dep_ == "prep" and child.lower_ in OWNER_PREPS:
            return True
        if child.dep_ == "poss":
            return True
        if child.dep_ == "compound" and child.pos_ == "PROPN":
            return True
    return False


def _trim(doc, start: int, end: int) -> tuple[int, int] | None:
    while start < end and (doc[start].pos_ in ("DET", "PUNCT", "CCONJ") or doc[start].lower_ in CONNECTORS):
        start += 1
    while end > start and (doc[end - 1].pos_ in ("PUNCT", "PART", "CCONJ", "ADP") or doc[end - 1].lower_ in CONNECTORS):
        end -= 1
    return (start, end) if end > start else None


def _is_name_token(token) -> bool:
    return token.pos_ == "PROPN" or (token.pos_ == "NUM" and token.i > 0 and token.nbor(-1).pos_ == "PROPN")


def _proper_runs(sent) -> list[tuple[int, int]]:
    runs, i = [], sent.start
    doc = sent.doc
    while i < sent.end:
        if not _is_name_token(doc[i]):
            i += 1
            continue
        end = i + 1
        while end < sent.end:
            if _is_name_token(doc[end]):
                end += 1
            elif doc[end].lower_ in CONNECTORS and doc[end].lower_ != "'s" and end + 1 < sent.end \
                    and _is_name_token(doc[end + 1]):
                end += 2
            else:
                break
        # "Adirondack Regional airport": a lower-case head noun completes the name.
        if end < sent.end and doc[end].pos_ == "NOUN" and doc[end - 1].dep_ == "compound" \
                and doc[end - 1].head.i == end and doc[end].dep_ != "compound" and not _owns_relation(doc[end]) \
                and not _labels_value(doc[end]):  # not "the OCLC number 51969173": that noun names the relation
            end += 1
        start = i
        # "103 Colmore Row", "300 North LaSalle": a plain number on a name's words is part of the name.
        if i > sent.start and doc[i - 1].text.isdigit() and doc[i - 1].dep_ in ("nummod", "compound") \
                and i <= doc[i - 1].head.i < end:
            start = i - 1
        runs.append((start, end))
        i = end
    return runs


def _owns_relation(token) -> bool:
    return any(c.dep_ == "poss" or (c.dep_ == "prep" and c.lower_ in OWNER_PREPS) for c in token.children)


def _number_runs(sent) -> list[tuple[int, int]]:
    """Numbers and codes; tokens glued without spaces form one ("978-0-15-204770-2", "1,873")."""
    runs = []
    doc = sent.doc
    for token in sent:
        text = token.text
        if any(ch.isdigit() for ch in text) or (token.like_num and token.pos_ == "NUM"):
            start = token.i
            if runs and runs[-1][1] >= start - 1 and doc[start - 1].whitespace_ == "" \
                    and (runs[-1][1] == start or doc[start - 1].text in "-/.,:"):
                runs[-1] = (runs[-1][0], start + 1)
            else:
                runs.append((start, start + 1))
    return runs


def _measures(token) -> bool:
    return token.pos_ == "NUM" or any(c.dep_ == "nummod" for c in token.children)


def _is_value_attribute(token) -> bool:
    """"The main ingredients are *rice*": a copula's attribute is a value when its subject is a common noun.

    With a name as subject ("Bakso is a *dish*") it is a class, not an entity."""
    return token.dep_ == "attr" and any(c.dep_ == "nsubj" and c.pos_ == "NOUN" for c in token.head.children)


def _noun_phrases(sent) -> list[tuple[int, int]]:
    """Bare common-noun arguments with their compound and adjective modifiers."""
    runs = []
    for token in sent:
        if token.pos_ != "NOUN" or token.lower_ in VAGUE_NOUNS:
            continue
        if token.dep_ not in ARGUMENT_DEPS and not _is_value_attribute(token):
            continue
        if is_relational(token) or _labels_value(token) or any(c.dep_ in ("nummod", "prep", "relcl", "acl")
                                                               for c in token.children):
            continue  # units ("507 metres") and nouns that head a relation phrase
        if any(c.dep_ == "det" and c.lower_ in ("this", "that", "these", "those", "the") for c in token.children):
            continue  # anaphoric ("the city") rather than a value
        if token.dep_ == "nsubj" and token.head.lemma_ == "be" and not any(
                c.dep_ == "attr" and c.pos_ == "NOUN" and any(g.dep_ == "prep" for g in c.children)
                for c in token.head.children):
            continue  # "main ingredients are X": the noun names the relation (not "X are ingredients in Y")
        if token.dep_ == "pobj" and (_measures(token.head.head)
                                     or any(c.dep_ == "npadvmod" and _measures(c) for c in token.head.children)):
            continue  # "507 metres above *sea level*" (whichever the measure hangs on): part of a measurement
        start = token.i
        while start > sent.start and sent.doc[start - 1].dep_ in ("compound", "amod") \
                and sent.doc[start - 1].head.i >= start and sent.doc[start - 1].pos_ in ("NOUN", "ADJ", "PROPN"):
            start -= 1
        runs.append((start, token.i + 1))
    return runs


def _place_pairs(sent) -> list[tuple[int, int]]:
    """"Burbank, California": a place and the region after its comma name one place."""
    runs = []
    doc = sent.doc
    places = [e for e in sentence_ents(sent) if e.label_ in ("GPE", "LOC")]
    for first, second in pairwise(places):
        if second.start == first.end + 1 and doc[first.end].text == "," \
                and second.root.head.i in range(first.start, first.end):
            runs.append((first.start, second.end))
    return runs


def _merge(runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for start, end in sorted(runs):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def _adjectival_names(ents, sent) -> list[tuple[int, int]]:
    """"Colombian cuisine", "English language": a nationality or language name and the noun it modifies."""
    runs = []
    for ent in ents:
        if ent.label_ in ("NORP", "LANGUAGE") and ent.end < sent.end:
            noun = sent.doc[ent.end]
            if noun.pos_ == "NOUN" and ent.root.head.i == noun.i and not _owns_relation(noun):
                runs.append((ent.start, ent.end + 1))
    return runs


def _modifies_relational_noun(start: int, end: int, doc) -> bool:
    """"The *LCCN* number of X": a name compound inside a relation phrase is part of the predicate."""
    root = next((t for t in doc[start:end] if not start <= t.head.i < end), doc[end - 1])
    return root.dep_ in ("compound", "amod") and root.head.pos_ == "NOUN" \
        and (_owns_relation(root.head) or _labels_value(root.head))


def _labels_value(noun) -> bool:
    """"the ISBN number 0-439-92550-9": a noun that labels the number or code next to it."""
    return any(c.dep_ in ("nummod", "appos", "npadvmod") and c.i > noun.i and has_digit(c.text) for c in noun.children)


def find_mentions(sent, *, noun_phrases: bool = True, places_with_region: bool = True) -> list:
    """Mention spans of ``sent`` (spaCy Spans, in text order, non-overlapping)."""
    doc = sent.doc
    ents = sentence_ents(sent)
    runs = [(e.start, e.end) for e in ents if e.label_ not in SKIPPED_ENTS]
    runs += _proper_runs(sent) + _number_runs(sent) + _adjectival_names(ents, sent)
    if places_with_region:
        runs += _place_pairs(sent)
    runs = [(s, e) for s, e in runs if not _modifies_relational_noun(s, e, doc)]
    if noun_phrases:
        taken = {i for s, e in runs for i in range(s, e)}
        runs += [(s, e) for s, e in _noun_phrases(sent) if not any(i in taken for i in range(s, e))]
    spans = []
    for start, end in _merge(runs):
        trimmed = _trim(doc, start, end)
        if trimmed is None:
            continue
        span = doc[trimmed[0] : trimmed[1]]
        if all(t.pos_ == "PRON" or t.is_stop for t in span):
            continue
        if all(t.lower_ in TITLE_WORDS for t in span if t.is_alpha) and any(t.is_alpha for t in span):
            continue  # "the Prime Minister": an office, related to its holder and its country
        titles = next(k for k, t in enumerate(span) if t.lower_ not in TITLE_WORDS)
        if titles and span[titles].lower_ == "of" and titles + 1 < len(span):
            span = doc[span.start + titles + 1 : span.end]  # "President of Brazil": the mention is Brazil
        spans.append(span)
    return spans
