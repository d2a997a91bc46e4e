"""BanglaAutoKG's encoder (Wasi et al., LREC-COLING 2024, steps 4-6), as a swappable network.

SuperGAT denoising, topological (GraphConv) and local (ChebConv) features
concatenated, then a GAT semantic layer whose attention can also read each
edge's extractor evidence. Each stage can be switched off (``components``).
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.nn import ChebConv, GATConv, GraphConv, SuperGATConv

from pipeline.filter.config import GAE_COMPONENTS
from pipeline.filter.inputs import NUM_EDGE_ATTRIBUTES


class AutoKGEncoder(torch.nn.Module):
    r"""BanglaAutoKG's encoder: denoise, topological || local, semantic.

    .. math::
        \mathbf{H}^{(0)} &= \sigma\big(\mathrm{SuperGAT}(\mathbf{X}, \mathbf{A})\big)

        \mathbf{H}^{(1)} &= \sigma\Big(\mathrm{GraphConv}(\mathbf{H}^{(0)}, \mathbf{A})
            \,\Big\Vert\, \sum_{k=0}^{K-1} \mathbf{Z}^{(k)}\mathbf{\Theta}^{(k)}\Big),
            \quad \mathbf{Z}^{(k)} = T_k(\tilde{\mathbf{L}})\mathbf{H}^{(0)}

        \mathbf{Z} &= \mathrm{GAT}(\mathbf{H}^{(1)}, \mathbf{A}, \mathbf{E}_{\mathrm{attr}})

    with :math:`\sigma` = ELU and :math:`T_k` the Chebyshev polynomials of the
    scaled normalised Laplacian :math:`\tilde{\mathbf{L}}`. A component that is
    switched off is replaced by the cheapest stand-in: a linear layer for
    ``denoise`` and ``semantic``, the identity when both branches are off.
    With ``evidence`` the GAT's attention also reads the edge attributes
    :math:`\mathbf{E}_{\mathrm{attr}}` (:func:`evidence_attributes`), so a node
    listens more to neighbours it is linked to by strong evidence; without
    ``semantic`` it has no effect. With no component at all the encoder is a feature-only MLP (an ablation
    baseline).

    Args:
        in_channels (int): input feature size :math:`F`.
        hidden_channels (int): embedding size :math:`H` of every layer.
        components (Sequence[str], optional): parts switched on, a subset of
            :data:`~pipeline.filter.config.GAE_COMPONENTS`. (default: all)
        heads (int, optional): heads of the semantic GAT, averaged. (default: 1)
        cheb_k (int, optional): Chebyshev order :math:`K`. (default: 2)
        dropout (float, optional): feature dropout between layers. (default: 0.0)

    Shapes:
        - **input:** node features :math:`(N, F)`, edge indices :math:`(2, E)`
          (both directions), optional negative pairs :math:`(2, E^-)` for the
          SuperGAT attention loss, optional edge attributes :math:`(E, A)`
        - **output:** node embeddings :math:`(N, H)`
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int,
        components: Sequence[str] = GAE_COMPONENTS,
        heads: int = 1,
        cheb_k: int = 2,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        unknown = [c for c in components if c not in GAE_COMPONENTS]
        if unknown:
            raise ValueError(f"unknown components {unknown} (available: {list(GAE_COMPONENTS)})")
        if in_channels < 1 or hidden_channels < 1:
            raise ValueError(f"channel sizes must be positive (got in={in_channels}, hidden={hidden_channels})")
        self.components = tuple(c for c in GAE_COMPONENTS if c in components)
        self.dropout = dropout
        h = hidden_channels

        self.denoise: torch.nn.Module
        if "denoise" in self.components:
            # MX attention: the dot product of the endpoints gates GAT attention,
            # so it can be trained to separate edges from non-edges.
            self.denoise = SuperGATConv(in_channels, h, heads=1, attention_type="MX", is_undirected=True)
        else:
            self.denoise = torch.nn.Linear(in_channels, h)

        self.topological = GraphConv(h, h) if "topological" in self.components else None
        self.local = ChebConv(h, h, K=cheb_k) if "local" in self.components else None
        branches = int(self.topological is not None) + int(self.local is not None)
        mid = h * max(branches, 1)

        self.semantic: torch.nn.Module
        if "semantic" in self.components:
            # With "evidence", attention also reads each edge's extractor evidence attributes.
            edge_dim = NUM_EDGE_ATTRIBUTES if "evidence" in self.components else None
            self.semantic = GATConv(mid, h, heads=heads, concat=False, edge_dim=edge_dim)
        else:
            self.semantic = torch.nn.Linear(mid, h)

    def forward(self, x: Tensor, edge_index: Tensor, neg_edge_index: Tensor | None = None,
                edge_attr: Tensor | None = None) -> Tensor:
        if isinstance(self.denoise, SuperGATConv):
            h = self.denoise(x, edge_index, neg_edge_index=neg_edge_index)
        else:
            h = self.denoise(x)
        h = F.dropout(F.elu(h), p=self.dropout, training=self.training)

        parts = []
        if self.topological is not None:
            parts.append(self.topological(h, edge_index))
        if self.local is not None:
            parts.append(self.local(h, edge_index))
        if parts:
            h = F.dropout(F.elu(torch.cat(parts, dim=-1)), p=self.dropout, training=self.training)

        if isinstance(self.semantic, GATConv):
            return self.semantic(h, edge_index, edge_attr=edge_attr if "evidence" in self.components else None)
        return self.semantic(h)

    def attention_loss(self) -> Tensor:
        """SuperGAT's self-supervised attention loss of the last training forward (0 without ``denoise``)."""
        if isinstance(self.denoise, SuperGATConv) and self.training:
            return self.denoise.get_attention_loss()
        return torch.zeros((), device=next(self.parameters()).device)
