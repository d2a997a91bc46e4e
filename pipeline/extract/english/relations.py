"""Relations between mentions that are neighbours in the dependency tree.

Two mentions are related when the dependency path between them passes
through no other mention and no other clause subject claims them. This one
rule covers verbs with objects and prepositions, passives with agents,
copulas, appositives, relative clauses, participles and prepositional
attachments; conjuncts take the place of the first conjunct, so
"A and B were born in C" gives two facts.

The argument order comes from the path, in this order of preference:

1. a relational noun owns the fact: "the *leader* of A is B",
   "B, the *leader* of A", "A's *runway length* is 5" -> (A, leader, B);
2. the subject of the verb that governs the path comes first;
3. the mention the other one modifies comes first ("A, which serves B");
4. else text order.

The predicate is short and lemmatised: the verb nearest the object (the
participle for passives: "born in"), relational nouns with their compound
modifiers, and the preposition that introduces the object.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from pipeline.extract.english.mentions import OWNER_PREPS, is_common_noun

SUBJECT_DEPS = {"nsubj", "nsubjpass", "csubj", "csubjpass"}
#: Slots where a relational noun stands for the fact itself (not a verb's object).
EQUATIONAL_DEPS = {"nsubj", "nsubjpass", "attr", "appos", "ROOT", "npadvmod"}
LIGHT_VERBS = {"be", "have"}
#: Partitive nouns read left to right: "A is part of B" -> (A, part of, B), not B's attribute.
PARTITIVE = {"part", "member", "one", "kind", "type", "sort", "piece", "portion", "section", "division", "branch",
             "subsidiary", "unit", "component", "element", "example", "variety", "form", "version", "some", "all"}
#: Literal values (numbers, dates) neither separate two mentions nor act as subjects.
LITERALS = {"DATE", "QUANTITY"}
WH_WORDS = {"which", "who", "that", "whom", "where"}

#: Pattern confidences, measured as pair precision on WebNLG dev (text order alone is mostly wrong).
CONFIDENCE = {"implicit_owner": 0.82, "owner": 0.75, "subject": 0.8, "modifier": 0.65, "subject_guess": 0.5,
              "order": 0.3}
#: Where a small parser puts a sentence-initial name it did not take for the subject.
MISREAD_SUBJECT_DEPS = {"advmod", "amod", "compound", "npadvmod", "dep", "nmod"}


@dataclass(frozen=True)
class Node:
    """A mention (or a resolved pronoun) as seen by the relation rules."""

    key: object  # what the caller uses to identify the mention
    tokens: frozenset  # token indices
    root: object  # spaCy Token
    label: str
    #: For an ownerless relational noun standing in for its owner ("where *the leader* is Z"): its words.
    relation: str = ""
    #: A pronoun or noun that stands in for a mention elsewhere (resolved, so less certain).
    stand_in: bool = False


@dataclass(frozen=True)
class Relation:
    subject: Node
    predicate: str
    object: Node
    confidence: float
    pattern: str


def _ancestors(token) -> list:
    chain = [token]
    while chain[-1].head.i != chain[-1].i and len(chain) < 64:
        chain.append(chain[-1].head)
    return chain


def _is_verb(token) -> bool:
    return token.pos_ in ("VERB", "AUX")


def _anchor(node: Node, node_at: dict) -> object:
    """Where ``node`` attaches: a conjunct stands where its first conjunct stands."""
    token = node.root
    for _ in range(16):
        head_node = node_at.get(token.head.i)
        if token.dep_ != "conj" or head_node is None or head_node is node:
            break
        token = head_node.root
    return token


def _verb_word(verb) -> str:
    # A participle outside a perfect tense reads as such: "was born in", "(born 1923)", "located in".
    passive = any(c.dep_ == "auxpass" for c in verb.children) or (
        verb.tag_ == "VBN" and not any(c.dep_ == "aux" and c.lemma_ == "have" for c in verb.children))
    word = verb.lower_ if passive else verb.lemma_.lower()
    particles = [c.lower_ for c in verb.children if c.dep_ == "prt"]
    return " ".join([word, *particles])


def _noun_words(noun, node_at: dict) -> list[str]:
    modifiers = [c for c in noun.children if c.dep_ in ("compound", "amod") and c.i < noun.i
                 and c.pos_ in ("NOUN", "ADJ", "VERB", "PROPN") and c.i not in node_at]
    return [m.lower_ for m in modifiers] + [noun.lemma_.lower()]


class PathRelations:
    """Relations among the nodes of one sentence."""

    def __init__(self, nodes: list[Node]) -> None:
        self.nodes = nodes
        self.node_at = {i: n for n in nodes for i in n.tokens}
        # Computed once per node: pairs are quadratic.
        self.anchors = {id(n): _anchor(n, self.node_at) for n in nodes}
        self.chains = {id(n): _ancestors(self.anchors[id(n)]) for n in nodes}

    def relations(self) -> list[Relation]:
        found = []
        for i, a in enumerate(self.nodes):
            for b in self.nodes[i + 1 :]:
                if a.key != b.key:
                    relation = self.relate(a, b)
                    if relation is not None:
                        found.append(relation)
        return found

    def relate(self, a: Node, b: Node) -> Relation | None:
        anchor_a, anchor_b = self.anchors[id(a)], self.anchors[id(b)]
        if anchor_a.i == anchor_b.i:
            return None  # conjuncts of one another
        up_a, up_b = self.chains[id(a)], self.chains[id(b)]
        ids_b = {t.i: k for k, t in enumerate(up_b)}
        cut_a = next((k for k, t in enumerate(up_a) if t.i in ids_b), None)
        if cut_a is None:
            return None
        lca = up_a[cut_a]
        side_a, side_b = up_a[:cut_a], up_b[: ids_b[lca.i]]  # from each anchor up to (not incl.) the LCA
        ends = a.tokens | b.tokens
        interior = [t for t in side_a[1:] + side_b[1:] + [lca] if t.i not in ends]
        if any(t.i in self.node_at and self.node_at[t.i].label not in LITERALS for t in interior):
            return None  # another mention sits between them
        if all(t.dep_ in ("conj", "appos") for t in side_a + side_b) and lca.i not in (a.tokens | b.tokens):
            return None  # items of one list ("rice, cuttlefish and ink") are not related to each other
        path = [t for t in side_a + [lca] + side_b if t.i not in self.node_at]
        verbs = [t for t in path if _is_verb(t)]
        top = lca if _is_verb(lca) else (min(verbs, key=lambda v: len(_ancestors(v))) if verbs else None)
        if anchor_a.dep_ in SUBJECT_DEPS and anchor_b.dep_ in SUBJECT_DEPS and anchor_a.head.i != anchor_b.head.i:
            return None  # subjects of two clauses ("A leads B, where C is located in D": not A and C)
        if any(self._claimed(verb, a, b) for verb in verbs + ([top] if top is not None and top not in verbs else [])):
            return None

        if a.relation or b.relation:
            # The relational noun is the owner: "Italy, where the leader is Z" -> (Italy, leader, Z).
            owner, value = (a, b) if a.relation else (b, a)
            if value.relation or not (top is not None and top.lemma_ in LIGHT_VERBS):
                return None
            return Relation(owner, owner.relation, value, CONFIDENCE["implicit_owner"], "implicit_owner")
        order = self._order(a, b, side_a, side_b, lca, top, anchor_a, anchor_b)
        if order is None:
            return None
        subject, obj, pattern = order
        if subject.label in LITERALS and obj.label in LITERALS:
            return None  # two values ("1.8 g of 10 g") are not a fact
        if subject.label in LITERALS and pattern != "owner":
            return None  # "1930 in Glen Ridge": a misattached modifier, not a fact about the date
        obj_side = side_b if obj is b else side_a
        subj_side = side_a if obj is b else side_b
        predicate = self._predicate(path, obj_side, subj_side, lca, pattern, a, b)
        if not predicate:
            return None
        confidence = CONFIDENCE[pattern] - 0.03 * max(0, len(path) - 3)
        return Relation(subject, predicate, obj, round(max(confidence, 0.2), 3), pattern)

    def _claimed(self, verb, a: Node, b: Node) -> bool:
        """Another mention is the subject of a verb on the path: the pair is that subject's
        ("X starred in Y, which aired on Z": Z is Y's, not X's)."""
        anchors = (self.anchors[id(a)].i, self.anchors[id(b)].i)
        for child in verb.children:
            if child.dep_ in SUBJECT_DEPS and child.i not in anchors:
                node = self.node_at.get(child.i)
                if node is not None and node.key not in (a.key, b.key) \
                        and _anchor(node, self.node_at).i not in anchors:
                    return True
        return False

    def _order(self, a, b, side_a, side_b, lca, top, anchor_a, anchor_b):
        owner = self._owner(side_a, a, side_b, b, lca)
        copular = top is None or top.lemma_ in LIGHT_VERBS
        if owner is not None and copular:
            return (owner, b if owner is a else a, "owner")
        if top is not None:
            for node, side, anchor in ((a, side_a, anchor_a), (b, side_b, anchor_b)):
                chain = side + [lca]
                if any(t.dep_ in SUBJECT_DEPS and t.head.i == top.i for t in chain):
                    return (node, b if node is a else a, "subject")
            # "A, which serves B" / "A, located in B": the antecedent is the subject.
            if top.dep_ in ("relcl", "acl") and lca.i in (a.tokens | b.tokens):
                head = a if lca.i in a.tokens else b
                subj = next((c for c in top.children if c.dep_ in SUBJECT_DEPS), None)
                if subj is None or subj.lower_ in WH_WORDS:
                    return (head, b if head is a else a, "modifier")
            # The parser missed the subject ("*Batchoy* is eaten in ..." read as an adverb): a mention
            # hanging off a subjectless verb, before it, is that verb's subject.
            if not any(c.dep_ in SUBJECT_DEPS or c.dep_ == "expl" for c in top.children):
                for node, anchor in ((a, anchor_a), (b, anchor_b)):
                    if anchor.head.i == top.i and anchor.i < top.i and anchor.dep_ in MISREAD_SUBJECT_DEPS \
                            and anchor.i == anchor.sent.start + sum(1 for _ in anchor.lefts):
                        return (node, b if node is a else a, "subject_guess")
        if owner is not None:
            return (owner, b if owner is a else a, "owner")
        if lca.i in a.tokens:
            return (a, b, "modifier")
        if lca.i in b.tokens:
            return (b, a, "modifier")
        return (a, b, "order") if a.root.i < b.root.i else (b, a, "order")

    def _owner(self, side_a, a, side_b, b, lca):
        """The node that a relational noun on the path belongs to, if any."""
        for side, node in ((side_a, a), (side_b, b)):
            chain = side + [lca]
            for child, noun in pairwise(chain):
                if not is_common_noun(noun) or noun.i in self.node_at or noun.dep_ not in EQUATIONAL_DEPS \
                        or noun.lemma_.lower() in PARTITIVE:
                    continue
                if child.dep_ == "poss" or (child.dep_ == "prep" and child.lower_ in OWNER_PREPS):
                    return node
                # "A is an ingredient in B", "A is a leader in B": B's attribute.
                if child.dep_ == "prep" and child.lower_ in ("in", "within") and noun.dep_ == "attr":
                    return node
                # A name compound owns the noun only when no "of"/possessive owner does.
                if child.dep_ == "compound" and child.pos_ == "PROPN" and not any(
                        c.dep_ == "poss" or (c.dep_ == "prep" and c.lower_ in OWNER_PREPS) for c in noun.children):
                    return node
        return None

    def _predicate(self, path, obj_side, subj_side, lca, pattern, a, b) -> str:
        obj_set = {t.i for t in obj_side}
        verbs = [t for t in obj_side if _is_verb(t) and t.i not in self.node_at]
        if not verbs and _is_verb(lca):
            verbs = [lca]
        if not verbs:
            verbs = [t for t in subj_side if _is_verb(t)][-1:]
        nouns = [t for t in path if (is_common_noun(t) or t.pos_ == "ADJ") and t.dep_ not in ("amod", "compound")]
        words = []
        for noun in sorted(nouns, key=lambda t: t.i):
            words += _noun_words(noun, self.node_at)
        # The preposition that introduces the object, when a verb or adjective governs it
        # ("born in"); a noun's own preposition stays out ("runway length", not "runway length of").
        preps = [t for t in obj_side if t.pos_ == "ADP" and t.i in obj_set
                 and (t.head.pos_ != "NOUN" or t.head.lemma_.lower() in PARTITIVE)]
        prep = ("by" if preps[0].dep_ == "agent" else preps[0].lower_) if preps else ""
        verb = _verb_word(verbs[0]) if verbs else ""
        if verb and (verb.split()[0] not in LIGHT_VERBS or not (words or prep)):
            words.insert(0, verb)
        if prep:
            words.append(prep)
        if not words:
            return ""
        return " ".join(words[:5])


def ownerless_relational_nouns(sent, node_at: dict) -> list:
    """Copular subjects/attributes like "the leader" in "where the leader is Z" that name no owner."""
    found = []
    for token in sent:
        if not is_common_noun(token) or token.i in node_at or token.dep_ not in ("nsubj", "attr"):
            continue
        if token.head.lemma_ != "be" or token.lemma_.lower() in PARTITIVE:
            continue
        if any(c.dep_ in ("poss", "prep", "relcl", "acl") for c in token.children):
            continue  # it has an owner or its own modifiers
        indefinite = any(c.dep_ == "det" and c.lower_ not in ("the",) for c in token.children)
        if indefinite and implicit_owner(token, node_at) is None:
            continue  # "X is a dish": a class, unless a clause names the owner ("where X is an ethnic group")
        found.append(token)
    return found


def implicit_owner(noun, node_at: dict):
    """The mention an ownerless relational noun belongs to, from its clause; None to ask the discourse."""
    verb = noun.head
    while verb.dep_ == "conj" and verb.head.i != verb.i:
        verb = verb.head  # "where the capital is X and the currency is Y": both clauses share the owner
    if verb.dep_ == "relcl" and verb.head.i in node_at:
        return node_at[verb.head.i]  # "Italy, where the leader is Z"
    for prep in (c for c in verb.children if c.dep_ == "prep" and c.lower_ == "in"):
        for pobj in prep.children:
            if pobj.i in node_at:
                return node_at[pobj.i]  # "In Texas, the capital is Austin"
    return None


def noun_phrase_words(noun) -> str:
    return " ".join(_noun_words(noun, {}))
