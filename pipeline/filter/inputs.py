"""Tensors the GNN filter reads off a :class:`~pipeline.filter.graph.CandidateGraph`.

Node inputs, per-edge evidence attributes, the predicates as bags of word
tokens, and :class:`MessageGraph`: the edges a forward pass propagates over.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor
from torch_geometric.utils import to_undirected

from pipeline.filter.graph import CandidateGraph

#: Columns of :func:`evidence_attributes`.
EDGE_ATTRIBUTES = ("confidence", "noisy_or", "shared", "pair_shared", "log_evidence", "log_documents", "cooccurrence")
NUM_EDGE_ATTRIBUTES = len(EDGE_ATTRIBUTES)

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def node_inputs(graph: CandidateGraph) -> Tensor:
    """Features plus a "no features" indicator column: shape ``(N, F + 1)``."""
    x = torch.as_tensor(graph.x, dtype=torch.float32)
    missing = torch.as_tensor(~graph.has_features, dtype=torch.float32).unsqueeze(-1)
    return torch.cat([x, missing], dim=-1)


def evidence_attributes(graph: CandidateGraph) -> Tensor:
    """Per unique edge, its extractor evidence (:data:`EDGE_ATTRIBUTES`): max confidence, noisy-OR,
    sentence-shared noisy-OR (of the fact, and of its whole pair), log(1 + rows), log(1 + documents),
    and whether a co-occurrence extractor (no syntactic path) produced it. Shape ``(E, 7)``."""
    columns = [
        graph.confidence,
        graph.corroboration,
        graph.shared_corroboration,
        graph.prior("shared", "pair"),
        np.log1p(graph.evidence_count),
        np.log1p(graph.doc_count),
        graph.extractor.astype(str) == "cooccurrence",
    ]
    return torch.as_tensor(np.stack(columns, axis=1).astype(np.float32)).reshape(graph.num_edges, NUM_EDGE_ATTRIBUTES)


def pair_attributes(graph: CandidateGraph, attributes: Tensor, pairs: Tensor) -> Tensor:
    """Attributes of undirected ``pairs`` (:math:`u < v`): the element-wise max over the edges joining them."""
    n = max(graph.num_nodes, 1)
    ei = torch.as_tensor(graph.edge_index)
    key = torch.minimum(ei[0], ei[1]) * n + torch.maximum(ei[0], ei[1])
    keys, inverse = torch.unique(key, return_inverse=True)
    merged = torch.full((len(keys), attributes.size(1)), -torch.inf).scatter_reduce(
        0, inverse.unsqueeze(1).expand_as(attributes), attributes, reduce="amax")
    return merged[torch.searchsorted(keys, (pairs[0] * n + pairs[1]).cpu())]


def relation_tokens(graph: CandidateGraph, min_count: int = 2) -> tuple[Tensor, Tensor, int, int]:
    r"""Each predicate as a bag of its lower-cased words, so open predicates share strength
    ("born in", "was born in"); words seen in fewer than ``min_count`` predicates share one
    "rare" token, and every predicate also has a token of its own name when it labels at least
    ``min_count`` edges.

    Returns:
        (token ids :math:`(T,)`, owning relation of each token :math:`(T,)`, vocabulary size,
        number of relations)
    """
    names = [str(p) for p in graph.relation_names]
    words = [sorted(set(_WORD.findall(p.casefold()))) or ["<empty>"] for p in names]
    df: dict[str, int] = {}
    for bag in words:
        for w in bag:
            df[w] = df.get(w, 0) + 1
    vocab = {"<rare>": 0}
    uses = np.bincount(graph.relation, minlength=len(names)) if graph.num_edges else np.zeros(len(names), int)
    tokens, owners = [], []
    for r, bag in enumerate(words):
        bag = [w if df[w] >= min_count else "<rare>" for w in bag]
        if uses[r] >= min_count:
            bag.append("=" + names[r])
        for w in dict.fromkeys(bag):
            tokens.append(vocab.setdefault(w, len(vocab)))
            owners.append(r)
    return torch.tensor(tokens, dtype=torch.long), torch.tensor(owners, dtype=torch.long), len(vocab), len(names)


@dataclass
class MessageGraph:
    """The edges one forward pass propagates over.

    Attributes:
        pairs: undirected pairs, both directions :math:`(2, 2P)`, for the relation-blind layers.
        pair_attr: their evidence attributes :math:`(2P, 7)`.
        facts: the directed facts :math:`(2, F)`, for the relational layer.
        fact_relation: their relation ids :math:`(F,)`.
        fact_attr: their evidence attributes :math:`(F, 7)`.
    """

    pairs: Tensor
    pair_attr: Tensor
    facts: Tensor
    fact_relation: Tensor
    fact_attr: Tensor

    @classmethod
    def of_edges(cls, graph: CandidateGraph, attributes: Tensor, edges: Tensor, device: torch.device) -> "MessageGraph":
        """The message graph of the unique edges ``edges`` (indices into the graph's edges), self-loops left out."""
        ei = torch.as_tensor(graph.edge_index)[:, edges]
        rel = torch.as_tensor(graph.relation)[edges]
        attr = attributes[edges]
        keep = ei[0] != ei[1]
        ei, rel, attr = ei[:, keep], rel[keep], attr[keep]
        canonical = torch.stack([torch.minimum(ei[0], ei[1]), torch.maximum(ei[0], ei[1])])
        n = max(graph.num_nodes, 1)
        unique = torch.unique(canonical[0] * n + canonical[1])
        pairs = torch.stack([unique // n, unique % n])
        both, both_attr = to_undirected(pairs, pair_attributes(graph, attributes, pairs), num_nodes=graph.num_nodes)
        return cls(both.to(device), both_attr.to(device), ei.to(device), rel.to(device), attr.to(device))
