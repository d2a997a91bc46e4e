"""Incremental builds: redo only what changed.

Two levels, both keyed by content hashes, the config and the code version:

- **The whole build.** :func:`build_fingerprint` hashes the input files
  (path, size, modification time), the full config and the code version.
  When it equals the fingerprint of the workspace's last completed run
  (``run.json``) and the store is there, nothing has changed and the build
  is skipped (:func:`up_to_date`).
- **Extraction, per document.** Document ids are content hashes, so a
  document whose text is unchanged keeps its id. :func:`plan_extraction`
  keeps the previous mentions and relations of documents still present and
  returns only the new or changed documents for extraction, provided the
  extract config and the code are the same as when they were extracted
  (:func:`record_extraction` writes that down). Documents that disappeared
  drop out of the tables, and the store stage then deletes their graphs.

Linking, features, the filter and embeddings see the whole graph, so they
are recomputed on every run that changes anything (embeddings: the
``retrain`` policy).
"""

from __future__ import annotations

import hashlib
import json
import logging
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.config import PipelineConfig
from pipeline.ingest.readers import iter_files
from pipeline.schema import (
    DOCUMENTS,
    EXTRACT_FAILURES,
    MENTIONS,
    QUARANTINE,
    RELATIONS,
    from_rows,
)
from pipeline.workspace import Workspace

log = logging.getLogger(__name__)

_SOURCE_PACKAGES = ("pipeline", "flows", "kg_store")
_EXTRACTED = pa.schema([("doc_id", pa.string())])


@lru_cache(maxsize=1)
def code_version() -> str:
    """The installed version plus a hash of every source file, so an edit invalidates caches."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for package in _SOURCE_PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    try:
        version = metadata.version("kg-pipeline")
    except metadata.PackageNotFoundError:
        version = "0"
    return f"{version}+{digest.hexdigest()[:12]}"


def _hash(payload: object) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:20]


def build_fingerprint(inputs: list[str], config: PipelineConfig) -> str:
    """Hash of the input files (path, size, mtime), the whole config and the code version."""
    files = []
    for path in iter_files(inputs):
        try:
            stat = path.stat()
            files.append((str(path.resolve()), stat.st_size, stat.st_mtime_ns))
        except OSError:  # ingest reports it; here it only has to change the fingerprint
            files.append((str(path), None, None))
    return _hash({"files": files, "config": config.model_dump(mode="json"), "code": code_version()})


def up_to_date(workspace: Workspace, fingerprint: str, *, embedded_store: bool = True) -> dict | None:
    """The last run's summary when it was built from the same fingerprint and its store exists, else None.

    A run that failed to extract some documents is never up to date: the next build retries them.
    """
    run_path = workspace.root / "run.json"
    if not run_path.exists():
        return None
    try:
        summary = json.loads(run_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    store_present = not embedded_store or (workspace.store_dir / "CURRENT").exists()
    retry = summary.get("extraction", {}).get("failed", 0) > 0
    return summary if summary.get("fingerprint") == fingerprint and store_present and not retry else None


def _extract_fingerprint(config: PipelineConfig) -> str:
    return _hash({"extract": config.extract.model_dump(mode="json"), "code": code_version()})


def plan_extraction(workspace: Workspace, config: PipelineConfig) -> pa.Table:
    """Documents that need extracting; the reusable previous rows go in as part 0 of mentions and relations.

    Clears stale parts first, so an interrupted run cannot leak rows into this one.
    """
    for name in ("mentions", "relations", "extract_failures"):
        workspace.clear_parts(name)
    documents = workspace.read("documents")
    done = _previously_extracted(workspace, config)
    if not done:
        return documents
    present = set(documents.column("doc_id").to_pylist())
    reusable = pa.array(sorted(done & present), pa.string())
    for name, schema in (("mentions", MENTIONS), ("relations", RELATIONS)):
        previous = workspace.read(name)
        workspace.write_part(name, 0, previous.filter(pc.is_in(previous["doc_id"], value_set=reusable)), schema)
    pending = documents.filter(pc.invert(pc.is_in(documents["doc_id"], value_set=reusable)))
    log.info("incremental: %d of %d documents unchanged, %d to extract, %d gone",
             len(reusable), documents.num_rows, pending.num_rows, len(done - present))
    return pending.cast(DOCUMENTS)


def _previously_extracted(workspace: Workspace, config: PipelineConfig) -> set[str]:
    """Doc ids whose extraction can be reused: same extract config and code, tables present."""
    try:
        record = workspace.read_json("extraction.json")
    except FileNotFoundError:
        return set()
    tables_present = all(workspace.has(name) for name in ("mentions", "relations", "extracted_documents"))
    if not tables_present or record.get("fingerprint") != _extract_fingerprint(config):
        return set()
    return set(workspace.read("extracted_documents").column("doc_id").to_pylist())


def record_extraction(workspace: Workspace, config: PipelineConfig) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Collect the extraction parts into the mentions and relations tables and remember what was extracted.

    Documents an extractor failed on are not remembered, so the next build
    retries them; they join the quarantine table with stage ``extract``.
    """
    mentions = workspace.collect_parts("mentions", MENTIONS)
    relations = workspace.collect_parts("relations", RELATIONS)
    failures = workspace.collect_parts("extract_failures", EXTRACT_FAILURES)
    documents = workspace.read("documents")
    failed = pc.is_in(documents["doc_id"], value_set=failures["doc_id"])
    extracted = documents.filter(pc.invert(failed)).select(["doc_id"]).cast(_EXTRACTED)
    workspace.write("extracted_documents", extracted, _EXTRACTED)
    workspace.write_json("extraction.json", {"fingerprint": _extract_fingerprint(config)})
    if failures.num_rows:
        reason = dict(zip(failures["doc_id"].to_pylist(), failures["reason"].to_pylist()))
        rows = [{"source": d["source"], "stage": "extract", "reason": reason[d["doc_id"]]}
                for d in documents.filter(failed).select(["doc_id", "source"]).to_pylist()]
        quarantine = workspace.read("quarantine") if workspace.has("quarantine") else QUARANTINE.empty_table()
        workspace.write("quarantine", pa.concat_tables([quarantine.cast(QUARANTINE), from_rows(rows, QUARANTINE)]),
                        QUARANTINE)
    return mentions, relations, failures
