"""Which edges train, which validate, and the negative examples of the self-supervision.

All draws use the global torch RNG: seed it first (``runtime.seeded``).
"""

from __future__ import annotations

import torch
from torch import Tensor

from pipeline.filter.graph import CandidateGraph


def _pair_groups(graph: CandidateGraph) -> Tensor:
    """Canonical undirected pair id of each edge: an edge, its reverse and its other predicates share one."""
    ei = torch.as_tensor(graph.edge_index)
    n = max(graph.num_nodes, 1)
    return torch.unique(torch.minimum(ei[0], ei[1]) * n + torch.maximum(ei[0], ei[1]), return_inverse=True)[1]


def _loops(graph: CandidateGraph) -> Tensor:
    ei = torch.as_tensor(graph.edge_index)
    return ei[0] == ei[1]


def split_edges(graph: CandidateGraph, val_fraction: float) -> tuple[Tensor, Tensor]:
    r"""Hold out ``val_fraction`` of the pairs: indices of the training and held-out unique edges.

    Whole pairs move together, so an edge, its reverse and its other predicates never sit on
    both sides. Self-loops are on neither side (they are scored, never trained on).

    Shapes:
        - **output:** train edge indices :math:`(T,)`, held-out edge indices :math:`(V,)`
    """
    group, loops = _pair_groups(graph), _loops(graph)
    groups = torch.unique(group[~loops])
    groups = groups[torch.randperm(len(groups))]
    num_val = int(val_fraction * len(groups))
    if len(groups) - num_val < 2:  # too small to hold anything out
        num_val = 0
    held = torch.isin(group, groups[:num_val])
    return torch.nonzero(~held & ~loops).flatten(), torch.nonzero(held & ~loops).flatten()


def fold_edges(graph: CandidateGraph, folds: int) -> list[Tensor]:
    """Partition all unique edges (self-loops included) into ``folds`` parts by pair; indices per fold."""
    group = _pair_groups(graph)
    num_groups = int(group.max()) + 1 if len(group) else 0
    fold_of_group = torch.randperm(num_groups) % folds
    return [torch.nonzero(fold_of_group[group] == k).flatten() for k in range(folds)]


def document_membership(graph: CandidateGraph) -> tuple[Tensor, tuple[Tensor, Tensor]]:
    """A document of each unique edge (one of its rows'), and every (document, entity) membership."""
    row_edge, row_doc = torch.as_tensor(graph.row_edge), torch.as_tensor(graph.row_doc)
    fact_doc = torch.zeros(graph.num_edges, dtype=torch.long)
    fact_doc[row_edge] = row_doc  # any of its rows: an edge's rows mostly share one text
    ends = torch.as_tensor(graph.edge_index)[:, row_edge]
    return fact_doc, (row_doc.repeat(2), ends.reshape(-1))


def pair_keys(edge_index: Tensor, num_nodes: int) -> Tensor:
    """Sorted unique ``u * N + v`` keys of the directed pairs in ``edge_index``."""
    return torch.unique(edge_index[0] * num_nodes + edge_index[1])


def _seen(observed: Tensor, key: Tensor) -> Tensor:
    if observed.numel() == 0:
        return torch.zeros_like(key, dtype=torch.bool)
    pos = torch.searchsorted(observed, key).clamp(max=observed.numel() - 1)
    return observed[pos] == key


def sample_negatives(num_nodes: int, num: int, observed: Tensor) -> Tensor:
    r"""``num`` (or fewer, on dense graphs) uniform random pairs that are neither self-loops nor ``observed``.

    Draws pairs with replacement and drops the hits by a binary search in the
    sorted ``observed`` keys (see :func:`pair_keys`): :math:`O(P \log E)` and
    vectorised, unlike rejection sampling pair by pair.

    Shapes:
        - **output:** :math:`(2, P)`, :math:`P \le` ``num``
    """
    if num_nodes < 2:
        return torch.empty((2, 0), dtype=torch.long, device=observed.device)
    draw = int(num * 1.2) + 16  # spare draws for the rejected ones
    u = torch.randint(0, num_nodes, (draw,), device=observed.device)
    v = torch.randint(0, num_nodes, (draw,), device=observed.device)
    keep = (u != v) & ~_seen(observed, u * num_nodes + v)
    return torch.stack([u[keep], v[keep]])[:, :num]


