r"""Distance-based hypercomplex interactions of Nayyeri et al. (ISWC 2023).

Entities and relations are vectors of $d$ hypercomplex numbers, stored as
tensors of shape ``(*batch_dims, 4, d)`` (see :mod:`pipeline.embed.algebra`).
The relation acts on the head by a product, and the score is the negative
squared distance to the tail, optionally shifted by entity biases:

.. math::
    f(h, r, t) = b_h + b_t - \| h \circ r - t \|_2^2
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from pykeen.nn.modules import Interaction
from pykeen.utils import estimate_cost_of_sequence
from torch import Tensor

from pipeline.embed.algebra import conjugate, dihedron_product, hamilton_product

__all__ = ["DihedronInteraction", "HypercomplexInteraction", "QuaternionInteraction"]

Product = Callable[[Tensor, Tensor], Tensor]
#: an entity: its ``(…, 4, d)`` vector, or ``(vector, bias)`` with a ``(…,)`` bias
EntityRepresentation = Tensor | tuple[Tensor, Tensor]


class HypercomplexInteraction(Interaction[EntityRepresentation, Tensor, EntityRepresentation]):
    r"""Base class: $b_h + b_t - \| h \circ r - t \|_2^2$ for an algebra's product $\circ$.

    Subclasses only set :attr:`product`.
    """

    #: the algebra's elementwise product, ``(…, 4, d) x (…, 4, d) -> (…, 4, d)``
    product: ClassVar[Product]

    relation_shape: Sequence[str] = ("kd",)

    def __init__(self, bias: bool = False) -> None:
        """Initialize the interaction.

        :param bias:
            Whether entities carry a scalar bias as a second representation
            (shape ``()``), added in both head and tail position.
        """
        super().__init__()
        self.bias = bias
        self.entity_shape = ("kd", "") if bias else ("kd",)

    def forward(self, h: EntityRepresentation, r: Tensor, t: EntityRepresentation) -> Tensor:
        """Evaluate the interaction function.

        .. seealso::
            :meth:`Interaction.forward <pykeen.nn.modules.Interaction.forward>` for the broadcasting rules.

        :param h: shape: ``(*batch_dims, 4, d)``, with ``bias`` a pair with ``(*batch_dims,)``
            The head representations.
        :param r: shape: ``(*batch_dims, 4, d)``
            The relation representations.
        :param t: shape: ``(*batch_dims, 4, d)``, with ``bias`` a pair with ``(*batch_dims,)``
            The tail representations.

        :return: shape: ``batch_dims``
            The scores.
        """
        if self.bias:
            (h, b_h), (t, b_t) = h, t
        scores = -self._distance(h, r, t)
        if self.bias:
            scores = scores + b_h + b_t
        return scores

    def _distance(self, h: Tensor, r: Tensor, t: Tensor) -> Tensor:
        return (self.product(h, r) - t).square().sum(dim=(-2, -1))


class QuaternionInteraction(HypercomplexInteraction):
    r"""The distance-based quaternion interaction of [nayyeri2023]_, a QuatE variant.

    For $\mathbf{h}, \mathbf{r}, \mathbf{t} \in \mathbb{H}^d$ with unit
    relation quaternions $|\mathbf{r}_i| = 1$ and optional biases $b_h, b_t$:

    .. math::
        b_h + b_t - \| \mathbf{h} \otimes \mathbf{r} - \mathbf{t} \|_2^2

    where $\otimes$ is the elementwise Hamilton product
    (:func:`~pipeline.embed.algebra.hamilton_product`), written out as 16
    products rather than an einsum over a multiplication table.

    .. warning ::
        $\mathbf{r}$ must have unit norm per dimension, cf.
        :func:`~pipeline.embed.algebra.normalize_euclidean`: the cheaper
        evaluation order relies on right multiplication by a unit quaternion
        being an isometry.

    .. seealso::
        :class:`pykeen.nn.modules.QuatEInteraction` scores by the inner product
        $\langle \mathbf{h} \otimes \mathbf{r}, \mathbf{t} \rangle$ instead of a distance
        (QuatE, Zhang et al., NeurIPS 2019, https://arxiv.org/abs/1904.10281).

    ---
    citation:
        author: Nayyeri
        year: 2023
        arxiv: 2208.02743
        link: https://arxiv.org/abs/2208.02743
        venue: ISWC 2023
    """

    product = staticmethod(hamilton_product)

    def _distance(self, h: Tensor, r: Tensor, t: Tensor) -> Tensor:
        if estimate_cost_of_sequence(h.shape, r.shape) <= estimate_cost_of_sequence(r.shape, t.shape):
            # rotate the head: the broadcast happens after the product
            diff = hamilton_product(h, r) - t
        else:
            # scoring many heads: rotate the tail back instead. For |r_i| = 1,
            # (h r - t) r̄ = h - t r̄ and right multiplication by r̄ keeps norms.
            diff = h - hamilton_product(t, conjugate(r))
        return diff.square().sum(dim=(-2, -1))


class DihedronInteraction(HypercomplexInteraction):
    r"""The distance-based dihedron (split-quaternion) interaction of [nayyeri2023]_.

    For $\mathbf{h}, \mathbf{r}, \mathbf{t} \in \mathbb{D}^d$, the split
    quaternions with $i^2 = -1$, $j^2 = k^2 = +1$, $ij = k$, $jk = -i$,
    $ki = j$, and optional biases $b_h, b_t$:

    .. math::
        b_h + b_t - \| \mathbf{h} \star \mathbf{r} - \mathbf{t} \|_2^2

    where $\star$ is the elementwise dihedron product
    (:func:`~pipeline.embed.algebra.dihedron_product`). Its norm
    $a^2 + b^2 - c^2 - d^2$ is indefinite, so besides rotations a relation
    can express hyperbolic rotations (stretch one axis, squeeze another) and
    reflections. The product is never an isometry of the Euclidean distance,
    so the head is always the side multiplied.

    ---
    citation:
        author: Nayyeri
        year: 2023
        arxiv: 2208.02743
        link: https://arxiv.org/abs/2208.02743
        venue: ISWC 2023
    """

    product = staticmethod(dihedron_product)
