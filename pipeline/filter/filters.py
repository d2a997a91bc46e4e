"""Registration of edge filters, in one place (as kg_store/backends.py does for store backends).

``edge_filters.make("gae", config=cfg)``. Each factory imports its module
lazily, so naming a filter costs nothing (no torch) until it runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline.filter.base import EdgeFilter, edge_filters

if TYPE_CHECKING:
    from pipeline.filter.config import FilterConfig

__all__ = ["edge_filters"]


@edge_filters.register("confidence")
def _confidence(config: FilterConfig | None = None) -> EdgeFilter:
    """Extractor confidence, keeps every edge."""
    from pipeline.filter.confidence import ConfidenceFilter

    return ConfidenceFilter(config)


@edge_filters.register("gae")
def _gae(config: FilterConfig | None = None) -> EdgeFilter:
    """The GNN semantic filter (imports torch on first use)."""
    from pipeline.filter.gae import GAEFilter

    return GAEFilter(config)
