"""Where torch work runs: the device, the CPU threads and the seeds, for every stage that uses torch.

One module, so the GNN filter, the KGE trainer, the encoder and the taggers
agree: ``"auto"`` means CUDA when present, an explicit CUDA device must
exist, ``KG_THREADS`` caps the CPU threads, and a seeded block leaves the
caller's random state as it found it.
"""

from __future__ import annotations

import os
import random
from contextlib import contextmanager
from typing import Iterator

import numpy as np
import torch

from pipeline.errors import ConfigError


def resolve_device(name: str | torch.device = "auto") -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; an explicit CUDA device must exist."""
    if str(name) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {str(name)!r} requested but CUDA is not available; use 'auto' or 'cpu'")
    return device


def set_threads(threads: int | None = None) -> int:
    """One thread setting for every torch stage: ``threads``, ``KG_THREADS``, or the CPUs this process may use."""
    threads = threads or int(os.environ.get("KG_THREADS", "0")) or len(os.sched_getaffinity(0))
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads


@contextmanager
def cpu_threads(num: int) -> Iterator[None]:
    """Run the block with ``num`` torch intra-op CPU threads, then restore the previous count."""
    before = torch.get_num_threads()
    if num != before:
        torch.set_num_threads(num)
    try:
        yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)


@contextmanager
def seeded(seed: int, device: torch.device) -> Iterator[None]:
    """Seed Python, NumPy and torch for the block, then restore the callers' RNG states."""
    py_state, np_state = random.getstate(), np.random.get_state()
    devices = [device.index if device.index is not None else torch.cuda.current_device()] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
        try:
            yield
        finally:
            random.setstate(py_state)
            np.random.set_state(np_state)
