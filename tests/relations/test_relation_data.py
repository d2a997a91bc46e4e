"""Aligning training triples to text: the spans a tagger learns from."""

from pathlib import Path

from pipeline.relations.data import align, read_examples
from pipeline.relations.model import words

DATA = Path(__file__).parent / "data"


def _aligned(text: str, name: str) -> str | None:
    span = align(text, name, [])
    return text[span[0]:span[1]] if span else None


def test_exact_names_and_written_variants():
    assert _aligned("Aarhus Airport serves the city of Aarhus, Denmark.", "Aarhus, Denmark") == "Aarhus, Denmark"
    assert _aligned("Aarhus Airport is 25 metres above sea level.", "25.0") == "25"
    assert _aligned("It has a runway of 2,702 metres.", "2702") == "2,702"
    assert _aligned("France, where Gerard Larcher is a leader.", "Gérard Larcher") == "Gerard Larcher"
    assert _aligned("He lives in Alcobendas.", "Alcobendas (Spain)") == "Alcobendas"


def test_longest_run_of_the_name_needs_a_content_word():
    assert _aligned("The Aarhus is the airport of the city.", "Aarhus Airport") == "Aarhus"
    assert _aligned("It is the airport of the city.", "Airport of Aarhus") == "airport"
    assert _aligned("It lies in the north.", "The Hague") is None  # "The" alone is no evidence


def test_taken_spans_are_not_reused():
    text = "Aarhus Airport serves Aarhus."
    first = align(text, "Aarhus Airport", [])
    assert text[slice(*align(text, "Aarhus", [first]))] == "Aarhus" and align(text, "Aarhus", [first])[0] > 0


def test_examples_of_both_formats():
    webnlg = read_examples(DATA / "webnlg_tiny.jsonl")
    conll = read_examples(DATA / "conll04_tiny.jsonl")
    assert set(conll[0].schema) <= {"Work_For", "Kill", "OrgBased_In", "Live_In", "Located_In"}
    for ex in webnlg + conll:
        assert ex.mentions == sorted(ex.mentions)
        assert all(0 <= i < len(ex.mentions) and 0 <= j < len(ex.mentions) and p in ex.schema
                   for i, j, p in ex.relations)
    kept = sum(len(e.relations) for e in webnlg)
    assert kept / (kept + sum(e.dropped for e in webnlg)) > 0.8


def test_full_stop_leaves_the_last_word():
    text = "The leader is Jacob Bundsgaard. He met the U.S. envoy on 2.0 days."
    got = [text[s:e] for s, e in words(text)]
    assert "Bundsgaard" in got and "U.S." in got and "2.0" in got


def test_a_name_written_twice_is_a_mention_twice_with_its_relations():
    from pipeline.relations.data import webnlg_example

    row = {"text": "Tagore was born in Kolkata. Tagore wrote Gitanjali.",
           "triples": [["Tagore", "birthPlace", "Kolkata"], ["Tagore", "author", "Gitanjali"]]}
    ex = webnlg_example(row, ("birthPlace", "author"))
    assert [row["text"][s:e] for s, e in ex.mentions] == ["Tagore", "Kolkata", "Tagore", "Gitanjali"]
    assert sorted(ex.relations) == [(0, 1, "birthPlace"), (0, 3, "author"), (2, 1, "birthPlace"), (2, 3, "author")]


def test_tagged_mentions_are_repaired_at_connectors_and_punctuation():
    from pipeline.relations.model import repair_mentions

    text = "Wang Ziqiang at the Institute of Mechanics spoke, said Ms. Say in the Bank of"

    def at(s: str) -> tuple[int, int]:
        return text.index(s), text.index(s) + len(s)

    got = repair_mentions(text, words(text), [at("Wang Ziqiang"), at("Institute of"), at("Mechanics"), at(". Say"),
                                              at("Bank of")])
    assert [text[s:e] for s, e in got] == ["Wang Ziqiang", "Institute of Mechanics", "Say", "Bank"]
