"""KGE models by name: the hypercomplex models, and PyKEEN's models as baselines.

``kge_models`` holds our models; :func:`build_model` also accepts any name
that :data:`pykeen.models.model_resolver` knows (``"rotate"``, ``"quate"``, …).
Each factory only composes an interaction with its representations.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from pykeen.losses import Loss
from pykeen.models import ERModel, Model, model_resolver
from pykeen.nn.modules import Interaction
from pykeen.triples import KGInfo
from pykeen.typing import Hint

from pipeline.embed.algebra import init_hypercomplex, normalize_euclidean, normalize_split
from pipeline.embed.interactions import DihedronInteraction, QuaternionInteraction
from pipeline.errors import UnknownComponentError
from pipeline.registry import Registry

__all__ = ["DEFAULT_LOSS", "available_models", "build_model", "kge_models"]

#: Loss of the hypercomplex models: self-adversarial negative sampling (Sun et al., 2019).
#: The margin matters because scores are negative squared distances.
DEFAULT_LOSS: tuple[str, Mapping[str, Any]] = ("nssa", {"margin": 6.0, "adversarial_temperature": 1.0})

#: Relation normalisers of the dihedron model, by name.
DIHEDRON_NORMALIZERS: Mapping[str, Callable] = {"euclidean": normalize_euclidean, "split": normalize_split}

kge_models: Registry[Model] = Registry("kge model")


def _hypercomplex_model(
    interaction: type[Interaction],
    *,
    triples_factory: KGInfo,
    embedding_dim: int,
    relation_normalizer: Callable,
    bias: bool,
    entity_scale: float,
    loss: Hint[Loss],
    loss_kwargs: Mapping[str, Any] | None,
    random_seed: int | None,
) -> ERModel:
    """Compose ``interaction`` with ``(4, d)`` hypercomplex entity and relation embeddings."""
    if embedding_dim < 1:
        raise ValueError(f"embedding_dim must be positive (got {embedding_dim!r})")
    entities: list[dict[str, Any]] = [
        dict(shape=(4, embedding_dim), initializer=init_hypercomplex, initializer_kwargs=dict(scale=entity_scale))
    ]
    if bias:
        entities.append(dict(shape=tuple(), initializer=torch.nn.init.zeros_))
    if loss is None:
        loss, loss_kwargs = DEFAULT_LOSS[0], dict(DEFAULT_LOSS[1], **(loss_kwargs or {}))
    return ERModel(
        triples_factory=triples_factory,
        interaction=interaction,
        interaction_kwargs=dict(bias=bias),
        entity_representations_kwargs=entities,
        relation_representations_kwargs=dict(
            shape=(4, embedding_dim), initializer=init_hypercomplex, normalizer=relation_normalizer
        ),
        loss=loss,
        loss_kwargs=loss_kwargs,
        random_seed=random_seed,
    )


@kge_models.register("quaternion")
def quaternion(
    *,
    triples_factory: KGInfo,
    embedding_dim: int = 64,
    bias: bool = False,
    entity_scale: float = 1.0,
    loss: Hint[Loss] = None,
    loss_kwargs: Mapping[str, Any] | None = None,
    random_seed: int | None = None,
) -> ERModel:
    """Quaternion model: :class:`~pipeline.embed.interactions.QuaternionInteraction`, unit relations."""
    return _hypercomplex_model(
        QuaternionInteraction,
        triples_factory=triples_factory,
        embedding_dim=embedding_dim,
        relation_normalizer=normalize_euclidean,
        bias=bias,
        entity_scale=entity_scale,
        loss=loss,
        loss_kwargs=loss_kwargs,
        random_seed=random_seed,
    )


@kge_models.register("dihedron")
def dihedron(
    *,
    triples_factory: KGInfo,
    embedding_dim: int = 64,
    bias: bool = False,
    entity_scale: float = 1.0,
    relation_norm: str = "euclidean",
    loss: Hint[Loss] = None,
    loss_kwargs: Mapping[str, Any] | None = None,
    random_seed: int | None = None,
) -> ERModel:
    """Dihedron model: :class:`~pipeline.embed.interactions.DihedronInteraction`.

    :param relation_norm: ``"euclidean"`` (unit Euclidean length per number,
        bounded) or ``"split"`` (unit split norm), see :mod:`pipeline.embed.algebra`.
    """
    if relation_norm not in DIHEDRON_NORMALIZERS:
        raise UnknownComponentError("dihedron relation norm", relation_norm, sorted(DIHEDRON_NORMALIZERS))
    return _hypercomplex_model(
        DihedronInteraction,
        triples_factory=triples_factory,
        embedding_dim=embedding_dim,
        relation_normalizer=DIHEDRON_NORMALIZERS[relation_norm],
        bias=bias,
        entity_scale=entity_scale,
        loss=loss,
        loss_kwargs=loss_kwargs,
        random_seed=random_seed,
    )


def available_models() -> list[str]:
    """Our model names, then PyKEEN's."""
    return kge_models.names() + sorted(set(model_resolver.lookup_dict) - set(kge_models.names()))


def build_model(
    name: str,
    *,
    triples_factory: KGInfo,
    embedding_dim: int,
    random_seed: int | None = None,
    **kwargs: Any,
) -> Model:
    """Instantiate the model called ``name``: ours first, else PyKEEN's ``model_resolver``.

    :param name: ``"quaternion"``, ``"dihedron"`` or a PyKEEN model name (case-insensitive).
    :param triples_factory: the training triples (sizes of the embedding tables).
    :param embedding_dim: ``d``; hypercomplex models store ``4 * d`` numbers per entity.
    :param random_seed: seed for the parameter initialisation.
    :param kwargs: model-specific keyword arguments.
    :raises UnknownComponentError: ``[KG002]`` when neither registry knows ``name``.
    """
    key = name.lower()
    if key in kge_models:
        return kge_models.make(
            key, triples_factory=triples_factory, embedding_dim=embedding_dim, random_seed=random_seed, **kwargs
        )
    try:
        model_cls = model_resolver.lookup(key)
    except (KeyError, ValueError):
        raise UnknownComponentError("kge model", name, available_models()) from None
    return model_cls(triples_factory=triples_factory, embedding_dim=embedding_dim, random_seed=random_seed, **kwargs)
