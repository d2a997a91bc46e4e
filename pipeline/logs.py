"""What `kg build` prints: one line per stage with its counts and seconds, warnings, nothing else.

Without ``-v`` the console shows warnings from anyone and, at INFO, only
the stage lines (logger ``flows.build_kg.stages``); the stages' own INFO
lines (models loaded, batches, epochs), Prefect's (its temporary server
and docs link, "Finished in state Completed()" per task) and PyKEEN's
("Inferred unique=False") stay out. ``-v`` shows them all. Lines go
through ``tqdm.write``, so the build's progress bar on a terminal stays
whole, and library progress bars (transformers' "Loading weights") are
switched off.
"""

from __future__ import annotations

import logging
import os
import contextlib
import sys
from collections.abc import Iterator

STAGES = logging.getLogger("flows.build_kg.stages")


class _ConsoleFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or record.name == STAGES.name


class _TqdmStream:
    """A stream that writes through ``tqdm.write``, which clears and redraws any progress bar around the line."""

    def __init__(self, stream) -> None:
        self.stream = stream

    def write(self, text: str) -> None:
        from tqdm import tqdm

        if text.strip():
            tqdm.write(text.rstrip("\n"), file=self.stream)

    def flush(self) -> None:
        self.stream.flush()


def verbose() -> bool:
    """``kg -v`` sets the pipeline's loggers to DEBUG (pipeline.cli)."""
    return logging.getLogger("pipeline").isEnabledFor(logging.DEBUG)


def quiet_console() -> None:
    """Keep the console to stage lines and warnings, unless -v. Idempotent; lasts for the process (Prefect
    logs its "Stopping temporary server" at exit)."""
    if verbose():
        return
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # read when transformers is imported
    logging.captureWarnings(True)  # Python warnings become WARNING records: shown, once, and through tqdm.write
    for handler in logging.getLogger().handlers:
        # Only the terminal's handler (pipeline.cli's basicConfig), never a test's capture handler.
        if type(handler) is logging.StreamHandler and handler.stream in (sys.stderr, sys.__stderr__):
            if not any(isinstance(f, _ConsoleFilter) for f in handler.filters):
                handler.addFilter(_ConsoleFilter())
                handler.setStream(_TqdmStream(handler.stream))


def describe(stage: str, result) -> str:
    """A stage's result as words: ``"72 documents, 0 sources quarantined"``, never a dict repr."""
    if hasattr(result, "model_dump"):  # the stage stats models of pipeline.summary
        result = result.model_dump()
    r = result if isinstance(result, dict) else {}
    if stage == "ingest":
        return f"{r.get('documents', 0)} documents, {r.get('quarantined', 0)} sources quarantined"
    if stage == "extract":
        routes = ", ".join(f"{k} {v}" for k, v in sorted(r.get("routes", {}).items()))
        return (f"{r.get('documents', 0)} documents in {r.get('batches', 0)} batches ({routes or 'none new'}): "
                f"{r.get('mentions', 0)} mentions, {r.get('relations', 0)} relations, {r.get('failed', 0)} failed")
    if stage == "link":
        return f"{result} entities"
    if stage == "featurize":
        return f"{result} entity feature vectors"
    if stage == "filter":
        threshold = r.get("threshold")
        return (f"kept {r.get('kept', 0)} of {r.get('edges', 0)} candidate edges ({r.get('method', '?')}"
                + (f", threshold {threshold:.3f})" if isinstance(threshold, float) else ")"))
    if stage == "embed":
        return f"{r.get('model', '?')}, {r.get('dim', '?')} dimensions, {r.get('entities', 0)} entities on {r.get('device', '?')}"
    if stage == "store":
        return (f"{r.get('quads', 0)} quads ({r.get('quads_added', 0)} added), {r.get('documents', 0)} document graphs, "
                f"{r.get('facts_kept', 0)} kept and {r.get('facts_dropped', 0)} dropped statements")
    if stage == "export":
        missing = r.get("entities_without_vector")
        return (f"{r.get('facts', 0)} facts, {r.get('entities', 0)} entities, {r.get('relations', 0)} relations"
                + (f" ({missing} entities without a vector, listed)" if missing else ""))
    if isinstance(result, dict):
        return ", ".join(f"{k} {v}" for k, v in result.items() if isinstance(v, (int, float, str)))
    return str(result)


def stage_done(stage: str, result, seconds: float) -> None:
    """Log a stage's one line: its counts in words and the seconds it took."""
    STAGES.info("%s: %s (%.1f s)", stage, describe(stage, result), seconds)


#: The stages of a build, in order: one step of the progress bar each.
BUILD_STAGES = ("ingest", "extract", "link", "featurize", "filter", "embed", "store", "export", "report")


class _ProgressHandler(logging.Handler):
    """Moves a bar one step per stage line."""

    def __init__(self, bar) -> None:
        super().__init__(logging.INFO)
        self.bar = bar

    def emit(self, record: logging.LogRecord) -> None:
        self.bar.set_postfix_str(str(record.args[0]) if record.args else "")
        self.bar.update()


@contextlib.contextmanager
def stage_progress() -> Iterator[None]:
    """A bar over the build's stages while ``kg build`` runs, when a person watches a terminal.

    It follows the stage lines (:func:`stage_done`), so the flow knows nothing of it.
    """
    from tqdm import tqdm

    bar = tqdm(total=len(BUILD_STAGES), desc="build-kg", unit="stage", disable=not sys.stderr.isatty(), leave=False)
    handler = _ProgressHandler(bar)
    STAGES.addHandler(handler)
    try:
        yield
    finally:
        STAGES.removeHandler(handler)
        bar.close()
