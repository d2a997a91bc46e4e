"""Train a KGE model with sLCWA and evaluate it by filtered rank-based link prediction.

:func:`train_and_evaluate` backs ``kg embed``; :func:`fit` is the training
step shared with the pipeline stage (:mod:`pipeline.embed.api`).
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from pykeen.datasets import Dataset, PathDataset, get_dataset
from pykeen.evaluation import RankBasedEvaluator
from pykeen.models import Model
from pykeen.training import SLCWATrainingLoop
from pykeen.triples import CoreTriplesFactory
from pykeen.utils import set_random_seed

from pipeline.embed.models import build_model
from pipeline.errors import ConfigError

__all__ = ["BUNDLED_DATASETS", "fit", "load_dataset", "resolve_device", "train_and_evaluate"]

logger = logging.getLogger(__name__)

#: Datasets that ship inside the PyKEEN wheel, so they load offline.
BUNDLED_DATASETS = ("nations", "umls", "kinships")

#: Files a dataset directory must hold (tab-separated ``h r t`` lines).
SPLIT_FILES = ("train.txt", "valid.txt", "test.txt")


def resolve_device(device: str = "auto") -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; anything else is passed to :class:`torch.device`."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def load_dataset(dataset: str | Path, *, reciprocal: bool = False) -> Dataset:
    """Load a bundled PyKEEN dataset by name, or a directory of ``train/valid/test.txt``.

    :param dataset: ``"nations"``, ``"umls"``, ``"kinships"``, or a directory path.
    :param reciprocal: add an inverse triple ``(t, r⁻¹, h)`` for every training triple.
    :raises ConfigError: ``[KG001]`` when the name is unknown or a split file is missing.
    """
    kwargs = dict(create_inverse_triples=reciprocal)
    if str(dataset).lower() in BUNDLED_DATASETS:
        return get_dataset(dataset=str(dataset).lower(), dataset_kwargs=kwargs)
    root = Path(dataset).expanduser()
    missing = [name for name in SPLIT_FILES if not (root / name).is_file()]
    if missing:
        raise ConfigError(
            f"Dataset {str(dataset)!r} is neither a bundled dataset ({', '.join(BUNDLED_DATASETS)}) nor a directory "
            f"holding {', '.join(SPLIT_FILES)} (missing: {', '.join(missing)}). Pass one of the names, or a folder of "
            f"tab-separated 'head<TAB>relation<TAB>tail' files."
        )
    return PathDataset(
        training_path=root / "train.txt",
        validation_path=root / "valid.txt",
        testing_path=root / "test.txt",
        **kwargs,
    )


def fit(
    model: Model,
    training: CoreTriplesFactory,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    negatives: int,
) -> list[float]:
    """Train ``model`` in place with sLCWA and Adam; return the mean loss of each epoch.

    Negatives corrupt the head or the tail of each positive uniformly at
    random (``negatives`` per positive), without filtering.
    """
    loop = SLCWATrainingLoop(
        model=model,
        triples_factory=training,
        optimizer="adam",
        optimizer_kwargs=dict(lr=lr),
        negative_sampler="basic",
        negative_sampler_kwargs=dict(num_negs_per_pos=negatives),
        automatic_memory_optimization=False,
    )
    # PyKEEN calls gc.collect() after every epoch, which rescans every object
    # of the interpreter (~0.2 s with torch and pykeen loaded, more than an
    # epoch on small graphs). Freezing moves the objects that exist now out of
    # the collector's reach for the duration; garbage made in training is still freed.
    gc.freeze()
    try:
        losses = loop.train(
            triples_factory=training,
            num_epochs=epochs,
            batch_size=min(batch_size, training.num_triples),
            use_tqdm=False,
            drop_last=False,
            pin_memory=model.device.type == "cuda",
        )
    finally:
        gc.unfreeze()
    return [float(x) for x in losses or []]


def train_and_evaluate(
    dataset: str | Path,
    *,
    model: str,
    dim: int = 64,
    epochs: int = 100,
    batch_size: int = 256,
    lr: float = 0.01,
    negatives: int = 16,
    seed: int = 42,
    device: str = "auto",
    reciprocal: bool = False,
    model_kwargs: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Train ``model`` on ``dataset`` and report filtered link-prediction metrics on its test split.

    Ranks are filtered against train, validation and test triples and
    averaged over head and tail prediction (both sides, realistic ranks).

    :param dataset: ``"nations"``, ``"umls"``, ``"kinships"``, or a directory of split files.
    :param model: ``"quaternion"``, ``"dihedron"``, or a PyKEEN model name.
    :param dim: ``d``; hypercomplex models store ``4 * d`` numbers per entity.
    :param epochs: training epochs.
    :param batch_size: positives per batch.
    :param lr: Adam learning rate.
    :param negatives: negatives per positive.
    :param seed: seed of initialisation, shuffling and negative sampling.
    :param device: ``"auto"`` (CUDA when present), ``"cpu"``, ``"cuda"``, ``"cuda:1"``, …
    :param reciprocal: train on inverse triples too, and predict heads as tails of the inverse.
    :param model_kwargs: extra keyword arguments of the model (e.g. ``{"bias": True}``).
    :return: ``{"model", "dataset", "mrr", "hits_at_1", "hits_at_3", "hits_at_10", "seconds"}``;
        ``seconds`` is the wall time of loading, training and evaluation.
    """
    start = time.perf_counter()
    set_random_seed(seed)
    data = load_dataset(dataset, reciprocal=reciprocal)
    kge = build_model(
        model, triples_factory=data.training, embedding_dim=dim, random_seed=seed, **dict(model_kwargs or {})
    ).to(resolve_device(device))
    fit(kge, data.training, epochs=epochs, batch_size=batch_size, lr=lr, negatives=negatives)
    metrics = _evaluate(kge, data, batch_size=batch_size)
    return {
        "model": model,
        "dataset": str(dataset),
        **metrics,
        "seconds": round(time.perf_counter() - start, 3),
    }


def _evaluate(model: Model, data: Dataset, *, batch_size: int) -> dict[str, float]:
    """Filtered, both-sided rank-based metrics on ``data.testing``."""
    filtered = [data.training.mapped_triples]
    if data.validation is not None:
        filtered.append(data.validation.mapped_triples)
    result = RankBasedEvaluator(filtered=True).evaluate(
        model=model,
        mapped_triples=data.testing.mapped_triples,
        additional_filter_triples=filtered,
        batch_size=batch_size,
        use_tqdm=False,
    )
    names = {"mrr": "inverse_harmonic_mean_rank", "hits_at_1": "hits_at_1", "hits_at_3": "hits_at_3"}
    names["hits_at_10"] = "hits_at_10"
    return {key: float(result.get_metric(f"both.realistic.{name}")) for key, name in names.items()}
