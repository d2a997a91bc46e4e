"""``kg extract``: JSONL in, one JSON line of entities and triples out per input line.

Output lines follow the DESIGN.md contract::

    {"id", "lang", "entities": [[start, end, label, text], ...], "triples": [[subj, pred, obj], ...]}

Offsets index the input text as given (not its NFC form), and each entity's
text is the input at those offsets. Triple arguments are names (a Bangla
case ending cut off) canonicalised within the document and
across the run (:mod:`pipeline.extract.canonicalise`: "Curie" -> "Marie
Curie"). Each pair of arguments keeps its most confident triple; with a
schema, predicates are mapped onto it (:mod:`pipeline.extract.schema_mapping`).
``"confidences"`` lists one confidence per triple. A line that cannot be read
still yields an output line, with an ``error`` field.
"""

from __future__ import annotations

import json
import logging
import unicodedata
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pipeline.extract.api import extract_documents
from pipeline.extract.base import Extraction
from pipeline.extract.canonicalise import Canonicaliser
from pipeline.extract.config import ExtractConfig
from pipeline.ingest.langid import LanguageRouter

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


def document_triples(extraction: Extraction, canonicaliser: Canonicaliser, min_confidence: float = 0.0) -> list[dict]:
    """Canonical triples of one document, the most confident per argument pair."""
    canonical = canonicaliser.document(extraction.mentions)
    label = {m["mention_id"]: m["label"] for m in extraction.mentions}
    best: dict[frozenset, dict] = {}
    for r in extraction.relations:
        s, o = canonical[r["subject_mention"]], canonical[r["object_mention"]]
        if s.casefold() == o.casefold() or r["confidence"] < min_confidence:
            continue
        pair = frozenset((s.casefold(), o.casefold()))
        if pair not in best or r["confidence"] > best[pair]["confidence"]:
            best[pair] = {"subject": s, "predicate": r["predicate"], "object": o, "confidence": r["confidence"],
                          "subject_label": label[r["subject_mention"]], "object_label": label[r["object_mention"]]}
    return list(best.values())


def map_triples(triples: list[dict], mapper, keep_open: bool = False) -> None:
    """Rename open predicates onto the schema in place (one embedding batch), swapping arguments where needed.

    Predicates already in the schema stay; the others that map onto no name are marked ``unmapped``
    (left out of the output) unless ``keep_open``.
    """
    from pipeline.extract.schema_mapping import refined_type

    open_ = [t for t in triples if t["predicate"] not in mapper.names]
    mappings = mapper.map_many([(t["predicate"], t["subject_label"], refined_type(t["object_label"], t["object"]))
                                for t in open_]) if open_ else []
    for t, m in zip(open_, mappings):
        if m.relation is None:
            t["unmapped"] = not keep_open
            continue
        t["predicate"] = m.relation
        if m.reversed:
            t["subject"], t["object"] = t["object"], t["subject"]


def _record(doc: dict, extraction: Extraction, triples: list[dict]) -> dict:
    triples = [t for t in triples if not t.get("unmapped")]
    # The entity as written at its offsets (case ending included); triples carry the canonical names.
    entities = [[m["start"], m["end"], m["label"], m["surface"]]
                for m in sorted(extraction.mentions, key=lambda m: m["start"])]
    return {"id": doc["id"], "lang": doc["lang"], "entities": entities,
            "triples": [[t["subject"], t["predicate"], t["object"]] for t in triples],
            "confidences": [round(float(t["confidence"]), 3) for t in triples]}


def _write_chunk(out, input_name: str, chunk: list, docs: list[dict], extractions: dict, triples: dict, mapped,
                 counts: dict) -> None:
    if mapped is not None:
        mapped.result()
    by_number = {d["doc_id"]: d for d in docs}
    for number, row, error in chunk:
        counts["lines"] += 1
        if row is None:
            log.error("%s", error)
            counts["errors"] += 1
            record = {"id": None, "lang": "und", "entities": [], "triples": [], "error": error}
        else:
            doc = by_number[f"line{number}"]
            extraction = extractions[doc["doc_id"]]
            record = _record(doc, extraction, triples[doc["doc_id"]])
            counts["triples"] += len(record["triples"])
            if extraction.error:  # logged by the extractor; the line says why it is empty
                counts["errors"] += 1
                record["error"] = f"{input_name}:{number}: {extraction.error}"
        out.write(json.dumps(record, ensure_ascii=False) + "\n")


def extract_jsonl(input_path: str | Path, output_path: str | Path, *, lang: str = "auto",
                  schema_path: str | None = None, config: ExtractConfig = ExtractConfig(),
                  batch_size: int = 64, progress: bool = False) -> dict:
    """Extract every line of ``input_path`` into ``output_path``; returns counts."""
    mapper = None
    schema_path = schema_path or config.schema_path
    if schema_path:
        config = config.model_copy(update={"schema_path": str(schema_path)})  # the learned extractor scores its names
        from pipeline.extract.schema_mapping import SchemaMapper, read_schema

        mapper = SchemaMapper(read_schema(schema_path), threshold=config.schema_threshold, int8=config.schema_int8)
    canonicaliser = Canonicaliser(across_documents=config.canonicalise_across_documents)
    input_path, output_path = Path(input_path), Path(output_path)
    counts = {"lines": 0, "errors": 0, "triples": 0}
    lines = list(_read_lines(input_path))
    route = LanguageRouter()  # one per file: uncertain lines keep the file's majority language
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(lines), desc="extract", unit="doc")
    with output_path.open("w", encoding="utf-8") as out, ThreadPoolExecutor(max_workers=1) as mapping:
        pending = None  # the previous chunk: written once its predicates are mapped
        for start in range(0, len(lines), batch_size):
            chunk = lines[start : start + batch_size]
            docs = []
            for number, row, error in chunk:
                if row is None:
                    continue
                text = row["text"]  # as given: extraction normalises and maps offsets back into it
                doc_lang = lang if lang != "auto" else (row.get("lang") or route(unicodedata.normalize("NFC", text)))
                docs.append({"doc_id": f"line{number}", "id": row.get("id", number), "lang": doc_lang, "text": text})
            extractions = {e.doc_id: e for e in extract_documents(docs, config=config)}
            triples = {d["doc_id"]: document_triples(extractions[d["doc_id"]], canonicaliser, config.min_confidence)
                       for d in docs}
            # The sentence encoder maps this chunk's predicates in the background while spaCy parses the next.
            mapped = (mapping.submit(map_triples, [t for ts in triples.values() for t in ts], mapper,
                                     config.open_predicates) if mapper is not None else None)
            if pending:
                _write_chunk(out, str(input_path), *pending, counts)
            pending = (chunk, docs, extractions, triples, mapped)
            if bar:
                bar.update(len(chunk))
        if pending:
            _write_chunk(out, str(input_path), *pending, counts)
    if bar:
        bar.close()
    return counts
