"""The plain GAE baseline encoder: two GCN layers (Kipf & Welling, 2016)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.nn import GCNConv


class GCNEncoder(torch.nn.Module):
    r"""The plain baseline: two GCN layers (Kipf & Welling), as in the original GAE.

    .. math::
        \mathbf{Z} = \hat{\mathbf{A}}\,\mathrm{ELU}(\hat{\mathbf{A}}\mathbf{X}\mathbf{W}_1)\,\mathbf{W}_2

    Shapes:
        - **input:** node features :math:`(N, F)`, edge indices :math:`(2, E)`
        - **output:** node embeddings :math:`(N, H)`
    """

    components: tuple[str, ...] = ()

    def __init__(self, in_channels: int, hidden_channels: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.conv1 = GCNConv(in_channels, hidden_channels)
        self.conv2 = GCNConv(hidden_channels, hidden_channels)
        self.dropout = dropout

    def forward(self, x: Tensor, edge_index: Tensor, neg_edge_index: Tensor | None = None,
                edge_attr: Tensor | None = None) -> Tensor:
        h = F.dropout(F.elu(self.conv1(x, edge_index)), p=self.dropout, training=self.training)
        return self.conv2(h, edge_index)

    def attention_loss(self) -> Tensor:
        return torch.zeros((), device=self.conv1.lin.weight.device)
