"""Text features, text-enhanced representations and interactions (Tetra, Robin, Lion), N3."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from pykeen.triples import TriplesFactory

from pipeline.embed.algebra import normalize_euclidean
from pipeline.embed.interactions import LionInteraction, RobinInteraction
from pipeline.embed.models import build_model
from pipeline.embed.text import N3Regularizer, TextHypercomplexRepresentation, TextProjection
from pipeline.featurize.text_features import entity_text_features, read_entity_texts
from tests.embed.reference import DIHEDRON_RULES, QUATERNION_RULES, basis_table, naive_product

RULES = {"quaternion": QUATERNION_RULES, "dihedron": DIHEDRON_RULES}


def test_read_entity_texts_joins_columns_and_skips_header_and_ids(tmp_path: Path) -> None:
    path = tmp_path / "entity2text.tsv"
    path.write_text(
        "mid\tname\tlabel\tdescription\tqid\n"
        "/m/1\tLily Tomlin\tLily Tomlin\tAmerican actress\tQ229271\n"
        "/m/2\tKazoo\t\t\t\n"
        "/m/9\tNot in the graph\t\t\t\n",
        encoding="utf-8",
    )
    assert read_entity_texts(path, ["/m/1", "/m/2", "/m/3"]) == {
        "/m/1": "Lily Tomlin. American actress",
        "/m/2": "Kazoo",
    }


@pytest.fixture(scope="module")
def features() -> dict[str, np.ndarray]:
    texts = ["a river in Bangladesh", "the capital city of Bangladesh", "", "a poet who wrote songs"]
    return entity_text_features(texts, word_dim=8, doc_dim=6, epochs=2, seed=1)


def test_entity_text_features_shapes_and_empty_text(features: dict[str, np.ndarray]) -> None:
    assert {k: v.shape for k, v in features.items()} == {"word": (4, 8), "sentence": (4, 384), "document": (4, 6)}
    assert not features["sentence"][2].any() and not features["word"][2].any()
    assert features["sentence"][0].any() and np.isfinite(features["document"]).all()
    again = entity_text_features(["a river in Bangladesh", "the capital city of Bangladesh", "",
                                  "a poet who wrote songs"], word_dim=8, doc_dim=6, epochs=2, seed=1)
    assert all(np.allclose(again[k], features[k]) for k in features)  # seeded


def test_text_representation_is_frozen_text_through_trained_mlps(features: dict[str, np.ndarray]) -> None:
    rep = TextHypercomplexRepresentation(max_id=4, dim=3, features=features)
    x = rep(torch.tensor([0, 2]))
    assert x.shape == (2, 4, 3)
    x.square().sum().backward()
    assert rep.structure.grad is not None and rep.projections["word"].hidden.weight.grad is not None
    assert not any(p is rep.projections["word"].features for p in rep.parameters())  # frozen buffer
    x = rep(torch.tensor([0, 0, 3]))  # repeated ids: the MLPs run once per distinct entity
    assert torch.equal(x[0], x[1])
    rotor = TextHypercomplexRepresentation(max_id=4, dim=3, features=features, structural=False)
    assert torch.equal(rotor(torch.tensor([1]))[:, 0], torch.ones(1, 3))  # real part 1: near the identity
    with pytest.raises(ValueError, match="document"):
        TextHypercomplexRepresentation(max_id=4, dim=3, features={"word": features["word"]})


@pytest.mark.parametrize("algebra", sorted(RULES))
@pytest.mark.parametrize("cls", [RobinInteraction, LionInteraction])
def test_text_rotation_matches_naive(cls, algebra: str) -> None:
    generator = torch.Generator().manual_seed(zlib.crc32(f"{cls.__name__}{algebra}".encode()))
    h, rot_h, r, t, rot_t = (torch.randn(2, 4, 3, dtype=torch.float64, generator=generator) for _ in range(5))
    rot_h, rot_t = normalize_euclidean(rot_h), normalize_euclidean(rot_t)
    b_h, b_t = torch.randn(2, dtype=torch.float64), torch.randn(2, dtype=torch.float64)
    table = basis_table(RULES[algebra])
    expected = torch.zeros(2, dtype=torch.float64)
    for n in range(2):
        for i in range(3):
            query = np.add(naive_product(table, h[n, :, i].tolist(), rot_h[n, :, i].tolist()), r[n, :, i].tolist())
            target = t[n, :, i].tolist()
            if cls is LionInteraction:
                target = naive_product(table, target, rot_t[n, :, i].tolist())
            expected[n] -= float(np.sum((query - np.asarray(target)) ** 2))
    scores = cls(bias=True, algebra=algebra)(h=(h, rot_h, b_h), r=r, t=(t, rot_t, b_t))
    assert torch.allclose(scores, expected + b_h + b_t, atol=1e-10)
    with pytest.raises(ValueError, match="octonion"):
        cls(algebra="octonion")


def test_n3_is_the_sum_of_cubed_moduli() -> None:
    x = torch.tensor([[[3.0, 0.0], [4.0, 1.0], [0.0, 0.0], [0.0, 0.0]]])  # moduli 5 and 1
    assert N3Regularizer(weight=1.0).forward(x).item() == pytest.approx(126.0)


@pytest.mark.parametrize("name", ["tetra", "robin", "lion"])
@pytest.mark.parametrize("algebra", ["quaternion", "dihedron"])
def test_text_models_score_and_n3_adds_a_term(name: str, algebra: str, features: dict[str, np.ndarray]) -> None:
    factory = TriplesFactory.from_labeled_triples(np.array([["a", "r", "b"], ["b", "s", "c"], ["c", "r", "d"]]))
    model = build_model(name, triples_factory=factory, embedding_dim=3, text_features=features, algebra=algebra,
                        bias=True, n3=0.1, random_seed=1)
    scores = model.score_t(factory.mapped_triples[:, :2])
    assert scores.shape == (3, 4) and torch.isfinite(scores).all()
    model.score_hrt(factory.mapped_triples)
    assert model.collect_regularization_term().item() > 0


def test_projection_starts_at_embedding_scale_and_moves_at_embedding_pace() -> None:
    torch.manual_seed(0)
    projection = TextProjection(torch.randn(500, 384) * 7.0 + 3.0, dim=32, hidden=64, scale=1.0)
    before = projection(None).detach()
    assert before.std().item() == pytest.approx((1 / (4 * 32)) ** 0.5, rel=0.3)
    optimizer = torch.optim.Adam(projection.parameters(), lr=0.01)
    projection(None).sum().backward()  # every weight gets a coherent gradient: the worst case
    optimizer.step()
    assert (projection(None).detach() - before).abs().max().item() < 0.05  # a plain MLP here: 0.53
