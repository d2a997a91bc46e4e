"""Light pronoun resolution within a document.

A personal or possessive pronoun (or a bare definite subject such as "the
airport") refers to the subject of its own sentence
when that subject comes first ("X said *he* ..."), else to the most recent
sentence subject of a compatible kind (he/she -> a person, it -> a
non-person), else to the first mention of the document. That is the usual
shape of encyclopaedic text, where the topic is restated as "It" or "He".
"""

from __future__ import annotations

PERSONAL = {"he": "PERSON", "him": "PERSON", "his": "PERSON", "she": "PERSON", "her": "PERSON", "hers": "PERSON",
            "it": "OTHER", "its": "OTHER", "they": None, "them": None, "their": None}
RELATIVE = {"which", "who", "that"}


def is_resolvable(token) -> bool:
    return token.pos_ == "PRON" and token.lower_ in PERSONAL


def is_definite_anaphor(token) -> bool:
    """"*The airport* serves ...", "*the country's* leader": a bare definite noun that restates an entity.

    As a subject it must not be the subject of a copula ("the capital is X" defines, it does not refer).
    """
    if token.pos_ != "NOUN":
        return False
    dets = [c for c in token.children if c.dep_ == "det"]
    others = [c for c in token.children if c.dep_ not in ("det", "amod", "compound", "case")]
    if len(dets) != 1 or others:
        return False
    if dets[0].lower_ in ("this", "that"):
        return True  # a demonstrative points back wherever it stands: "located in *that country*"
    if token.dep_ in ("nsubj", "nsubjpass"):
        return dets[0].lower_ == "the" and token.head.lemma_ != "be"
    return dets[0].lower_ == "the" and token.dep_ == "poss"


def is_relative_subject(token) -> bool:
    """"..., *which* was run by NASA": a relative pronoun as its clause's subject."""
    return token.lower_ in RELATIVE and token.tag_ in ("WDT", "WP") and token.dep_ in ("nsubj", "nsubjpass")


def relative_antecedent(token, nodes: list):
    """The mention right before a relative pronoun (a comma may sit between): "Apollo 12, which"."""
    before = token.i - 1
    while before >= 0 and token.doc[before].is_punct:
        before -= 1
    return next((n for n in nodes if not n.stand_in and before in n.tokens and token.i - before <= 2), None)


def compatible(pronoun: str, label: str) -> bool:
    kind = PERSONAL[pronoun]
    if kind == "PERSON":
        return label in ("PERSON", "THING")
    if kind == "OTHER":
        return label != "PERSON"
    return True


COUNTRY_NOUNS = {"country", "nation"}


class Antecedents:
    """Sentence subjects, and all named mentions, seen so far in one document."""

    def __init__(self) -> None:
        self.subjects: list = []  # (mention key, label), most recent last
        self.named: list = []  # (mention key, label, lower-cased words), most recent last
        self.first = None

    def note(self, key, label: str, is_subject: bool, text: str = "") -> None:
        if self.first is None:
            self.first = (key, label)
        if is_subject:
            self.subjects.append((key, label))
        if text:
            self.named.append((key, label, text.casefold().split()))

    def resolve_noun(self, noun: str):
        """The entity a definite noun restates: the latest name it heads ("the memorial" -> "Baku Turkish
        Martyrs Memorial"), the latest country for "the country", else the latest subject."""
        noun = noun.casefold()
        for key, label, words in reversed(self.named):
            if words and words[-1] == noun:
                return key, label
        if noun in COUNTRY_NOUNS:
            from pipeline.extract.english.places import is_country

            for key, label, words in reversed(self.named):
                if is_country(" ".join(words)):
                    return key, label
        return self.resolve("they")

    def resolve(self, pronoun: str, current_subject=None):
        """The (mention key, label) that ``pronoun`` refers to, or None."""
        pronoun = pronoun.lower()
        for candidate in ([current_subject] if current_subject else []) + self.subjects[::-1] + [self.first]:
            if candidate is not None and compatible(pronoun, candidate[1]):
                return candidate
        return None
