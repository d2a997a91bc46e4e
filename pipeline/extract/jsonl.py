"""``kg extract``: JSONL in, one JSON line of entities and triples out per input line.

Output lines follow the DESIGN.md contract::

    {"id", "lang", "entities": [[start, end, label, text], ...], "triples": [[subj, pred, obj], ...]}

Triple arguments are surface strings canonicalised within the document
(the entity's label there, e.g. "Tagore" -> "Rabindranath Tagore"). A line
that cannot be read still yields an output line, with an ``error`` field.
"""

from __future__ import annotations

import json
import logging
import unicodedata
from pathlib import Path
from typing import Iterator


from pipeline.extract.api import extract_documents
from pipeline.extract.config import ExtractConfig
from pipeline.ingest.langid import detect_language
from pipeline.link.api import run_link
from pipeline.schema import MENTIONS, RELATIONS, from_rows

log = logging.getLogger(__name__)


def _read_lines(path: Path) -> Iterator[tuple[int, dict | None, str | None]]:
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                row = json.loads(raw.decode("utf-8"))
                if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                    raise ValueError('expected an object with a string field "text"')
            except (UnicodeDecodeError, ValueError) as err:
                yield number, None, f"{path}:{number}: {err}"
                continue
            yield number, row, None


def _record(doc: dict, extraction, mapper) -> dict:
    mentions = from_rows(extraction.mentions, MENTIONS)
    relations = from_rows(extraction.relations, RELATIONS)
    linked = run_link(mentions, relations)
    label_of = {e["entity_id"]: e["label"] for e in linked.entities.to_pylist()}
    triples = []
    for edge in linked.edges.to_pylist():
        predicate = edge["predicate"]
        if mapper is not None:
            predicate = mapper.map(predicate) or predicate
        triple = [label_of[edge["subject_id"]], predicate, label_of[edge["object_id"]]]
        if triple not in triples:
            triples.append(triple)
    entities = [[m["start"], m["end"], m["label"], m["text"]] for m in sorted(extraction.mentions, key=lambda m: m["start"])]
    return {"id": doc["id"], "lang": doc["lang"], "entities": entities, "triples": triples}


def extract_jsonl(input_path: str | Path, output_path: str | Path, *, lang: str = "auto",
                  schema_path: str | None = None, config: ExtractConfig = ExtractConfig(),
                  batch_size: int = 64, progress: bool = False) -> dict:
    """Extract every line of ``input_path`` into ``output_path``; returns counts."""
    mapper = None
    if schema_path:
        from pipeline.extract.schema_mapping import SchemaMapper, read_schema

        mapper = SchemaMapper(read_schema(schema_path))
    input_path, output_path = Path(input_path), Path(output_path)
    counts = {"lines": 0, "errors": 0, "triples": 0}
    lines = list(_read_lines(input_path))
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(lines), desc="extract", unit="doc")
    with output_path.open("w", encoding="utf-8") as out:
        for start in range(0, len(lines), batch_size):
            chunk = lines[start : start + batch_size]
            docs = []
            for number, row, error in chunk:
                if row is None:
                    continue
                text = unicodedata.normalize("NFC", row["text"])
                doc_lang = lang if lang != "auto" else (row.get("lang") or detect_language(text))
                docs.append({"doc_id": f"line{number}", "id": row.get("id", number), "lang": doc_lang, "text": text})
            extractions = {e.doc_id: e for e in extract_documents(docs, config=config)}
            by_number = {d["doc_id"]: d for d in docs}
            for number, row, error in chunk:
                counts["lines"] += 1
                if row is None:
                    log.error("%s", error)
                    counts["errors"] += 1
                    record = {"id": None, "lang": "und", "entities": [], "triples": [], "error": error}
                else:
                    doc = by_number[f"line{number}"]
                    record = _record(doc, extractions[doc["doc_id"]], mapper)
                    counts["triples"] += len(record["triples"])
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
            if bar:
                bar.update(len(chunk))
    if bar:
        bar.close()
    return counts
