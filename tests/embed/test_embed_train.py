"""train_and_evaluate and the model registry, on tiny budgets."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from pykeen.models import ERModel, TransE
from pykeen.triples import TriplesFactory

from pipeline.embed.models import available_models, build_model, kge_models
from pipeline.embed.train import load_dataset, resolve_device, train_and_evaluate
from pipeline.errors import ConfigError, UnknownComponentError

KEYS = ["model", "dataset", "mrr", "hits_at_1", "hits_at_3", "hits_at_10", "seconds"]
TINY = dict(dim=8, epochs=2, batch_size=512, negatives=2)


def check_metrics(result: dict, model: str, dataset: str) -> None:
    assert list(result) == KEYS
    assert (result["model"], result["dataset"]) == (model, dataset)
    for key in KEYS[2:6]:
        assert math.isfinite(result[key]) and 0.0 <= result[key] <= 1.0, key
    assert result["hits_at_1"] <= result["hits_at_3"] <= result["hits_at_10"]
    assert result["seconds"] > 0


@pytest.mark.parametrize("model", ["quaternion", "dihedron"])
def test_train_and_evaluate_on_nations(model: str) -> None:
    check_metrics(train_and_evaluate("nations", model=model, **TINY), model, "nations")


def test_train_and_evaluate_reciprocal_with_bias() -> None:
    result = train_and_evaluate("nations", model="dihedron", reciprocal=True, model_kwargs={"bias": True}, **TINY)
    check_metrics(result, "dihedron", "nations")


def test_train_and_evaluate_is_seeded() -> None:
    first, second = (train_and_evaluate("nations", model="quaternion", epochs=1, dim=4, seed=3) for _ in range(2))
    assert first["mrr"] == second["mrr"]


def test_train_and_evaluate_on_a_directory(tmp_path: Path) -> None:
    facts = [(f"e{i}", "next" if i % 2 else "skip", f"e{(i + 1 + i % 2) % 8}") for i in range(8)]
    for name, rows in (("train.txt", facts), ("valid.txt", facts[:2]), ("test.txt", facts[2:4])):
        (tmp_path / name).write_text("".join("\t".join(row) + "\n" for row in rows), encoding="utf-8")
    check_metrics(train_and_evaluate(tmp_path, model="quaternion", **TINY), "quaternion", str(tmp_path))


def test_unknown_dataset_says_what_to_pass(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"KG001.*nations.*missing: train\.txt"):
        load_dataset(tmp_path)


def test_registry_names_and_pykeen_fallback() -> None:
    assert kge_models.names() == ["dihedron", "quaternion"]
    assert available_models()[:2] == ["dihedron", "quaternion"] and "transe" in available_models()
    factory = TriplesFactory.from_labeled_triples(
        np.array([["a", "r", "b"], ["b", "r", "c"]]),
    )
    assert isinstance(build_model("Quaternion", triples_factory=factory, embedding_dim=2), ERModel)
    assert isinstance(build_model("TransE", triples_factory=factory, embedding_dim=2), TransE)
    with pytest.raises(UnknownComponentError, match=r"KG002.*'hyperbolic'.*dihedron, quaternion.*transe"):
        build_model("hyperbolic", triples_factory=factory, embedding_dim=2)
    with pytest.raises(UnknownComponentError, match=r"euclidean, split"):
        build_model("dihedron", triples_factory=factory, embedding_dim=2, relation_norm="lorentz")


def test_resolve_device() -> None:
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type in {"cpu", "cuda"}


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("model", ["quaternion", "dihedron"])
def test_trains_and_evaluates_on_cuda(model: str) -> None:
    check_metrics(train_and_evaluate("nations", model=model, device="cuda", **TINY), model, "nations")
