"""Decoders: a fact's (or a pair's) logit from its endpoints' embeddings."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor


class DistMultDecoder(torch.nn.Module):
    r"""Relation-conditioned fact logit, DistMult (Yang et al., ICLR 2015) on unit-length embeddings.

    .. math::
        \ell_{upv} = \tau \sum_k \hat{z}_{u,k}\, r_{p,k}\, \hat{z}_{v,k} + b,
            \qquad \hat{\mathbf{z}} = \mathbf{z} / \lVert \mathbf{z} \rVert,
            \quad \tau = \min(e^{\theta}, \tau_{\max})

    so the same pair scores differently under different predicates. Scores are
    :math:`\sigma(\ell)`.

    Args:
        max_scale (float, optional): :math:`\tau_{\max}`. (default: 10.0)

    Shapes:
        - **input:** embeddings :math:`(N, H)`, pairs :math:`(2, P)`, relation vectors :math:`(P, H)`
        - **output:** logits :math:`(P,)`
    """

    relational = True
    kind = "distmult"

    def __init__(self, max_scale: float = 10.0) -> None:
        super().__init__()
        self.max_scale = max_scale
        self.log_scale = torch.nn.Parameter(torch.tensor(float(np.log(5.0))))
        self.bias = torch.nn.Parameter(torch.zeros(()))

    def forward(self, z: Tensor, pairs: Tensor, relation: Tensor | None = None) -> Tensor:
        if relation is None:
            raise ValueError("the distmult decoder needs the relation vector of each pair (got None)")
        z = F.normalize(z, dim=-1)  # the N nodes once, not the P >> N pairs
        return self.log_scale.exp().clamp(max=self.max_scale) * (z[pairs[0]] * relation * z[pairs[1]]).sum(-1) + self.bias

    def score(self, z: Tensor, pairs: Tensor, relation: Tensor | None = None) -> Tensor:
        """Fact scores in :math:`[0, 1]`, shape :math:`(P,)`."""
        return torch.sigmoid(self.forward(z, pairs, relation))


class EdgeDecoder(torch.nn.Module):
    r"""Edge logit from the endpoints' embeddings.

    .. math::
        \mathrm{dot}:&\ \ell_{uv} = \mathbf{z}_u^\top \mathbf{z}_v

        \mathrm{cosine}:&\ \ell_{uv} = \tau \cos(\mathbf{z}_u, \mathbf{z}_v) + b,
            \quad \tau = \min(e^{\theta}, \tau_{\max})

        \mathrm{mlp}:&\ \ell_{uv} = \mathbf{w}_2^\top \mathrm{ReLU}\big(
            \mathbf{W}_1 (\mathbf{z}_u \odot \mathbf{z}_v) + \mathbf{b}_1\big) + b_2

    All three are symmetric in :math:`u, v`: the filter judges whether two
    entities belong together, not the relation's direction. Training uses the
    logits (:meth:`forward`); the filter scores with :meth:`score`:
    :math:`\sigma(\ell_{uv})` for ``dot`` and ``mlp``, and the agreement
    :math:`(1 + \cos(\mathbf{z}_u, \mathbf{z}_v)) / 2` for ``cosine`` (monotone
    in its logit, so the same ranking). Well-fitted ``dot`` logits exceed 17,
    where :math:`\sigma` rounds to exactly 1 in float32 and ties the best
    edges; the cosine agreement ties only for near-identical embeddings.

    Args:
        kind (str): ``"dot"``, ``"cosine"`` or ``"mlp"``.
        hidden_channels (int): embedding size :math:`H`.
        max_scale (float, optional): :math:`\tau_{\max}` of ``cosine``. (default: 10.0)

    Shapes:
        - **input:** embeddings :math:`(N, H)`, pairs :math:`(2, P)`
        - **output:** logits :math:`(P,)`
    """

    relational = False
    KINDS = ("dot", "cosine", "mlp")

    def __init__(self, kind: str, hidden_channels: int, max_scale: float = 10.0) -> None:
        super().__init__()
        if kind not in self.KINDS:
            raise ValueError(f"decoder must be one of {list(self.KINDS)} (got {kind!r})")
        self.kind = kind
        self.max_scale = max_scale
        if kind == "cosine":  # learned temperature and offset, cf. CLIP
            self.log_scale = torch.nn.Parameter(torch.tensor(float(np.log(5.0))))
            self.bias = torch.nn.Parameter(torch.zeros(()))
        if kind == "mlp":
            self.mlp = torch.nn.Sequential(
                torch.nn.Linear(hidden_channels, hidden_channels),
                torch.nn.ReLU(),
                torch.nn.Linear(hidden_channels, 1),
            )

    def forward(self, z: Tensor, pairs: Tensor, relation: Tensor | None = None) -> Tensor:
        if self.kind == "cosine":
            return self.log_scale.exp().clamp(max=self.max_scale) * self._cosine(z, pairs) + self.bias
        prod = z[pairs[0]] * z[pairs[1]]
        if self.kind == "dot":
            return prod.sum(dim=-1)
        return self.mlp(prod).squeeze(-1)

    def score(self, z: Tensor, pairs: Tensor, relation: Tensor | None = None) -> Tensor:
        """Edge scores in :math:`[0, 1]`, shape :math:`(P,)` (``relation`` is ignored: these decoders are relation-blind)."""
        if self.kind == "cosine":
            return (1.0 + self._cosine(z, pairs)) / 2.0
        return torch.sigmoid(self.forward(z, pairs))

    @staticmethod
    def _cosine(z: Tensor, pairs: Tensor) -> Tensor:
        # Normalise the N nodes once rather than the P >> N pairs (memory-bound on CPU).
        z = F.normalize(z, dim=-1)
        return (z[pairs[0]] * z[pairs[1]]).sum(dim=-1)
