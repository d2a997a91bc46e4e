"""Offsets into the input text: the NFC map back to the original (issue 14)."""

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.textnorm import normalise

# Composed and decomposed Bangla (য় = য + ়, ো = ে + া, ৌ = ে + ৗ), ZWJ/ZWNJ, combining marks
# of different classes (reordered by NFC), Latin letters they compose with, and whitespace.
PIECES = ["ক", "র", "ম", "য", "ড", "ঢ", "া", "ে", "ো", "ৌ", "ৗ", "\u09bc", "\u09df", "\u09dc", "\u09dd",
          "য\u09bc", "ে\u09be", "্", "\u200d", "\u200c", "e", "a", "A", "\u0301", "\u0300", "\u0323", "\u0327",
          "\u00e9", "1", "।", " ", "  ", "\t", "\n", "\u2000"]
texts = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)
NFC = lambda s: unicodedata.normalize("NFC", s)  # noqa: E731


def _word_spans(text: str) -> list[tuple[int, int]]:
    spans, start = [], None
    for i, ch in enumerate(text + " "):
        if ch.isspace() and start is not None:
            spans.append((start, i))
            start = None
        elif not ch.isspace() and start is None:
            start = i
    return spans


@settings(max_examples=400, deadline=None)
@given(texts)
def test_text_is_nfc_and_stripped(text):
    norm = normalise(text)
    assert norm.text == NFC(text).strip()
    assert norm.original is text


@settings(max_examples=400, deadline=None)
@given(texts)
def test_word_spans_map_exactly(text):
    """Every span of whole words (and every word minus its last letter: a cut case ending) maps exactly."""
    norm = normalise(text)
    words = _word_spans(norm.text)
    for a in range(len(words)):
        for b in range(a, min(a + 3, len(words))):
            ns, ne = words[a][0], words[b][1]
            s, e = norm.offsets.span(ns, ne)
            assert NFC(text[s:e]) == norm.text[ns:ne]
            assert not text[s:e][:1].isspace() and not text[s:e][-1:].isspace()


@settings(max_examples=400, deadline=None)
@given(texts, st.data())
def test_any_span_is_covered(text, data):
    """A span inside a composed character widens: the original span covers what was matched."""
    norm = normalise(text)
    ns = data.draw(st.integers(0, len(norm.text)))
    ne = data.draw(st.integers(ns, len(norm.text)))
    s, e = norm.offsets.span(ns, ne)
    assert 0 <= s <= e <= len(text)
    assert norm.text[ns:ne] in NFC(text[s:e])


def test_precomposed_bangla_and_leading_whitespace():
    # মালয়েশিয়ার typed with precomposed য় (U+09DF): NFC makes each য় two characters.
    text = "  \u09aeা\u09b2\u09dfেশি\u09dfা\u09b0 রাজধানী কু\u09dfালালামপুর।"
    norm = normalise(text)
    assert len(norm.text) == len(text) - 2 + 3  # two stripped spaces, three য় decomposed
    stem_end = norm.text.index("র ")  # the genitive ending cut off: "মালয়েশিয়া"
    s, e = norm.offsets.span(0, stem_end)
    assert (s, e) == (2, 2 + 9) and NFC(text[s:e]) == NFC("মাল\u09dfেশি\u09dfা")
    city = norm.text.index("কু\u09af\u09bcালালামপুর")
    s, e = norm.offsets.span(city, city + len("কু\u09af\u09bcালালামপুর"))
    assert text[s:e] == "কু\u09dfালালামপুর"


def test_unchanged_text_maps_to_itself():
    norm = normalise("\nDhaka is the capital.\n")
    assert norm.text == "Dhaka is the capital." and norm.offsets.span(0, 5) == (1, 6)
