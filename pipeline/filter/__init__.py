"""Filter stage: score candidate facts with a GNN and drop the implausible ones.

Entry point: :func:`run_filter`. Importing this package does not import torch;
the ``"gae"`` filter imports it when it runs. Filters are registered in
:mod:`pipeline.filter.filters`.
"""

from pipeline.filter.api import (
    FilterResult,
    expected_f1_threshold,
    percentile_threshold,
    run_filter,
)
from pipeline.filter.base import EdgeFilter
from pipeline.filter.config import FilterConfig
from pipeline.filter.filters import edge_filters
from pipeline.filter.graph import CandidateGraph, CandidateGraphError

__all__ = [
    "CandidateGraph",
    "CandidateGraphError",
    "EdgeFilter",
    "FilterConfig",
    "FilterResult",
    "edge_filters",
    "expected_f1_threshold",
    "percentile_threshold",
    "run_filter",
]
