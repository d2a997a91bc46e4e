"""Issue 17: one bad record is quarantined with its reason; the others are read."""

from __future__ import annotations

import json
import logging
import os

import pyarrow as pa
import pytest

from pipeline.ingest.api import run_ingest
from pipeline.ingest.config import IngestConfig

GOOD = "Dhaka is the capital of Bangladesh."


def _ingest(folder, **config):
    errors = []
    batches = list(run_ingest([folder], config=IngestConfig(**config), on_error=errors.append))
    rows = pa.concat_tables(batches).to_pylist() if batches else []
    return rows, {e.source.rsplit("/", 1)[-1]: e.reason for e in errors}


def _jsonl(path, *lines: str) -> None:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (r'{"text": "x \ud800"}', "lone surrogate U+D800"),  # JSON escapes can name half a pair
        (r'{"text": "Mr. Alan\u0000Turing"}', "NUL character at position 8"),
        (r'{"text": "\u200b\u200c\ufeff \u200d"}', "only invisible characters"),
    ],
    ids=["lone-surrogate", "nul-in-json-text", "zero-width-only"],
)
def test_issue17_bad_jsonl_record_is_quarantined_and_its_neighbours_read(tmp_path, line, reason) -> None:
    _jsonl(tmp_path / "docs.jsonl", json.dumps({"text": GOOD}), line, json.dumps({"text": "Kolkata is a city."}))
    rows, reasons = _ingest(tmp_path)
    assert reason in reasons["docs.jsonl:2"]
    assert sorted(r["text"] for r in rows) == [GOOD, "Kolkata is a city."]


def test_issue17_nul_after_the_first_8kb_is_found(tmp_path) -> None:
    (tmp_path / "late.txt").write_bytes(b"a " * 5000 + b"Alan\x00Turing")
    (tmp_path / "good.txt").write_text(GOOD, encoding="utf-8")
    rows, reasons = _ingest(tmp_path)
    assert "NUL byte at offset 10004" in reasons["late.txt"]
    assert [r["text"] for r in rows] == [GOOD]


def test_issue17_file_name_that_is_not_utf8_is_read_under_an_escaped_name(tmp_path) -> None:
    with open(os.path.join(os.fsencode(tmp_path), b"caf\xff.txt"), "wb") as handle:
        handle.write(GOOD.encode())
    rows, reasons = _ingest(tmp_path)
    assert not reasons
    [row] = rows
    assert row["source"].endswith("caf\\xff.txt")
    row["source"].encode("utf-8")  # fits Parquet and RDF literals


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"], ids=["0-byte", "blank-lines"])
def test_issue17_jsonl_without_records_is_reported_not_silent(tmp_path, content) -> None:
    (tmp_path / "nothing.jsonl").write_bytes(content)
    rows, reasons = _ingest(tmp_path)
    assert not rows
    assert reasons["nothing.jsonl"] in ("empty file (0 bytes)", "no records (the file holds no lines or rows)")


def test_issue17_english_document_over_spacy_max_length_is_quarantined_with_the_reason(tmp_path) -> None:
    # spaCy's max_length (1,000,000) is the default max_chars; the old 2,000,000 let such a document
    # through to crash the extractor and the whole build.
    (tmp_path / "long.txt").write_text("Dhaka is a city. " * 70_000, encoding="utf-8")  # 1.19 M characters
    (tmp_path / "good.txt").write_text(GOOD, encoding="utf-8")
    rows, reasons = _ingest(tmp_path)
    assert reasons["long.txt"] == "document too large (1190000 characters > max_chars=1000000)"
    assert [r["text"] for r in rows] == [GOOD]


def test_issue17_lang_field_must_be_a_language_code_else_it_is_detected(tmp_path, caplog) -> None:
    """Decision: a `lang` that is not an ISO 639 code (with optional BCP 47 subtags) is ignored with a
    warning and the language detected; the record is kept. A code's primary subtag is lower-cased."""
    _jsonl(tmp_path / "docs.jsonl",
           json.dumps({"text": GOOD, "lang": "english"}),
           json.dumps({"text": "ঢাকা বাংলাদেশের রাজধানী।", "lang": "<script>"}),
           json.dumps({"text": "Kolkata is a city.", "lang": "EN"}),
           json.dumps({"text": "Lisbon is a city.", "lang": "pt-BR"}),
           json.dumps({"text": "Delhi is a city.", "lang": 7}))
    with caplog.at_level(logging.WARNING, logger="pipeline.ingest.readers"):
        rows, reasons = _ingest(tmp_path)
    assert not reasons
    langs = {r["source"].rsplit(":", 1)[-1]: r["lang"] for r in rows}
    assert langs == {"1": "en", "2": "bn", "3": "en", "4": "pt-BR", "5": "en"}
    warned = " ".join(r.getMessage() for r in caplog.records)
    assert "'english'" in warned and "'<script>'" in warned and "7" in warned
