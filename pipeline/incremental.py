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

Removals are guarded. A document leaves only when its source was read and
no longer holds it: a source that fails to read keeps its previous
documents (:func:`keep_unread`). A build that would remove more than
``[build] max_removal_share`` of the graph's documents stops before the
store is touched, unless allowed (:func:`check_removals`).

Crash safety comes from the order of writes. Each marker (``run.json``,
``extraction.json``) is deleted before the work it vouches for starts and
written after it is committed, so a kill at any point leaves no marker
that claims more than what is on disk.

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
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.config import PipelineConfig
from pipeline.errors import RemovalRefusedError
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

if TYPE_CHECKING:
    from pipeline.summary import BuildSummary

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


def up_to_date(workspace: Workspace, fingerprint: str, *, embedded_store: bool = True) -> "BuildSummary | None":
    """The last run's summary when it was built from the same fingerprint and its store exists, else None.

    A run that failed to extract some documents is never up to date: the next build retries them.
    """
    from pydantic import ValidationError

    from pipeline.summary import BuildSummary

    try:
        summary = BuildSummary.model_validate_json((workspace.root / "run.json").read_bytes())
    except (OSError, ValidationError):  # none, torn, or from an older build: build again
        return None
    store_present = not embedded_store or (workspace.store_dir / "CURRENT").exists()
    retry = summary.extraction.failed > 0
    return summary if summary.fingerprint == fingerprint and store_present and not retry else None


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
    workspace.remove("extraction.json")  # first: the tables below are about to change
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


def keep_unread(previous: pa.Table | None, documents: pa.Table, unread: list[str]) -> pa.Table:
    """``documents`` plus the previous build's documents from sources that could not be read this time.

    ``unread`` holds quarantined sources: a file (``path``) or one line or row
    of it (``path:12``). A source that did not read keeps what it held, so a
    truncated, half-copied or unreadable file never empties the graph; delete
    the file to remove its documents.
    """
    if previous is None or not unread or not previous.num_rows:
        return documents
    unread_set = set(unread)
    sources = previous.column("source").to_pylist()
    # "path:12" belongs to the file "path"; a row source is matched exactly.
    keep = [source in unread_set or source.rpartition(":")[0] in unread_set for source in sources]
    kept = previous.filter(pa.array(keep, pa.bool_()))
    kept = kept.filter(pc.invert(pc.is_in(kept["doc_id"], value_set=documents["doc_id"])))
    if kept.num_rows:
        log.warning("kept %d document(s) of the last build whose source could not be read this time "
                    "(see the quarantine table); delete the source to remove them", kept.num_rows)
    return pa.concat_tables([documents.cast(DOCUMENTS), kept.select(DOCUMENTS.names).cast(DOCUMENTS)])


def stored_document_ids(workspace: Workspace, config: PipelineConfig) -> set[str]:
    """Ids of the documents in the workspace's store (none when there is no store yet)."""
    from kg_store.api import open_store

    if config.store.backend == "oxigraph" and not (workspace.store_dir / "CURRENT").exists():
        return set()
    with open_store(workspace=workspace, config=config.store, read_only=True) as store:
        return store.document_ids()


def check_removals(workspace: Workspace, config: PipelineConfig, *, allow: bool = False) -> int:
    """How many documents this build removes from the graph; raises when that is too many.

    Compares the freshly ingested ``documents`` table with the store. More
    than ``config.build.max_removal_share`` of the stored documents gone
    raises :class:`RemovalRefusedError` unless ``allow``.
    """
    stored = stored_document_ids(workspace, config)
    removed = stored - set(workspace.read("documents").column("doc_id").to_pylist())
    limit = config.build.max_removal_share
    if stored and len(removed) / len(stored) > limit and not allow:
        raise RemovalRefusedError(
            f"This build would remove {len(removed)} of the graph's {len(stored)} documents "
            f"({len(removed) / len(stored):.0%}, more than [build] max_removal_share = {limit:.0%}); the store "
            f"was not touched. Check the inputs; if the removal is intended, re-run with --allow-removals "
            f"(flow parameter allow_removals=true)."
        )
    if removed:
        log.info("this build removes %d of %d documents from the graph", len(removed), len(stored))
    return len(removed)
