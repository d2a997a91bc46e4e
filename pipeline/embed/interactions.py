r"""Distance-based hypercomplex interactions of Nayyeri et al. (ISWC 2023).

Entities and relations are vectors of $d$ hypercomplex numbers, stored as
tensors of shape ``(*batch_dims, 4, d)`` (see :mod:`pipeline.embed.algebra`).
The relation acts on the head by a product, and the score is the negative
squared distance to the tail, optionally shifted by entity biases:

.. math::
    f(h, r, t) = b_h + b_t - \| h \circ r - t \|_2^2

The text-enhanced Robin and Lion instead rotate entities by a unit number
made from their text and let the relation translate
(:class:`TextRotationInteraction`); Tetra uses the interactions above with
text-built entities (:mod:`pipeline.embed.text`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from pykeen.nn.modules import Interaction
from pykeen.utils import estimate_cost_of_sequence
from torch import Tensor

from pipeline.embed.algebra import conjugate, dihedron_product, hamilton_product

__all__ = [
    "ALGEBRAS",
    "DihedronInteraction",
    "HypercomplexInteraction",
    "LionInteraction",
    "QuaternionInteraction",
    "RobinInteraction",
    "TextRotationInteraction",
]

Product = Callable[[Tensor, Tensor], Tensor]
#: an entity: its ``(…, 4, d)`` vector, or ``(vector, bias)`` with a ``(…,)`` bias
EntityRepresentation = Tensor | tuple[Tensor, Tensor]
#: the products by algebra name
ALGEBRAS: dict[str, Product] = {"quaternion": hamilton_product, "dihedron": dihedron_product}


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


class TextRotationInteraction(Interaction[tuple[Tensor, ...], Tensor, tuple[Tensor, ...]]):
    r"""Base class of Robin and Lion: the entity's text rotates, the relation translates.

    Each entity is a structural vector $\mathbf{e}$ and a unit text rotor
    $\boldsymbol{\rho}_e$ (:class:`~pipeline.embed.text.TextHypercomplexRepresentation`
    without structure, normalised), optionally with a bias; a relation is a
    translation $\mathbf{r}$. Subclasses set :attr:`rotate_tail`.
    """

    #: whether the tail is rotated by its own text too (Lion) or left as is (Robin)
    rotate_tail: ClassVar[bool]

    relation_shape: Sequence[str] = ("kd",)

    def __init__(self, bias: bool = False, algebra: str = "quaternion") -> None:
        """Initialize the interaction.

        :param bias: whether entities carry a scalar bias as a third representation.
        :param algebra: ``"quaternion"`` (Hamilton product) or ``"dihedron"``.
        """
        super().__init__()
        if algebra not in ALGEBRAS:
            raise ValueError(f"unknown algebra {algebra!r}; choose one of {', '.join(ALGEBRAS)}")
        self.product = ALGEBRAS[algebra]
        self.bias = bias
        self.entity_shape = ("kd", "kd", "") if bias else ("kd", "kd")

    def forward(self, h: tuple[Tensor, ...], r: Tensor, t: tuple[Tensor, ...]) -> Tensor:
        """Evaluate the interaction; ``h`` and ``t`` are ``(vector, rotor[, bias])`` with ``(*batch_dims, 4, d)`` parts."""
        query = self.product(h[0], h[1]) + r
        target = self.product(t[0], t[1]) if self.rotate_tail else t[0]
        scores = -(query - target).square().sum(dim=(-2, -1))
        if self.bias:
            scores = scores + h[2] + t[2]
        return scores


class RobinInteraction(TextRotationInteraction):
    r"""Robin: $b_h + b_t - \| \mathbf{h} \circ \boldsymbol{\rho}_h + \mathbf{r} - \mathbf{t} \|_2^2$.

    The head is rotated by the unit hypercomplex number $\boldsymbol{\rho}_h$
    that its text vectors (word, sentence, document as the i, j, k parts of
    $1 + \ldots$) define, then translated by the relation. $\circ$ is the
    Hamilton product (``algebra="quaternion"``) or the dihedron product.
    Our reading of Nayyeri et al. (ISWC 2023), "text drives the rotation,
    the relation translates".
    """

    rotate_tail = False


class LionInteraction(TextRotationInteraction):
    r"""Lion: $b_h + b_t - \| \mathbf{h} \circ \boldsymbol{\rho}_h + \mathbf{r} - \mathbf{t} \circ \boldsymbol{\rho}_t \|_2^2$.

    Like :class:`RobinInteraction`, but both sides are rotated by their own
    text rotor before the relation translates between them.
    """

    rotate_tail = True
