"""Products, conjugation and normalisers of pipeline.embed.algebra."""

from __future__ import annotations

import pytest
import torch

from pipeline.embed.algebra import (
    conjugate,
    dihedron_product,
    hamilton_product,
    init_hypercomplex,
    normalize_euclidean,
    normalize_split,
)
from tests.embed.reference import DIHEDRON_RULES, QUATERNION_RULES, basis_table, naive_product

PRODUCTS = {"quaternion": (hamilton_product, QUATERNION_RULES), "dihedron": (dihedron_product, DIHEDRON_RULES)}


def unit(name: str) -> torch.Tensor:
    """The basis element ``name`` as a ``(4, 1)`` tensor."""
    x = torch.zeros(4, 1, dtype=torch.float64)
    x["1ijk".index(name), 0] = 1.0
    return x


@pytest.mark.parametrize(
    ("algebra", "x", "y", "sign", "z"),
    [
        # dihedron: i² = -1, j² = k² = +1, ij = k, jk = -i, ki = j, and anti-commutation
        ("dihedron", "i", "i", -1, "1"),
        ("dihedron", "j", "j", 1, "1"),
        ("dihedron", "k", "k", 1, "1"),
        ("dihedron", "i", "j", 1, "k"),
        ("dihedron", "j", "k", -1, "i"),
        ("dihedron", "k", "i", 1, "j"),
        ("dihedron", "j", "i", -1, "k"),
        ("dihedron", "k", "j", 1, "i"),
        ("dihedron", "i", "k", -1, "j"),
        ("dihedron", "1", "k", 1, "k"),
        # quaternion: i² = j² = k² = ijk = -1
        ("quaternion", "i", "i", -1, "1"),
        ("quaternion", "j", "j", -1, "1"),
        ("quaternion", "k", "k", -1, "1"),
        ("quaternion", "i", "j", 1, "k"),
        ("quaternion", "j", "k", 1, "i"),
        ("quaternion", "k", "i", 1, "j"),
        ("quaternion", "j", "i", -1, "k"),
    ],
)
def test_basis_rules(algebra: str, x: str, y: str, sign: int, z: str) -> None:
    product, _ = PRODUCTS[algebra]
    assert torch.equal(product(unit(x), unit(y)), sign * unit(z))


@pytest.mark.parametrize("algebra", sorted(PRODUCTS))
def test_product_matches_naive_reference(algebra: str) -> None:
    product, rules = PRODUCTS[algebra]
    table = basis_table(rules)
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(3, 4, 5, dtype=torch.float64, generator=generator)
    y = torch.randn(3, 4, 5, dtype=torch.float64, generator=generator)
    fused = product(x, y)
    for n in range(3):
        for i in range(5):
            expected = naive_product(table, x[n, :, i].tolist(), y[n, :, i].tolist())
            assert fused[n, :, i].tolist() == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("algebra", sorted(PRODUCTS))
def test_product_is_associative_and_broadcasts(algebra: str) -> None:
    product, _ = PRODUCTS[algebra]
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(2, 1, 4, 3, dtype=torch.float64, generator=generator)
    y = torch.randn(1, 5, 4, 3, dtype=torch.float64, generator=generator)
    z = torch.randn(4, 3, dtype=torch.float64, generator=generator)
    left = product(product(x, y), z)
    assert left.shape == (2, 5, 4, 3)
    assert torch.allclose(left, product(x, product(y, z)))


def test_conjugate_gives_the_norms() -> None:
    generator = torch.Generator().manual_seed(2)
    x = torch.randn(4, 6, dtype=torch.float64, generator=generator)
    a, b, c, d = x.square()
    assert torch.allclose(hamilton_product(x, conjugate(x))[0], a + b + c + d)
    assert torch.allclose(dihedron_product(x, conjugate(x))[0], a + b - c - d)
    assert torch.allclose(hamilton_product(x, conjugate(x))[1:], torch.zeros(3, 6, dtype=torch.float64))


def test_normalize_euclidean_gives_unit_quaternions_and_bounded_dihedrons() -> None:
    generator = torch.Generator().manual_seed(3)
    r = normalize_euclidean(torch.randn(7, 4, 5, dtype=torch.float64, generator=generator))
    assert torch.allclose(r.square().sum(dim=-2), torch.ones(7, 5, dtype=torch.float64))
    # right multiplication by a unit dihedron has singular values in [0, sqrt(2)]
    basis = torch.eye(4, dtype=torch.float64).view(4, 4, 1)
    for n in range(7):
        for i in range(5):
            matrix = dihedron_product(basis, r[n, :, i : i + 1]).squeeze(-1)
            assert torch.linalg.svdvals(matrix).max() <= 2**0.5 + 1e-9


def test_normalize_split_gives_unit_split_norm() -> None:
    generator = torch.Generator().manual_seed(4)
    r = normalize_split(torch.randn(6, 4, 5, dtype=torch.float64, generator=generator))
    a, b, c, d = r.square().unbind(dim=-2)
    assert torch.allclose((a + b - c - d).abs(), torch.ones(6, 5, dtype=torch.float64))


def test_init_hypercomplex_checks_shape_and_scale() -> None:
    x = init_hypercomplex(torch.empty(2000, 4, 16), scale=2.0)
    assert x.square().sum(dim=(-2, -1)).mean().item() == pytest.approx(4.0, rel=0.05)
    with pytest.raises(ValueError, match=r"\(\.\.\., 4, d\)"):
        init_hypercomplex(torch.empty(3, 16))
