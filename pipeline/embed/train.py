"""Train a KGE model with sLCWA and evaluate it by filtered rank-based link prediction.

:func:`train_and_evaluate` backs ``kg embed``; :func:`fit` is the training
step shared with the pipeline stage (:mod:`pipeline.embed.api`).
"""

from __future__ import annotations

import gc
import logging
import tempfile
import time
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from pykeen.datasets import Dataset, PathDataset, get_dataset
from pykeen.evaluation import RankBasedEvaluator
from pykeen.models import Model
from pykeen.stoppers import EarlyStopper
from pykeen.training import SLCWATrainingLoop
from pykeen.triples import CoreTriplesFactory
from pykeen.utils import set_random_seed

from pipeline.embed.models import TEXT_MODELS, build_model
from pipeline.errors import ConfigError
from pipeline.runtime import resolve_device

__all__ = [
    "BUNDLED_DATASETS",
    "EarlyStopping",
    "dataset_text_features",
    "fit",
    "load_dataset",
    "resolve_device",
    "train_and_evaluate",
]

logger = logging.getLogger(__name__)

#: Datasets that ship inside the PyKEEN wheel, so they load offline.
BUNDLED_DATASETS = ("nations", "umls", "kinships")

#: Files a dataset directory must hold (tab-separated ``h r t`` lines).
SPLIT_FILES = ("train.txt", "valid.txt", "test.txt")


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


@dataclass(frozen=True)
class EarlyStopping:
    """Stop when validation MRR (filtered, both sides) has not improved for ``patience`` evaluations.

    The weights of the best evaluation are restored at the end, whether training stopped early or not.
    """

    validation: CoreTriplesFactory
    #: evaluate every ``frequency`` epochs
    frequency: int = 10
    patience: int = 3
    #: smallest relative MRR gain that counts as an improvement
    relative_delta: float = 0.002


def fit(
    model: Model,
    training: CoreTriplesFactory,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    negatives: int,
    early_stopping: EarlyStopping | None = None,
    mixed_precision: bool = False,
    progress: bool = False,
) -> list[float]:
    """Train ``model`` in place with sLCWA and Adam; return the mean loss of each epoch.

    Negatives corrupt the head or the tail of each positive uniformly at
    random (``negatives`` per positive), without filtering.

    :param early_stopping: evaluate on its validation triples and keep the best weights.
    :param mixed_precision: run the forward passes under :func:`torch.autocast` (bfloat16);
        matrix products (the text MLPs, PyKEEN's bilinear models) gain most, on CUDA.
    :param progress: a progress bar over the epochs (with the running loss) on stderr.
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
    with ExitStack() as stack:
        stopper = None
        if early_stopping is not None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="kg-embed-")))
            stopper = _stopper(model, training, early_stopping, batch_size, folder / "best.pt")
        if mixed_precision:
            stack.enter_context(torch.autocast(device_type=model.device.type, dtype=torch.bfloat16))
        # PyKEEN calls gc.collect() after every epoch, which rescans every object
        # of the interpreter (~0.2 s with torch and pykeen loaded, more than an
        # epoch on small graphs). Freezing moves the objects that exist now out of
        # the collector's reach for the duration; garbage made in training is still freed.
        gc.freeze()
        stack.callback(gc.unfreeze)
        losses = loop.train(
            triples_factory=training,
            num_epochs=epochs,
            batch_size=min(batch_size, training.num_triples),
            use_tqdm=progress,
            use_tqdm_batch=False,
            drop_last=False,
            pin_memory=model.device.type == "cuda",
            stopper=stopper,
        )
        if stopper is not None and not stopper.stopped and stopper.best_model_path.is_file():
            # PyKEEN restores the best weights only when it stops early
            model.load_state_dict(torch.load(stopper.best_model_path, weights_only=True))
        if stopper is not None:
            logger.info("early stopping: best validation MRR %.4f at epoch %s", stopper.best_metric, stopper.best_epoch)
    return [float(x) for x in losses or []]


def _stopper(
    model: Model, training: CoreTriplesFactory, settings: EarlyStopping, batch_size: int, path: Path
) -> EarlyStopper:
    """Validation ranks are filtered by the training and validation triples (test triples stay unseen)."""
    return EarlyStopper(
        model=model,
        evaluator=RankBasedEvaluator(filtered=True),
        training_triples_factory=training,
        evaluation_triples_factory=settings.validation,
        evaluation_batch_size=batch_size,
        frequency=settings.frequency,
        patience=settings.patience,
        relative_delta=settings.relative_delta,
        metric="both.realistic.inverse_harmonic_mean_rank",
        best_model_path=path,
    )


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
    early_stopping: bool = False,
    eval_every: int = 10,
    patience: int = 3,
    mixed_precision: bool = False,
    model_kwargs: Mapping[str, Any] | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Train ``model`` on ``dataset`` and report filtered link-prediction metrics on its test split.

    Ranks are filtered against train, validation and test triples and
    averaged over head and tail prediction (both sides, realistic ranks).

    :param dataset: ``"nations"``, ``"umls"``, ``"kinships"``, or a directory of split files
        (with an optional ``entity2text.tsv`` for the text-enhanced models).
    :param model: ``"quaternion"``, ``"dihedron"``, ``"tetra"``, ``"robin"``, ``"lion"``, or a PyKEEN model name.
    :param dim: ``d``; hypercomplex models store ``4 * d`` numbers per entity.
    :param epochs: training epochs (the most, with ``early_stopping``).
    :param batch_size: positives per batch.
    :param lr: Adam learning rate.
    :param negatives: negatives per positive.
    :param seed: seed of initialisation, shuffling, negative sampling and text features.
    :param device: ``"auto"`` (CUDA when present), ``"cpu"``, ``"cuda"``, ``"cuda:1"``, …
    :param reciprocal: train on inverse triples too, and predict heads as tails of the inverse.
    :param early_stopping: evaluate validation MRR every ``eval_every`` epochs, stop after
        ``patience`` evaluations without gain, and test the best weights.
    :param mixed_precision: bfloat16 autocast in training, see :func:`fit`.
    :param model_kwargs: extra keyword arguments of the model (e.g. ``{"bias": True}``,
        ``{"algebra": "dihedron"}``). Text models get ``text_features`` from the dataset.
    :param progress: progress bars for training and evaluation on stderr.
    :return: ``{"model", "dataset", "mrr", "hits_at_1", "hits_at_3", "hits_at_10", "seconds"}``;
        ``seconds`` is the wall time of loading, featurising, training and evaluation.
    """
    start = time.perf_counter()
    set_random_seed(seed)
    data = load_dataset(dataset, reciprocal=reciprocal)
    kwargs = dict(model_kwargs or {})
    if model.lower() in TEXT_MODELS and "text_features" not in kwargs:
        kwargs["text_features"] = dataset_text_features(dataset, data.training.entity_to_id, seed=seed)
    kge = build_model(model, triples_factory=data.training, embedding_dim=dim, random_seed=seed, **kwargs).to(
        resolve_device(device)
    )
    stopping = _early_stopping(data, dataset, eval_every, patience) if early_stopping else None
    fit(
        kge, data.training, epochs=epochs, batch_size=batch_size, lr=lr, negatives=negatives,
        early_stopping=stopping, mixed_precision=mixed_precision, progress=progress,
    )
    metrics = _evaluate(kge, data, batch_size=batch_size, progress=progress)
    return {"model": model, "dataset": str(dataset), **metrics, "seconds": round(time.perf_counter() - start, 3)}


