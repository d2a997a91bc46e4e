import json

import pytest

from pipeline.errors import UnknownComponentError
from pipeline.extract.api import extract_documents, route, run_extract
from pipeline.extract.base import extractors
from pipeline.extract.config import RULE_EXTRACTORS, ExtractConfig
from pipeline.extract.jsonl import extract_jsonl
from pipeline.schema import DOCUMENTS, from_rows

RULES = ExtractConfig(extractors=RULE_EXTRACTORS)  # these tests pin the rules, not the relation model


def _triples(text: str, lang: str = "en") -> set[tuple[str, str, str]]:
    [extraction] = extract_documents([{"doc_id": "d", "lang": lang, "text": text}], config=RULES)
    text_of = {m["mention_id"]: m["text"] for m in extraction.mentions}
    return {(text_of[r["subject_mention"]], r["predicate"], text_of[r["object_mention"]]) for r in extraction.relations}


@pytest.mark.parametrize(
    "sentence, expected",
    [
        ("Muhammad Yunus founded Grameen Bank.", ("Muhammad Yunus", "found", "Grameen Bank")),
        ("Rabindranath Tagore was born in Kolkata.", ("Rabindranath Tagore", "born in", "Kolkata")),
        ("Dhaka is the capital of Bangladesh.", ("Bangladesh", "capital", "Dhaka")),  # the owner's attribute
        ("Gitanjali was written by Rabindranath Tagore.", ("Gitanjali", "written by", "Rabindranath Tagore")),
    ],
)
def test_english_dependency_patterns(sentence, expected):
    assert expected in _triples(sentence)


def test_english_conjunctions_expand_objects():
    triples = _triples("Satyajit Ray directed Pather Panchali and Aparajito.")
    assert {("Satyajit Ray", "direct", "Pather Panchali"), ("Satyajit Ray", "direct", "Aparajito")} <= triples


def test_bangla_patterns_strip_case_suffixes():
    born = _triples("রবীন্দ্রনাথ ঠাকুর কলকাতায় জন্মগ্রহণ করেন।", "bn")
    assert ("রবীন্দ্রনাথ ঠাকুর", "born in", "কলকাতা") in born
    capital = _triples("ঢাকা বাংলাদেশের রাজধানী।", "bn")
    assert ("ঢাকা", "capital of", "বাংলাদেশ") in capital


def test_unknown_language_falls_back_to_cooccurrence():
    config = ExtractConfig()
    assert route("sw", config) == "cooccurrence"
    triples = _triples("Julius Nyerere aliongoza Tanzania kutoka Dar es Salaam.", "sw")
    assert ("Julius Nyerere", "related_to", "Tanzania") in triples


def test_registry_names_unknown_extractor():
    with pytest.raises(UnknownComponentError, match="Available: .*spacy"):
        extractors.get("no-such-extractor")


def test_run_extract_tables_and_routes():
    docs = from_rows(
        [{"doc_id": "a", "source": "s", "lang": "en", "text": "Muhammad Yunus founded Grameen Bank."},
         {"doc_id": "b", "source": "s", "lang": "bn", "text": "ঢাকা বাংলাদেশের রাজধানী।"}],
        DOCUMENTS,
    )
    result = run_extract(docs)
    assert result.routes == {"en:learned": 1, "bn:learned": 1}
    assert set(result.mentions.column("doc_id").to_pylist()) == {"a", "b"}
    for m in result.mentions.to_pylist():
        text = {"a": docs.column("text")[0].as_py(), "b": docs.column("text")[1].as_py()}[m["doc_id"]]
        assert text[m["start"] : m["end"]] == m["surface"]  # offsets point into the document
        assert m["surface"].startswith(m["text"])  # the name, a case ending cut off ("বাংলাদেশের")


def test_extract_jsonl_contract(tmp_path, write_jsonl):
    source = write_jsonl("in.jsonl", [{"id": "1", "text": "Muhammad Yunus founded Grameen Bank. Yunus was born in Chittagong."}])
    with source.open("a") as handle:
        handle.write("not json\n")
    out = tmp_path / "out.jsonl"
    counts = extract_jsonl(source, out)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert counts["lines"] == 2 and counts["errors"] == 1 and len(lines) == 2
    first = lines[0]
    assert first["id"] == "1" and first["lang"] == "en"
    assert ["Grameen Bank", "founder", "Muhammad Yunus"] in first["triples"]
    for start, end, label, text in first["entities"]:
        assert "Muhammad Yunus founded Grameen Bank. Yunus was born in Chittagong."[start:end] == text
    assert "error" in lines[1] and "in.jsonl:2" in lines[1]["error"]


def test_schema_mapping(tmp_path, write_jsonl):
    source = write_jsonl("in.jsonl", [{"id": "1", "text": "Rabindranath Tagore was born in Kolkata."}])
    schema = tmp_path / "relations.txt"
    schema.write_text("birthPlace\nleaderName\nrunwayLength\n")
    out = tmp_path / "out.jsonl"
    extract_jsonl(source, out, schema_path=str(schema))
    [line] = [json.loads(x) for x in out.read_text().splitlines()]
    assert ["Rabindranath Tagore", "birthPlace", "Kolkata"] in line["triples"]
