"""The learned extractor with the bundled relation model: representative sentences, English and Bangla.

These pin what a reader would accept for each sentence (the fact, or that there is none), not scores.
"""

from __future__ import annotations

import json

import pytest

from pipeline.extract.config import ExtractConfig
from pipeline.extract.jsonl import extract_jsonl

CONLL04 = "Work_For\nKill\nOrgBased_In\nLive_In\nLocated_In\n"


@pytest.fixture
def extract(tmp_path, write_jsonl):
    def run(texts: list[str], *, lang: str = "en", schema: str | None = None, **config) -> list[list[list[str]]]:
        source = write_jsonl("in.jsonl", [{"id": str(n), "text": t} for n, t in enumerate(texts)])
        schema_path = None
        if schema is not None:
            schema_path = tmp_path / "schema.txt"
            schema_path.write_text(schema, encoding="utf-8")
        out = tmp_path / "out.jsonl"
        extract_jsonl(source, out, lang=lang, schema_path=str(schema_path) if schema_path else None,
                      config=ExtractConfig(**config))
        return [json.loads(line)["triples"] for line in out.read_text(encoding="utf-8").splitlines()]

    return run


def test_english_facts_take_the_general_schema_names(extract):
    founded, none, born = extract(["Muhammad Yunus founded Grameen Bank.", "Paris and Tokyo are big cities.",
                                   "Alan Shepard was born in New Hampshire."])
    assert ["Grameen Bank", "founder", "Muhammad Yunus"] in founded
    assert none == []  # two places and no relation between them: the pair is rejected, not forced onto a name
    assert ["Alan Shepard", "birthPlace", "New Hampshire"] in born


def test_with_a_schema_only_its_names_come_out(extract):
    [killed, employed] = extract(["John Wilkes Booth, who assassinated President Lincoln, was an actor.",
                                  "Kevin O'Brien, a spokesman for the Palace of Fine Arts, said the show sold out."],
                                 schema=CONLL04)
    assert ["John Wilkes Booth", "Kill", "Lincoln"] in killed  # the title goes from the name
    assert {p for _, p, _ in killed + employed} <= set(CONLL04.split())


def test_open_predicates_come_back_only_when_asked(extract):
    text = ["Rabindranath Tagore wrote Gitanjali in Santiniketan and Kolkata."]
    closed = {p for t in extract(text, schema="birthPlace\n") for _, p, _ in t}
    opened = {p for t in extract(text, schema="birthPlace\n", open_predicates=True) for _, p, _ in t}
    assert closed <= {"birthPlace"} and not opened <= {"birthPlace"}


def test_bangla_facts_through_the_same_encoder(extract):
    [born, capital] = extract(["কাজী নজরুল ইসলাম ১৮৯৯ সালে চুরুলিয়ায় জন্মগ্রহণ করেন।", "ঢাকা বাংলাদেশের রাজধানী।"], lang="bn")
    assert any(s == "কাজী নজরুল ইসলাম" and p in ("birthPlace", "Live_In") and o == "চুরুলিয়া" for s, p, o in born)
    assert all(p != "related_to" for s, p, o in born + capital)  # typed, or nothing
