r"""Hypercomplex entities built from frozen text vectors, and the N3 regulariser.

Nayyeri et al. (ISWC 2023) give each entity one hypercomplex number per
dimension whose components carry different modalities:

.. math::
    \mathbf{e} = \mathbf{s}_e + \mathrm{MLP}_w(\mathbf{w}_e)\,\mathbf{i}
    + \mathrm{MLP}_s(\mathbf{s}'_e)\,\mathbf{j} + \mathrm{MLP}_d(\mathbf{d}_e)\,\mathbf{k}

with a trained structural embedding $\mathbf{s}_e$ and frozen word
($\mathbf{w}_e$), sentence ($\mathbf{s}'_e$) and document ($\mathbf{d}_e$)
vectors, each projected by its own trained two-layer tanh MLP.
:class:`TextHypercomplexRepresentation` builds that number; without the
structural part its real component is the constant 1, which makes a unit
"text rotor" close to the identity at the start of training (Robin, Lion).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from pykeen.nn.representation import Representation
from pykeen.regularizers import Regularizer
from torch import Tensor, nn

from pipeline.embed.algebra import COMPONENT_DIM

__all__ = ["MODALITIES", "N3Regularizer", "TextHypercomplexRepresentation", "TextProjection"]

#: Text modalities, in the order of the components i, j, k.
MODALITIES = ("word", "sentence", "document")


class TextProjection(nn.Module):
    """Frozen ``(n, f)`` features -> trained ``Linear(f, hidden) -> tanh -> Linear(hidden, d)``.

    Features are standardised per column once (frozen statistics) so that
    vectors of very different scales (MiniLM, FastText, Doc2Vec) start alike.

    Why the fixed ``1 / f`` and ``1 / hidden`` factors: Adam moves every weight
    by about ``lr`` per step, so a plain layer's output moves by up to
    ``lr * fan_in`` per step (a plain MLP on MiniLM vectors: 0.53 in one step at
    lr 0.01, ten times the scale of an entity component), while a structural
    embedding moves by ``lr``. Dividing each layer's input by its fan-in (and
    initialising the weights that much larger) keeps the output the same at
    the start and makes it move at the pace of the embeddings it sits beside.
    """

    def __init__(self, features: Tensor, *, dim: int, hidden: int, scale: float) -> None:
        super().__init__()
        features = features.float()
        std = features.std(dim=0, keepdim=True).clamp_min(1.0e-6) if len(features) > 1 else 1.0
        self.register_buffer("features", (features - features.mean(dim=0, keepdim=True)) / std / features.shape[1])
        self.hidden = nn.Linear(features.shape[1], hidden)
        self.out = nn.Linear(hidden, dim)
        self.scale = scale
        self.reset_parameters()

    def reset_parameters(self) -> None:
        fan_in, hidden, dim = self.hidden.in_features, self.hidden.out_features, self.out.out_features
        # pre-activations ~ N(0, 1) for standardised inputs
        nn.init.normal_(self.hidden.weight, std=fan_in**0.5)
        nn.init.zeros_(self.hidden.bias)
        # outputs at the scale of a structural component, cf. init_hypercomplex
        nn.init.normal_(self.out.weight, std=self.scale / (4 * dim) ** 0.5 * hidden**0.5 / 0.6)
        nn.init.zeros_(self.out.bias)

    def forward(self, indices: Tensor | None) -> Tensor:
        x = self.features if indices is None else self.features[indices]
        return self.out(torch.tanh(self.hidden(x)) / self.hidden.out_features)


class TextHypercomplexRepresentation(Representation):
    """Entities as ``(4, d)`` hypercomplex vectors: structure (or 1) + word i + sentence j + document k."""

    def __init__(
        self,
        *,
        max_id: int,
        dim: int,
        features: Mapping[str, np.ndarray | Tensor],
        structural: bool = True,
        hidden: int | None = None,
        scale: float = 1.0,
        **kwargs,
    ) -> None:
        """Initialize the representation.

        :param max_id: number of entities (rows of every feature matrix).
        :param dim: ``d``.
        :param features: ``{"word": (n, f_w), "sentence": (n, f_s), "document": (n, f_d)}``, frozen.
        :param structural: a trained structural embedding as the real part; else the constant 1.
        :param hidden: MLP hidden size (default ``2 * dim``).
        :param scale: expected norm of an initial entity vector, as in :func:`init_hypercomplex`.
        :param kwargs: passed to :class:`~pykeen.nn.representation.Representation` (e.g. a regularizer).
        """
        missing = [m for m in MODALITIES if m not in features]
        if missing:
            raise ValueError(f"text features lack modality/ies {', '.join(missing)} (need {', '.join(MODALITIES)})")
        # unique: the MLPs run once per distinct entity of a batch, not once per (negative) triple
        super().__init__(max_id=max_id, shape=(4, dim), unique=True, **kwargs)
        projections = {}
        for name in MODALITIES:
            matrix = torch.as_tensor(np.asarray(features[name]), dtype=torch.float32)
            if matrix.ndim != 2 or matrix.shape[0] != max_id:
                raise ValueError(f"{name} features must have shape ({max_id}, f), got {tuple(matrix.shape)}")
            projections[name] = TextProjection(matrix, dim=dim, hidden=hidden or 2 * dim, scale=scale)
        self.projections = nn.ModuleDict(projections)
        self.structure = nn.Parameter(torch.empty(max_id, dim)) if structural else None
        self.scale = scale
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.structure is not None:
            # the std of one component in init_hypercomplex
            nn.init.normal_(self.structure, std=self.scale / (4 * self.shape[-1]) ** 0.5)
        for projection in self.projections.values():
            projection.reset_parameters()

    def _plain_forward(self, indices: Tensor | None = None) -> Tensor:
        text = torch.stack([self.projections[name](indices) for name in MODALITIES], dim=COMPONENT_DIM)
        if self.structure is not None:
            real = self.structure if indices is None else self.structure[indices]
        else:
            real = text.new_ones(text.shape[:-2] + text.shape[-1:])
        return torch.cat([real.unsqueeze(COMPONENT_DIM), text], dim=COMPONENT_DIM)


class N3Regularizer(Regularizer):
    r"""Weighted nuclear 3-norm (Lacroix et al., 2018) of hypercomplex vectors: $\sum_i |x_i|^3$.

    $|x_i|$ is the Euclidean length of the i-th hypercomplex number of a
    ``(…, 4, d)`` tensor; the term is averaged over the batch.
    """

    def forward(self, x: Tensor) -> Tensor:
        return x.square().sum(dim=COMPONENT_DIM).pow(1.5).sum(dim=-1).mean()
