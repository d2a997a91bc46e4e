"""train_and_evaluate and the model registry, on tiny budgets."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from pykeen.models import ERModel, TransE
from pykeen.triples import TriplesFactory

from pipeline.cli import main
from pipeline.embed.models import available_models, build_model, kge_models
from pipeline.embed.presets import CONTRACT_DEFAULTS, PRESETS, resolve_settings
from pipeline.embed.train import (
    EarlyStopping,
    dataset_text_features,
    fit,
    load_dataset,
    resolve_device,
    train_and_evaluate,
)
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
    ours = ["dihedron", "lion", "quaternion", "robin", "tetra"]
    assert kge_models.names() == ours
    assert available_models()[:5] == ours and "transe" in available_models()
    factory = TriplesFactory.from_labeled_triples(
        np.array([["a", "r", "b"], ["b", "r", "c"]]),
    )
    assert isinstance(build_model("Quaternion", triples_factory=factory, embedding_dim=2), ERModel)
    assert isinstance(build_model("TransE", triples_factory=factory, embedding_dim=2), TransE)
    with pytest.raises(UnknownComponentError, match=r"KG002.*'hyperbolic'.*dihedron, lion, quaternion.*transe"):
        build_model("hyperbolic", triples_factory=factory, embedding_dim=2)
    with pytest.raises(UnknownComponentError, match=r"euclidean, split"):
        build_model("dihedron", triples_factory=factory, embedding_dim=2, relation_norm="lorentz")


def write_dataset(root: Path, *, text: bool) -> None:
    """Two communities of 6 entities; entity2text.tsv describes each by its community."""
    facts = [(f"{c}{i}", "knows", f"{c}{(i + 1) % 6}") for c in "ab" for i in range(6)]
    facts += [(f"{c}{i}", "likes", f"{c}{(i + 2) % 6}") for c in "ab" for i in range(6)]
    for name, rows in (("train.txt", facts[:-4]), ("valid.txt", facts[-4:-2]), ("test.txt", facts[-2:])):
        (root / name).write_text("".join("\t".join(row) + "\n" for row in rows), encoding="utf-8")
    if text:
        lines = ["id\tname\tdescription\n"]
        lines += [f"{c}{i}\tmember {i}\t{'a violinist in Vienna' if c == 'a' else 'a farmer in Dhaka'}\n"
                  for c in "ab" for i in range(6)]
        (root / "entity2text.tsv").write_text("".join(lines), encoding="utf-8")


@pytest.mark.parametrize("text", [True, False], ids=["entity2text", "labels-only"])
def test_tetra_trains_on_a_directory_with_or_without_texts(tmp_path: Path, text: bool) -> None:
    write_dataset(tmp_path, text=text)
    result = train_and_evaluate(tmp_path, model="tetra", model_kwargs={"algebra": "dihedron"}, **TINY)
    check_metrics(result, "tetra", str(tmp_path))


def test_dataset_text_features_follow_entity_ids(tmp_path: Path) -> None:
    write_dataset(tmp_path, text=True)
    data = load_dataset(tmp_path)
    features = dataset_text_features(tmp_path, data.training.entity_to_id, seed=0)
    sentence = features["sentence"]
    a, b = (data.training.entity_to_id[e] for e in ("a0", "b0"))
    same, other = sentence[a] @ sentence[data.training.entity_to_id["a1"]], sentence[a] @ sentence[b]
    assert same > other  # same description, same community


def test_early_stopping_stops_and_mixed_precision_trains() -> None:
    data = load_dataset("nations")
    model = build_model("quaternion", triples_factory=data.training, embedding_dim=4, random_seed=1)
    # no gain can ever reach a relative delta of 1e9: stop after 1 + patience evaluations
    stopping = EarlyStopping(validation=data.validation, frequency=1, patience=1, relative_delta=1e9)
    losses = fit(model, data.training, epochs=20, batch_size=512, lr=0.01, negatives=2, early_stopping=stopping,
                 mixed_precision=True)
    assert len(losses) == 2 and all(math.isfinite(x) for x in losses)


def test_presets_fill_only_unset_settings() -> None:
    assert resolve_settings(None, 0) == dict(CONTRACT_DEFAULTS)
    fast = resolve_settings("fast", 0, epochs=3, dim=None)
    assert fast["epochs"] == 3 and fast["dim"] == PRESETS["fast"]["dim"]
    assert resolve_settings("best", 1_000)["early_stopping"] is True
    assert resolve_settings("best", 10**6)["batch_size"] == PRESETS["best-large"]["batch_size"]
    with pytest.raises(ValueError, match="fast or best"):
        resolve_settings("slow", 0)


def test_cli_embed_prints_the_contract_json_last(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    write_dataset(tmp_path, text=True)
    args = ["embed", "--dataset", str(tmp_path), "--model", "robin", "--algebra", "dihedron", "--preset", "fast",
            "--epochs", "2", "--dim", "4", "--bias", "--n3", "0.01", "--reciprocal", "--device", "cpu"]
    assert main(args) == 0
    check_metrics(json.loads(capsys.readouterr().out.strip().splitlines()[-1]), "robin", str(tmp_path))
    with pytest.raises(SystemExit, match="--algebra applies to tetra"):
        main(["embed", "--dataset", "nations", "--model", "quaternion", "--algebra", "dihedron"])


def test_resolve_device() -> None:
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type in {"cpu", "cuda"}


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("model", ["quaternion", "dihedron"])
def test_trains_and_evaluates_on_cuda(model: str) -> None:
    check_metrics(train_and_evaluate("nations", model=model, device="cuda", **TINY), model, "nations")
