"""Embed stage: hypercomplex KG embeddings on PyKEEN (Nayyeri et al., ISWC 2023).

Structure-only ``quaternion`` and ``dihedron``; text-enhanced ``tetra``,
``robin`` and ``lion`` (:mod:`pipeline.embed.text`), each in either algebra.

- :func:`pipeline.embed.api.run_embed`: the stage entry (kept edges -> vectors).
- :func:`pipeline.embed.train.train_and_evaluate`: backs ``kg embed``.
- :mod:`pipeline.embed.interactions`, :mod:`pipeline.embed.models`: the models.
- :mod:`pipeline.embed.presets`: ``kg embed --preset fast|best``.

Importing this package is cheap: torch and PyKEEN load with the submodules.
"""

from __future__ import annotations

from typing import Any

__all__ = ["EmbedResult", "run_embed", "train_and_evaluate"]

_LAZY = {"EmbedResult": "api", "run_embed": "api", "train_and_evaluate": "train"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