class FactCorruptor:
    r"""Negative facts made by corrupting observed ones (Bordes et al., 2013; type-constrained
    as in Krompaß et al., 2015).

    For each positive :math:`(u, p, v)` and each kind:

    - ``uniform``: :math:`(u', p, v)` or :math:`(u, p, v')` with any entity;
    - ``typed``: the replacement is an entity seen in that slot of :math:`p` among the training
      facts (its domain or range), so the negative has the right type and only the pairing is
      wrong;
    - ``relation``: :math:`(u, p', v)` with :math:`p'` drawn by frequency among the training facts;
    - ``document``: the replacement is another entity of the fact's document.

    Self-loops and facts observed anywhere in the graph are dropped.

    Args:
        pairs (Tensor): training facts' (head, tail) :math:`(2, T)`.
        relation (Tensor): their relations :math:`(T,)`.
        observed (Tensor): sorted keys :math:`(uN + v)R + p` of every observed fact.
        num_nodes (int), num_relations (int): sizes.
        fact_doc (Tensor, optional): a document of each training fact :math:`(T,)`.
        doc_entities (tuple, optional): ``(documents, entities)`` of every (document, entity)
            membership, for ``document`` negatives.
    """

    def __init__(self, pairs: Tensor, relation: Tensor, observed: Tensor, num_nodes: int, num_relations: int,
                 fact_doc: Tensor | None = None, doc_entities: tuple[Tensor, Tensor] | None = None) -> None:
        self.pairs, self.relation, self.observed = pairs, relation, observed
        self.num_nodes, self.num_relations = num_nodes, max(num_relations, 1)
        # slot members per relation, CSR: heads (domain) and tails (range)
        self.slots = [self._members(relation, pairs[side], self.num_relations) for side in (0, 1)]
        self.fact_doc = fact_doc
        if doc_entities is not None:
            docs, entities = doc_entities
            self.documents = self._members(docs, entities, int(docs.max()) + 1 if len(docs) else 0)

    def _members(self, group: Tensor, nodes: Tensor, num_groups: int) -> tuple[Tensor, Tensor, Tensor]:
        key = torch.unique(group * self.num_nodes + nodes)
        owner, node = key // self.num_nodes, key % self.num_nodes
        counts = torch.bincount(owner, minlength=num_groups)
        starts = torch.cumsum(counts, 0) - counts
        return node, starts, counts

    @staticmethod
    def _draw(members: tuple[Tensor, Tensor, Tensor], group: Tensor) -> Tensor:
        nodes, starts, counts = members
        pick = starts[group] + (torch.rand(len(group), device=group.device) * counts[group]).long()
        return nodes[pick.clamp(max=max(len(nodes) - 1, 0))]

    def keys(self, pairs: Tensor, relation: Tensor) -> Tensor:
        return (pairs[0] * self.num_nodes + pairs[1]) * self.num_relations + relation

    def corrupt(self, kinds: tuple[str, ...]) -> tuple[Tensor, Tensor]:
        """One negative per training fact and kind: ``(pairs (2, P), relations (P,))``."""
        out_pairs, out_rel = [], []
        t, device = self.pairs.size(1), self.pairs.device
        for kind in kinds:
            pairs, rel = self.pairs.clone(), self.relation.clone()
            side = torch.randint(0, 2, (t,), device=device)
            if kind == "uniform":
                replacement = torch.randint(0, self.num_nodes, (t,), device=device)
                pairs[side, torch.arange(t, device=device)] = replacement
            elif kind == "typed":
                for s in (0, 1):
                    rows = torch.nonzero(side == s).flatten()
                    pairs[s, rows] = self._draw(self.slots[s], rel[rows])
            elif kind == "document":
                if self.fact_doc is None:
                    raise ValueError("document negatives need fact_doc and doc_entities (got None)")
                pairs[side, torch.arange(t, device=device)] = self._draw(self.documents, self.fact_doc)
            elif kind == "relation":
                rel = self.relation[torch.randint(0, t, (t,), device=device)]
            else:
                raise ValueError(f"unknown negative kind {kind!r} (available: uniform, typed, relation, document)")
            keep = (pairs[0] != pairs[1]) & ~_seen(self.observed, self.keys(pairs, rel))
            out_pairs.append(pairs[:, keep])
            out_rel.append(rel[keep])
        if not out_pairs:
            return torch.empty((2, 0), dtype=torch.long, device=device), torch.empty(0, dtype=torch.long, device=device)
        return torch.cat(out_pairs, dim=1), torch.cat(out_rel)
