"""The confidence ranker: the baseline filter that keeps the extractor's ranking and every edge."""

from __future__ import annotations

import numpy as np

from pipeline.filter.base import EdgeFilter
from pipeline.filter.graph import CandidateGraph


class ConfidenceFilter(EdgeFilter):
    r"""Score = the extractor's confidence (registered as ``"confidence"``; old name ``"none"``).

    .. math::
        s_e = \max_{r \in \mathrm{evidence}(e)} \mathrm{conf}_r

    It only ranks: the stage keeps every edge (``keeps_all``), whatever the cut
    says. It is also the fallback when the GNN cannot run.
    """

    name = "confidence"
    keeps_all = True

    def score(self, graph: CandidateGraph) -> np.ndarray:
        return np.clip(graph.confidence.astype(np.float32), 0.0, 1.0)
