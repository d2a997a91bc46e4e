"""The edge-filter contract and its registry (filled in one place: :mod:`pipeline.filter.filters`).

An :class:`EdgeFilter` gives every unique candidate edge of a
:class:`~pipeline.filter.graph.CandidateGraph` a score in :math:`[0, 1]`;
:func:`pipeline.filter.api.run_filter` turns scores into keep/drop decisions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from pipeline.registry import Registry

if TYPE_CHECKING:
    from pipeline.filter.config import FilterConfig
    from pipeline.filter.graph import CandidateGraph


class EdgeFilter:
    r"""Base class of edge scorers: one score per unique candidate edge.

    .. math::
        s_e = f(\mathcal{G})_e \in [0, 1], \qquad e = (u, p, v) \in \mathcal{E}

    Higher means more plausible. Subclasses override :meth:`score` only; they
    may fill :attr:`training_log` (``(epoch, loss)`` pairs) and :attr:`stats`
    while scoring, for the stage's report.

    Args:
        config (FilterConfig, optional): the stage settings (default settings
            when omitted).

    Shapes:
        - **input:** a graph with :math:`|\mathcal{E}|` unique edges
        - **output:** scores :math:`(|\mathcal{E}|,)`, float32 in :math:`[0, 1]`
    """

    #: Registry name of the filter, for reports.
    name: str = "base"
    #: True for filters that only rank: the stage then keeps every edge
    #: (threshold 0) instead of cutting.
    keeps_all: bool = False

    def __init__(self, config: FilterConfig | None = None) -> None:
        if config is None:
            from pipeline.filter.config import FilterConfig

            config = FilterConfig()
        self.config = config
        self.training_log: list[tuple[int, float]] = []
        self.stats: dict[str, Any] = {}

    def score(self, graph: CandidateGraph) -> np.ndarray:
        """Score each unique edge ``graph.edge_index[:, e]``; returns shape ``(num_edges,)``."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(name={self.name!r})"


#: Edge filters by name: ``edge_filters.make("gae", config=cfg)``. Registered in pipeline.filter.filters.
edge_filters: Registry[EdgeFilter] = Registry("edge filter")
