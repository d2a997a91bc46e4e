"""Checks a build makes before any work: a wrong path or a dead store must not cost a run, nor the graph.

A missing input is the dangerous case: read as "no documents", it would
make the store stage delete every document of the graph. So every named
input must exist and be readable, and a remote store must answer, before
the first stage runs (``kg build`` and the ``build-kg`` flow both call
:func:`preflight`).
"""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.config import PipelineConfig
from pipeline.errors import InputError

#: Seconds a remote store gets to answer the preflight ``ASK {}``.
PING_TIMEOUT_S = 10.0


def check_inputs(inputs: list[str]) -> None:
    """Raise :class:`InputError` naming the first input that is missing or unreadable."""
    if not inputs:
        raise InputError("(none)", "was not given: name at least one file or folder")
    for item in inputs:
        path = Path(item)
        if not path.exists():
            raise InputError(str(path), "does not exist")
        if not os.access(path, os.R_OK | (os.X_OK if path.is_dir() else 0)):
            raise InputError(str(path), "is not readable (permission denied)")
        try:
            if path.is_dir():
                with os.scandir(path):
                    pass
            else:
                with path.open("rb"):
                    pass
        except OSError as err:
            raise InputError(str(path), f"cannot be read ({err.strerror or err})") from None


def check_store(config: PipelineConfig) -> None:
    """A remote store must answer a trivial query now, not after the whole pipeline ran."""
    if config.store.backend != "remote":
        return
    from kg_store.api import open_store

    with open_store(config=config.store) as store:  # EndpointError (one line) when it does not answer
        store.query("ASK {}", timeout_s=PING_TIMEOUT_S)


def preflight(inputs: list[str], config: PipelineConfig) -> None:
    """Everything a build checks before it starts; raises a :class:`~pipeline.errors.KGError`."""
    check_inputs(inputs)
    check_store(config)
