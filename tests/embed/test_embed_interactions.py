"""The fused interactions against the naive reference, and inside ERModel."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
import torch
from pykeen.triples import TriplesFactory

from pipeline.embed.algebra import normalize_euclidean
from pipeline.embed.interactions import DihedronInteraction, QuaternionInteraction
from pipeline.embed.models import build_model
from tests.embed.reference import DIHEDRON_RULES, QUATERNION_RULES, basis_table, naive_score

INTERACTIONS = {
    "quaternion": (QuaternionInteraction, QUATERNION_RULES),
    "dihedron": (DihedronInteraction, DIHEDRON_RULES),
}

#: (h, r, t) batch shapes: plain batch, score_t-like, score_h-like, and a mixed broadcast
BATCH_SHAPES = [
    ((3,), (3,), (3,)),
    ((2, 1), (2, 1), (1, 5)),
    ((1, 5), (2, 1), (2, 1)),
    ((2, 1, 1), (1, 3, 1), (1, 1, 4)),
]


def random(*shape: int, generator: torch.Generator) -> torch.Tensor:
    return torch.randn(*shape, dtype=torch.float64, generator=generator)


@pytest.mark.parametrize("name", sorted(INTERACTIONS))
@pytest.mark.parametrize("shapes", BATCH_SHAPES, ids=str)
@pytest.mark.parametrize("bias", [False, True], ids=["plain", "bias"])
def test_fused_score_matches_naive(name: str, shapes, bias: bool) -> None:
    cls, rules = INTERACTIONS[name]
    generator = torch.Generator().manual_seed(zlib.crc32(f"{name}{shapes}{bias}".encode()))
    d = 3
    h, r, t = (random(*s, 4, d, generator=generator) for s in shapes)
    r = normalize_euclidean(r)  # the quaternion interaction requires unit relations
    interaction = cls(bias=bias)
    if bias:
        b_h, b_t = random(*shapes[0], generator=generator), random(*shapes[2], generator=generator)
        fused = interaction(h=(h, b_h), r=r, t=(t, b_t))
        expected = naive_score(basis_table(rules), h, r, t, b_h, b_t)
    else:
        fused = interaction(h=h, r=r, t=t)
        expected = naive_score(basis_table(rules), h, r, t)
    assert fused.shape == expected.shape
    assert torch.allclose(fused, expected, atol=1e-10)


def test_dihedron_differs_from_quaternion() -> None:
    generator = torch.Generator().manual_seed(7)
    h, r, t = (random(5, 4, 2, generator=generator) for _ in range(3))
    r = normalize_euclidean(r)
    assert not torch.allclose(QuaternionInteraction()(h, r, t), DihedronInteraction()(h, r, t))


def test_interactions_declare_shapes() -> None:
    assert QuaternionInteraction().entity_shape == ("kd",)
    assert DihedronInteraction(bias=True).entity_shape == ("kd", "")
    assert DihedronInteraction.relation_shape == ("kd",)


@pytest.fixture(scope="module")
def tiny_factory() -> TriplesFactory:
    triples = [["a", "r", "b"], ["b", "r", "c"], ["c", "s", "a"], ["a", "s", "d"], ["d", "r", "b"]]
    return TriplesFactory.from_labeled_triples(np.array(triples))


@pytest.mark.parametrize("name", ["quaternion", "dihedron"])
@pytest.mark.parametrize("bias", [False, True], ids=["plain", "bias"])
def test_ermodel_scores_agree_across_modes(tiny_factory: TriplesFactory, name: str, bias: bool) -> None:
    """score_h / score_t (1:n broadcasting) agree with score_hrt on the same triples."""
    model = build_model(name, triples_factory=tiny_factory, embedding_dim=4, random_seed=0, bias=bias)
    if bias:  # make the biases matter
        torch.nn.init.normal_(model.entity_representations[1]._embeddings.weight)
    triples = tiny_factory.mapped_triples
    hrt = model.score_hrt(triples).squeeze(-1)
    all_t = model.score_t(triples[:, :2])
    all_h = model.score_h(triples[:, 1:])
    rows = torch.arange(len(triples))
    assert torch.allclose(all_t[rows, triples[:, 2]], hrt, atol=1e-5)
    assert torch.allclose(all_h[rows, triples[:, 0]], hrt, atol=1e-5)
    # relations are unit-normalised before they reach the interaction
    relations = model.relation_representations[0](indices=None)
    assert torch.allclose(relations.square().sum(dim=-2), torch.ones(tiny_factory.num_relations, 4))
