"""Relation-typed message passing over the facts, CompGCN-style (Vashishth et al., ICLR 2020)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.nn import MessagePassing


class RelationEmbedding(torch.nn.Module):
    r"""A relation's vector: the mean of the embeddings of its tokens (see
    :func:`~pipeline.filter.inputs.relation_tokens`), so open predicates that share words share
    strength.

    .. math::
        \mathbf{r}_p = \frac{1}{|T_p|} \sum_{t \in T_p} \mathbf{e}_t

    Args:
        tokens (Tensor): token id of each (relation, token) entry :math:`(T,)`.
        owners (Tensor): relation of each entry :math:`(T,)`.
        vocabulary (int): number of distinct tokens.
        num_relations (int): number of relations :math:`R`.
        channels (int): vector size :math:`H`.

    Shapes:
        - **output:** :math:`(R, H)`
    """

    def __init__(self, tokens: Tensor, owners: Tensor, vocabulary: int, num_relations: int, channels: int) -> None:
        super().__init__()
        if len(tokens) != len(owners):
            raise ValueError(f"tokens and owners must have the same length (got {len(tokens)} and {len(owners)})")
        self.embedding = torch.nn.EmbeddingBag(max(vocabulary, 1), channels, mode="sum")
        self.register_buffer("tokens", tokens)
        self.register_buffer("owners", owners)
        counts = torch.bincount(owners, minlength=num_relations).clamp(min=1)
        self.register_buffer("weights", 1.0 / counts[owners].float())
        self.num_relations = num_relations

    def forward(self) -> Tensor:
        order = torch.argsort(self.owners, stable=True)
        offsets = torch.zeros(self.num_relations, dtype=torch.long, device=self.tokens.device)
        counts = torch.bincount(self.owners, minlength=self.num_relations)
        offsets[1:] = torch.cumsum(counts, 0)[:-1]
        return self.embedding(self.tokens[order], offsets, per_sample_weights=self.weights[order])


class RelationalConv(MessagePassing):
    r"""One CompGCN layer with multiplicative composition and evidence-gated messages.

    Each fact :math:`(u, p, v)` sends a message along its direction and one back along its
    inverse, each composed with the relation:

    .. math::
        \mathbf{h}'_v = \mathbf{W}_{\mathrm{self}} \mathbf{h}_v + \frac{1}{|\mathcal{N}(v)|}
            \sum_{(u, p) \in \mathcal{N}(v)} g_{up v}\, \mathbf{W}_{\mathrm{dir}(u, v)}
            (\mathbf{h}_u \odot \mathbf{r}_p),
        \qquad g = \sigma(\mathbf{w}^\top \mathbf{a}_{upv} + b)

    with :math:`\mathbf{W}_{\mathrm{dir}}` one of two weights (forward, inverse) and
    :math:`\mathbf{a}` the fact's evidence attributes (gate :math:`g = 1` without them).

    Args:
        channels (int): node and relation vector size :math:`H`.
        edge_dim (int, optional): size of the evidence attributes; ``None`` for no gate.

    Shapes:
        - **input:** nodes :math:`(N, H)`, facts :math:`(2, F)`, relation vectors per fact
          :math:`(F, H)`, optional attributes :math:`(F, A)`
        - **output:** :math:`(N, H)`
    """

    def __init__(self, channels: int, edge_dim: int | None = None) -> None:
        super().__init__(aggr="mean")
        if channels < 1:
            raise ValueError(f"channels must be positive (got {channels})")
        self.lin_self = torch.nn.Linear(channels, channels)
        self.lin_forward = torch.nn.Linear(channels, channels, bias=False)
        self.lin_inverse = torch.nn.Linear(channels, channels, bias=False)
        self.gate = torch.nn.Linear(edge_dim, 1) if edge_dim else None

    def forward(self, h: Tensor, facts: Tensor, relation: Tensor, edge_attr: Tensor | None = None) -> Tensor:
        edge_index = torch.cat([facts, facts.flip(0)], dim=1)
        inverse = torch.cat([torch.zeros(facts.size(1), dtype=torch.bool, device=h.device),
                             torch.ones(facts.size(1), dtype=torch.bool, device=h.device)])
        gate = None
        if self.gate is not None and edge_attr is not None:
            gate = torch.sigmoid(self.gate(edge_attr)).repeat(2, 1)
        out = self.propagate(edge_index, h=h, relation=relation.repeat(2, 1), inverse=inverse, gate=gate)
        return self.lin_self(h) + out

    def message(self, h_j: Tensor, relation: Tensor, inverse: Tensor, gate: Tensor | None) -> Tensor:
        composed = h_j * relation
        message = torch.where(inverse.unsqueeze(-1), self.lin_inverse(composed), self.lin_forward(composed))
        return message if gate is None else gate * message


def relational_block(conv: RelationalConv, h: Tensor, facts: Tensor, relation: Tensor,
                     edge_attr: Tensor | None, dropout: float, training: bool) -> Tensor:
    """A residual relational layer: ``h + ELU(conv(h))``, so it refines the relation-blind embedding."""
    return h + F.dropout(F.elu(conv(h, facts, relation, edge_attr)), p=dropout, training=training)
