"""Settings of the filter stage.

The filter scores every unique candidate fact (subject, predicate, object) in
[0, 1] and drops the low-scoring ones: by default where the expected F1 of
the kept set peaks (``cut = "expected_f1"``), or below a fixed percentile.
``method`` picks the scorer from :data:`pipeline.filter.base.edge_filters`
(registered in :mod:`pipeline.filter.filters`); the remaining fields are the
GNN scorer's (``"gae"``) and are ignored by ``"confidence"``.

Example (``kg.toml``)::

    [filter]
    method = "gae"
    cut = "expected_f1"
    components = ["denoise", "topological", "local", "semantic", "evidence", "relational"]
    confidence_weight = 0.5

Old names still load: ``method = "none"`` is ``"confidence"``, and
``threshold = "expected_f1" | "percentile"`` is ``cut``.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

logger = logging.getLogger(__name__)

#: Switchable parts of the GNN encoder, in the order they run:
#:
#: - ``denoise``: SuperGAT attention layer with its self-supervised attention loss
#:   (otherwise a linear projection); BanglaAutoKG step 4;
#: - ``topological``: GraphConv branch; step 5;
#: - ``local``: ChebConv branch (Chebyshev filter of the normalised Laplacian); step 5;
#: - ``semantic``: GAT layer on the concatenated branches (otherwise linear); step 6;
#: - ``evidence``: the semantic GAT's attention and the relational layer's messages also read
#:   each edge's extractor evidence (confidence, noisy-OR, rows, documents, co-occurrence or not);
#: - ``relational``: a relation-typed (CompGCN-style) layer over the directed facts, so a node
#:   hears each neighbour through the relation that links them.
GAE_COMPONENTS: tuple[str, ...] = ("denoise", "topological", "local", "semantic", "evidence", "relational")

#: Kinds of negative examples the self-supervision draws for each observed fact:
#:
#: - ``uniform``: head or tail replaced by any entity (link reconstruction);
#: - ``typed``: head or tail replaced by an entity seen in that slot of the same relation
#:   (its domain or range: a type-consistent corruption);
#: - ``relation``: the predicate replaced by another relation of the graph;
#: - ``document``: head or tail replaced by another entity of the fact's document (the
#:   extractor's own kind of error: a wrong attachment between entities of one text).
NEGATIVE_KINDS: tuple[str, ...] = ("uniform", "typed", "relation", "document")

#: Old method names that still load, with the current name.
_RENAMED_METHODS = {"none": "confidence"}


class FilterConfig(BaseModel):
    """Settings of :func:`pipeline.filter.api.run_filter`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Edge filter name (see pipeline.filter.filters): "gae" (the GNN) or "confidence" (ranks by
    #: extractor confidence and keeps every edge). "none" is the old name of "confidence".
    method: str = "gae"
    #: What a unique edge is: "fact" (subject, predicate, object: each predicate of a pair is
    #: scored on its own) or "pair" (subject, object: one score for all predicates of a pair).
    unit: Literal["fact", "pair"] = "fact"
    #: How the keep/drop cut is chosen. "expected_f1": rank edges by score and cut where the
    #: expected F1 of the kept set peaks, each edge counting as true with its calibrated score:
    #: a noisy graph loses more edges than a clean one. "percentile": drop the ``drop_percentile``
    #: lowest-scoring edges. (Old name: ``threshold``.)
    cut: Literal["expected_f1", "percentile"] = "expected_f1"
    #: With cut = "percentile": edges below this percentile of the unique-edge scores are dropped.
    drop_percentile: float = Field(10.0, ge=0.0, le=100.0)
    #: Fixed alternative: keep edges scoring at least this (overrides ``cut``).
    #: Read it off a labelled reliability or PR curve (`kg eval filter --plot`) on texts like yours.
    min_score: float | None = Field(None, ge=0.0, le=1.0)
    #: Map the scores onto probabilities (Platt scaling fitted, without labels, to the
    #: extractor's sentence-shared noisy-OR evidence); the map is monotone, so the ranking stays.
    calibrate: bool = True
    #: With fewer unique edges than this, the GNN is skipped for confidence scores.
    min_edges: int = Field(4, ge=1)

    # --- GNN ("gae") -----------------------------------------------------
    #: "autokg": the BanglaAutoKG encoder built from ``components``; "gcn": two plain GCN
    #: layers (the baseline link predictor of the ablation; ``components`` is ignored).
    encoder: Literal["autokg", "gcn"] = "autokg"
    #: Encoder parts that are switched on, a subset of GAE_COMPONENTS (for ablations).
    components: tuple[str, ...] = GAE_COMPONENTS
    #: Edge decoder. "distmult": relation-conditioned, tau * <z_s, r_p, z_o> on unit-length
    #: embeddings (a fact's score depends on its predicate). Relation-blind ones score the pair:
    #: "cosine": tau * cos(z_s, z_o) + b; "dot": z_s . z_o; "mlp": a small scorer on z_s * z_o.
    decoder: Literal["distmult", "cosine", "dot", "mlp"] = "distmult"
    #: Negative kinds drawn per observed fact (a subset of NEGATIVE_KINDS), one of each kind.
    #: On webnlg_dev, network-alone AP: relation+document 0.69, document 0.70, all four 0.63,
    #: typed+relation+document 0.64 (docs/notes/issue-16.md).
    negatives: tuple[str, ...] = ("relation", "document")
    #: Score each fact with a model that never saw it: train ``folds`` models, each with one
    #: fold of the pairs held out of training and message passing, and score that fold.
    #: 1 = one model trained on all edges scores them all. Cross-fitting measured worse on
    #: webnlg_dev (network alone 0.66 with 3 folds vs 0.70 with 1). Large graphs use 1 (speed).
    folds: int = Field(1, ge=1)
    #: Final score = gnn_score ** (1 - w) * prior ** w (a weighted geometric mean: an edge
    #: needs both endpoint agreement and extractor evidence). 0.5 weighs them equally.
    confidence_weight: float = Field(0.5, ge=0.0, le=1.0)
    #: The extractor prior of an edge: "max" confidence over its evidence rows; their
    #: "noisy_or" 1 - prod(1 - c) (independent sentences stating the same fact corroborate it);
    #: "shared": the noisy-OR after each row's odds are divided by the number of candidate
    #: rows its sentence yields (a sentence that yields many facts supports each one less).
    prior: Literal["max", "noisy_or", "shared"] = "shared"
    #: Whose evidence rows the prior combines: the fact's own ("fact") or those of its whole
    #: (subject, object) pair ("pair": paraphrased predicates from other sentences corroborate
    #: the pair; the network's fact score then tells its predicates apart).
    prior_scope: Literal["fact", "pair"] = "pair"
    hidden_dim: int = Field(64, ge=1)
    #: Attention heads of the semantic GAT layer (averaged).
    heads: int = Field(1, ge=1)
    #: Chebyshev polynomial order of the local branch.
    cheb_k: int = Field(2, ge=1)
    dropout: float = Field(0.0, ge=0.0, lt=1.0)
    #: Weight of SuperGAT's self-supervised attention loss next to the fact loss.
    attention_weight: float = Field(1.0, ge=0.0)
    #: Fraction of pairs held out (not used for message passing) for early stopping (folds = 1).
    val_fraction: float = Field(0.1, ge=0.0, le=0.5)
    epochs: int = Field(200, ge=1)
    lr: float = Field(0.01, gt=0.0)
    weight_decay: float = Field(0.0, ge=0.0)
    #: Epochs without a better validation loss before training stops.
    patience: int = Field(20, ge=1)
    #: Validate (and maybe stop) every this many epochs; a validation pass costs a forward.
    eval_every: int = Field(5, ge=1)
    #: From this many unique edges on, train one smaller model for fewer epochs (speed: the
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

    @model_validator(mode="before")
    @classmethod
    def _old_names(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if "threshold" in data:
            if "cut" in data:
                raise ValueError("give `cut` only: `threshold` is its old name")
            logger.warning("[filter] threshold = %r is now called cut", data["threshold"])
            data["cut"] = data.pop("threshold")
        if data.get("method") in _RENAMED_METHODS:
            logger.warning("[filter] method = %r is now called %r", data["method"], _RENAMED_METHODS[data["method"]])
            data["method"] = _RENAMED_METHODS[data["method"]]
        return data

    @field_validator("method")
    @classmethod
    def _known_method(cls, value: str) -> str:
        from pipeline.filter.filters import edge_filters  # light: no torch

        if value not in edge_filters:
            raise ValueError(f"unknown edge filter {value!r} (available: {edge_filters.names()})")
        return value

    @field_validator("components", "negatives")
    @classmethod
    def _known_parts(cls, value: tuple[str, ...], info) -> tuple[str, ...]:
        known = GAE_COMPONENTS if info.field_name == "components" else NEGATIVE_KINDS
        unknown = [c for c in value if c not in known]
        if unknown:
            raise ValueError(f"unknown {info.field_name} {unknown} (available: {list(known)})")
        if len(set(value)) != len(value):
            raise ValueError(f"{info.field_name} must not repeat (got {list(value)})")
        return value

    @field_validator("device")
    @classmethod
    def _known_device(cls, value: str) -> str:
        if value in ("auto", "cpu", "cuda") or (value.startswith("cuda:") and value[5:].isdigit()):
            return value
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N' (got {value!r})")