def _early_stopping(data: Dataset, dataset: str | Path, eval_every: int, patience: int) -> EarlyStopping:
    if data.validation is None:
        raise ConfigError(f"Dataset {str(dataset)!r} has no validation split: early stopping needs one.")
    return EarlyStopping(validation=data.validation, frequency=eval_every, patience=patience)


def dataset_text_features(dataset: str | Path, entity_to_id: Mapping[str, int], *, seed: int) -> dict[str, Any]:
    """Word, sentence and document vectors of a dataset's entities, in entity-id order.

    Descriptions come from ``DIR/entity2text.tsv`` (id, name, description…);
    ``DIR/entity2textlong.tsv``, when present, feeds the document level.
    Entities without a line, and the bundled datasets, fall back to their
    label with ``_`` read as a space ("united_kingdom" -> "united kingdom").
    """
    from pipeline.featurize.text_features import entity_text_features, read_entity_texts

    ids = sorted(entity_to_id, key=entity_to_id.__getitem__)
    root = Path(dataset).expanduser()
    descriptions: dict[str, str] = {}
    documents = None
    if str(dataset).lower() not in BUNDLED_DATASETS and (root / "entity2text.tsv").is_file():
        descriptions = read_entity_texts(root / "entity2text.tsv", ids)
        if (root / "entity2textlong.tsv").is_file():
            long = read_entity_texts(root / "entity2textlong.tsv", ids)
            documents = [long.get(i) or descriptions.get(i) or _label_text(i) for i in ids]
    missing = sum(1 for i in ids if i not in descriptions)
    logger.info("text features: %d of %d entities described, the rest by label", len(ids) - missing, len(ids))
    texts = [descriptions.get(i) or _label_text(i) for i in ids]
    return entity_text_features(texts, documents=documents, seed=seed)


def _label_text(label: str) -> str:
    return label.replace("_", " ").strip()


def _evaluate(model: Model, data: Dataset, *, batch_size: int, progress: bool = False) -> dict[str, float]:
    """Filtered, both-sided rank-based metrics on ``data.testing``."""
    filtered = [data.training.mapped_triples]
    if data.validation is not None:
        filtered.append(data.validation.mapped_triples)
    result = RankBasedEvaluator(filtered=True).evaluate(
        model=model,
        mapped_triples=data.testing.mapped_triples,
        additional_filter_triples=filtered,
        batch_size=batch_size,
        use_tqdm=progress,
    )
    names = {"mrr": "inverse_harmonic_mean_rank", "hits_at_1": "hits_at_1", "hits_at_3": "hits_at_3"}
    names["hits_at_10"] = "hits_at_10"
    return {key: float(result.get_metric(f"both.realistic.{name}")) for key, name in names.items()}
