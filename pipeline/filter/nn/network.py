"""The GNN filter's network: an encoder, an optional relational layer, and a decoder, composed."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor

from pipeline.filter.inputs import NUM_EDGE_ATTRIBUTES, MessageGraph
from pipeline.filter.nn.autokg import AutoKGEncoder
from pipeline.filter.nn.decoder import DistMultDecoder, EdgeDecoder
from pipeline.filter.nn.gcn import GCNEncoder
from pipeline.filter.nn.relational import (
    RelationalConv,
    RelationEmbedding,
    relational_block,
)


class FilterNetwork(torch.nn.Module):
    r"""Embeds the entities and scores facts: :math:`s_{upv} = \sigma(d(\mathbf{z}_u, \mathbf{r}_p, \mathbf{z}_v))`.

    .. math::
        \mathbf{Z}_0 = \mathrm{Enc}(\mathbf{X}, \mathcal{P}), \qquad
        \mathbf{Z} = \mathbf{Z}_0 + \mathrm{ELU}\big(\mathrm{RelConv}(\mathbf{Z}_0, \mathcal{F}, \mathbf{R})\big)

    with :math:`\mathrm{Enc}` the BanglaAutoKG encoder (or the GCN baseline) over the
    undirected pairs :math:`\mathcal{P}`, :math:`\mathrm{RelConv}` the CompGCN-style layer over
    the directed facts :math:`\mathcal{F}` (component ``relational``), :math:`\mathbf{R}` the
    relation vectors, and :math:`d` the decoder (``distmult`` reads the relation; the others
    score the pair).

    Args:
        in_channels (int): node input size.
        hidden_channels (int): embedding size :math:`H`.
        relation_tokens (tuple): ``(tokens, owners, vocabulary, num_relations)`` of
            :func:`~pipeline.filter.inputs.relation_tokens`.
        encoder (str, optional): ``"autokg"`` or ``"gcn"``. (default: ``"autokg"``)
        components (Sequence[str], optional): switched-on parts (see ``GAE_COMPONENTS``).
        decoder (str, optional): ``"distmult"``, ``"cosine"``, ``"dot"`` or ``"mlp"``.
        heads, cheb_k, dropout: as for :class:`~pipeline.filter.nn.autokg.AutoKGEncoder`.
    """

    def __init__(self, in_channels: int, hidden_channels: int, relation_tokens: tuple[Tensor, Tensor, int, int], *,
                 encoder: str = "autokg", components: Sequence[str] = (), decoder: str = "distmult", heads: int = 1,
                 cheb_k: int = 2, dropout: float = 0.0) -> None:
        super().__init__()
        if encoder not in ("autokg", "gcn"):
            raise ValueError(f"encoder must be 'autokg' or 'gcn' (got {encoder!r})")
        self.dropout = dropout
        self.encoder: AutoKGEncoder | GCNEncoder
        if encoder == "gcn":
            self.encoder, self.components = GCNEncoder(in_channels, hidden_channels, dropout=dropout), ()
        else:
            self.encoder = AutoKGEncoder(in_channels, hidden_channels, components, heads=heads, cheb_k=cheb_k,
                                         dropout=dropout)
            self.components = self.encoder.components
        edge_dim = NUM_EDGE_ATTRIBUTES if "evidence" in self.components else None
        self.relational = RelationalConv(hidden_channels, edge_dim) if "relational" in self.components else None
        self.decoder = DistMultDecoder() if decoder == "distmult" else EdgeDecoder(decoder, hidden_channels)
        tokens, owners, vocabulary, num_relations = relation_tokens
        needs_relations = self.relational is not None or self.decoder.relational
        self.relations = (RelationEmbedding(tokens, owners, vocabulary, num_relations, hidden_channels)
                          if needs_relations else None)

    def embed(self, x: Tensor, graph: MessageGraph, neg_pairs: Tensor | None = None) -> Tensor:
        """Node embeddings :math:`(N, H)`; ``neg_pairs`` feed SuperGAT's attention loss while training."""
        z = self.encoder(x, graph.pairs, neg_edge_index=neg_pairs, edge_attr=graph.pair_attr)
        if self.relational is not None:
            relation = self.relations()[graph.fact_relation]
            z = relational_block(self.relational, z, graph.facts, relation, graph.fact_attr, self.dropout, self.training)
        return z

    def logits(self, z: Tensor, pairs: Tensor, relation: Tensor) -> Tensor:
        """Logits of the facts ``(pairs[0], relation, pairs[1])``, shape :math:`(P,)`."""
        return self.decoder(z, pairs, self._relation_vectors(relation))

    def score(self, z: Tensor, pairs: Tensor, relation: Tensor) -> Tensor:
        """Scores in :math:`[0, 1]` of the facts, shape :math:`(P,)`."""
        return self.decoder.score(z, pairs, self._relation_vectors(relation))

    def attention_loss(self) -> Tensor:
        return self.encoder.attention_loss()

    def _relation_vectors(self, relation: Tensor) -> Tensor | None:
        return self.relations()[relation] if self.decoder.relational else None
