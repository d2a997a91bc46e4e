"""Settings of the filter stage.

The filter scores every unique candidate edge (subject, object) in [0, 1]
and drops the low-scoring ones: by default where the expected F1 of the kept
set peaks (``threshold = "expected_f1"``), or below a fixed percentile. ``method`` picks the
scorer from :data:`pipeline.filter.base.edge_filters`; the remaining fields
are the GNN scorer's (``"gae"``) and are ignored by ``"none"``.

Example (``kg.toml``)::

    [filter]
    method = "gae"
    threshold = "expected_f1"
    components = ["denoise", "topological", "local", "semantic"]
    confidence_weight = 0.5
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: Switchable parts of the GAE encoder, in the order they run
#: (BanglaAutoKG steps 4-6):
#:
#: - ``denoise``: SuperGAT attention layer with its self-supervised
#:   attention loss (otherwise a linear projection);
#: - ``topological``: GraphConv branch;
#: - ``local``: ChebConv branch (Chebyshev filter of the normalised Laplacian);
#: - ``semantic``: GAT layer on the concatenated branches (otherwise linear);
#: - ``evidence``: the semantic GAT's attention also reads each edge's extractor evidence
#:   (confidence, noisy-OR, rows, documents, co-occurrence or not); needs ``semantic``.
GAE_COMPONENTS: tuple[str, ...] = ("denoise", "topological", "local", "semantic", "evidence")


class FilterConfig(BaseModel):
    """Settings of :func:`pipeline.filter.api.run_filter`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Edge filter name (see pipeline.filter.base.edge_filters); "none" keeps every edge.
    method: str = "gae"
    #: How the keep/drop cut is chosen. "expected_f1": rank edges by score and cut where the
    #: expected F1 of the kept set peaks, each edge counting as true with its calibrated
    #: extractor evidence (noisy-OR of confidences): a noisy graph loses more edges than a
    #: clean one. "percentile": drop the ``drop_percentile`` lowest-scoring edges.
    threshold: Literal["expected_f1", "percentile"] = "expected_f1"
    #: With threshold = "percentile": edges below this percentile of the unique-edge scores are dropped.
    drop_percentile: float = Field(10.0, ge=0.0, le=100.0)
    #: Fixed alternative: keep edges scoring at least this (overrides ``threshold``).
    #: Read it off a labelled PR curve (`kg eval filter --plot`) on texts like yours.
    min_score: float | None = Field(None, ge=0.0, le=1.0)
    #: With fewer unique edges than this, the GNN is skipped for confidence scores.
    min_edges: int = Field(4, ge=1)

    # --- GNN ("gae") -----------------------------------------------------
    #: "autokg": the BanglaAutoKG encoder built from ``components``; "gcn": two plain GCN
    #: layers (the baseline link predictor of the ablation; ``components`` is ignored).
    encoder: Literal["autokg", "gcn"] = "autokg"
    #: Encoder parts that are switched on, a subset of GAE_COMPONENTS (for ablations).
    components: tuple[str, ...] = GAE_COMPONENTS
    #: Edge decoder. "cosine": trained on tau * cos(z_s, z_o) + b, scores (1 + cos) / 2
    #: (endpoint agreement; ties at 1.0 only for near-identical embeddings, e.g. a leaf and
    #: its single neighbour). "dot": sigmoid(z_s . z_o), saturates to
    #: ties at 1.0 on well-fitted edges. "mlp": small learned scorer on z_s * z_o.
    decoder: Literal["cosine", "dot", "mlp"] = "cosine"
    #: Final score = gnn_score ** (1 - w) * prior ** w (a weighted geometric mean: an edge
    #: needs both endpoint agreement and extractor evidence). 0.5 weighs them equally.
    confidence_weight: float = Field(0.5, ge=0.0, le=1.0)
    #: The extractor prior of an edge: "max" confidence over its evidence rows; their
    #: "noisy_or" 1 - prod(1 - c) (independent sentences stating the same pair corroborate it);
    #: "shared": the noisy-OR after each row's odds are divided by the number of candidate
    #: rows its sentence yields (a sentence that yields many pairs supports each one less).
    prior: Literal["max", "noisy_or", "shared"] = "shared"
    hidden_dim: int = Field(64, ge=1)
    #: Attention heads of the semantic GAT layer (averaged).
    heads: int = Field(1, ge=1)
    #: Chebyshev polynomial order of the local branch.
    cheb_k: int = Field(2, ge=1)
    dropout: float = Field(0.0, ge=0.0, lt=1.0)
    #: Weight of SuperGAT's self-supervised attention loss next to link reconstruction.
    attention_weight: float = Field(1.0, ge=0.0)
    #: Negative pairs sampled per positive edge, each epoch.
    neg_ratio: float = Field(1.0, gt=0.0)
    #: Fraction of edges held out (not used for message passing) for early stopping.
    val_fraction: float = Field(0.1, ge=0.0, le=0.5)
    epochs: int = Field(200, ge=1)
    lr: float = Field(0.01, gt=0.0)
    weight_decay: float = Field(0.0, ge=0.0)
    #: Epochs without a better validation loss before training stops.
    patience: int = Field(20, ge=1)
    #: Validate (and maybe stop) every this many epochs; a validation pass costs a forward.
    eval_every: int = Field(5, ge=1)
    #: From this many unique edges on, train a smaller model for fewer epochs (speed: the
    #: attention layers cost O(E * hidden) per epoch on CPU).
    large_graph_edges: int = Field(50_000, ge=1)
    large_graph_hidden_dim: int = Field(32, ge=1)
    large_graph_epochs: int = Field(40, ge=1)
    #: A validation loss must drop by more than this to count as better.
    min_delta: float = Field(1e-4, ge=0.0)
    seed: int = 42
    #: "auto" uses CUDA when present; otherwise "cpu", "cuda" or "cuda:N".
    device: str = "auto"
    #: CPU threads for torch while the GNN runs (restored after); 0 = auto = 1 thread. On the
    #: shared 2-core machine 2 threads cost 6x the CPU time per epoch (2.97 vs 0.48 CPU s at
    #: 100k edges, bench/filter_speed.py) and were slower in wall time; set N to try more.
    num_threads: int = Field(0, ge=0)

    @field_validator("method")
    @classmethod
    def _known_method(cls, value: str) -> str:
        from pipeline.filter.base import edge_filters  # light: no torch

        if value not in edge_filters:
            raise ValueError(f"unknown edge filter {value!r} (available: {edge_filters.names()})")
        return value

    @field_validator("components")
    @classmethod
    def _known_components(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [c for c in value if c not in GAE_COMPONENTS]
        if unknown:
            raise ValueError(f"unknown components {unknown} (available: {list(GAE_COMPONENTS)})")
        if len(set(value)) != len(value):
            raise ValueError(f"components must not repeat (got {list(value)})")
        return value

    @field_validator("device")
    @classmethod
    def _known_device(cls, value: str) -> str:
        if value in ("auto", "cpu", "cuda") or (value.startswith("cuda:") and value[5:].isdigit()):
            return value
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N' (got {value!r})")
