"""Ingest: sources -> batches of normalised, language-tagged documents."""

from __future__ import annotations

import hashlib
import logging
import unicodedata
from pathlib import Path
from typing import Callable, Iterator

import pyarrow as pa

from pipeline.errors import SourceError
from pipeline.ingest.config import IngestConfig
from pipeline.ingest.langid import LanguageRouter
from pipeline.ingest.readers import RawRecord, iter_files, read_source
from pipeline.schema import DOCUMENTS, from_rows

log = logging.getLogger(__name__)

ErrorHandler = Callable[[SourceError], None]


def log_error(error: SourceError) -> None:
    log.warning("skipped %s", error)


def document_id(text: str) -> str:
    """Content hash of the normalised text: the same text always gets the same id."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def language_router(config: IngestConfig) -> LanguageRouter:
    """The router of one run, from the ingest settings."""
    return LanguageRouter(config.languages, min_confidence=config.min_lang_confidence, prior=config.prior_lang)


def _to_row(record: RawRecord, config: IngestConfig, route: LanguageRouter) -> dict:
    # The id and language come from the normalised text (same content, same id); the row keeps
    # the text as given, because offsets index it (extraction normalises: pipeline.textnorm).
    normalised = unicodedata.normalize("NFC", record.text).strip()
    if not normalised:
        raise SourceError(record.source, "empty document")
    if len(record.text) > config.max_chars:
        raise SourceError(record.source,
                          f"document too large ({len(record.text)} characters > max_chars={config.max_chars})")
    lang = record.lang or (config.lang if config.lang != "auto" else route(normalised))
    return {"doc_id": document_id(normalised), "source": record.source, "lang": lang, "text": record.text}


def run_ingest(
    inputs: list[str | Path], *, config: IngestConfig = IngestConfig(), on_error: ErrorHandler = log_error
) -> Iterator[pa.Table]:
    """Read every input and yield :data:`~pipeline.schema.DOCUMENTS` batches.

    Files and folders of .txt/.md/.jsonl/.csv are read one at a time, so the
    corpus is never held in memory whole. Text is kept as given; duplicates
    (same NFC content) are kept once. Bad inputs go to ``on_error`` and the run
    goes on.
    """
    seen: set[str] = set()
    batch: list[dict] = []
    route = language_router(config)
    for path in iter_files(inputs, log_skipped=True):
        for item in read_source(path, text_field=config.text_field, id_field=config.id_field, max_chars=config.max_chars):
            if isinstance(item, SourceError):
                on_error(item)
                continue
            try:
                row = _to_row(item, config, route)
            except SourceError as err:
                on_error(err)
                continue
            if row["doc_id"] in seen:
                log.info("%s duplicates an earlier document; kept once", item.source)
                continue
            seen.add(row["doc_id"])
            batch.append(row)
            if len(batch) >= config.batch_size:
                yield from_rows(batch, DOCUMENTS)
                batch = []
    if batch:
        yield from_rows(batch, DOCUMENTS)
    route.release()  # the later stages of a build need the memory more
