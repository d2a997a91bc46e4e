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
from pykeen.nn.representation import Embedding, Representation
from pykeen.triples import KGInfo
from pykeen.typing import Hint

from pipeline.embed.algebra import init_hypercomplex, normalize_euclidean, normalize_split
from pipeline.embed.interactions import (
    DihedronInteraction,
    LionInteraction,
    QuaternionInteraction,
    RobinInteraction,
    TextRotationInteraction,
)
from pipeline.embed.text import N3Regularizer, TextHypercomplexRepresentation
from pipeline.errors import UnknownComponentError
from pipeline.registry import Registry

__all__ = ["DEFAULT_LOSS", "TEXT_MODELS", "available_models", "build_model", "kge_models"]

#: Loss of the hypercomplex models: self-adversarial negative sampling (Sun et al., 2019).
#: The margin matters because scores are negative squared distances.
DEFAULT_LOSS: tuple[str, Mapping[str, Any]] = ("nssa", {"margin": 6.0, "adversarial_temperature": 1.0})

#: Relation normalisers of the dihedron model, by name.
DIHEDRON_NORMALIZERS: Mapping[str, Callable] = {"euclidean": normalize_euclidean, "split": normalize_split}

kge_models: Registry[Model] = Registry("kge model")

#: The structure-only interaction of each algebra.
STRUCTURE_INTERACTIONS: Mapping[str, type[Interaction]] = {
    "quaternion": QuaternionInteraction,
    "dihedron": DihedronInteraction,
}


def _structural(max_id: int, dim: int, scale: float, n3: float) -> Embedding:
    """Trained ``(4, d)`` hypercomplex vectors, optionally N3-regularised."""
    return Embedding(
        max_id=max_id,
        shape=(4, dim),
        initializer=init_hypercomplex,
        initializer_kwargs=dict(scale=scale),
        regularizer=N3Regularizer(weight=n3) if n3 else None,
    )


def _compose(
    interaction: Interaction,
    entities: list[Representation],
    relations: Representation,
    *,
    triples_factory: KGInfo,
    bias: bool,
    loss: Hint[Loss],
    loss_kwargs: Mapping[str, Any] | None,
    random_seed: int | None,
) -> ERModel:
    """An :class:`ERModel` of ready representations (plus a zero-initialised entity bias when ``bias``)."""
    if bias:
        entities = [*entities, Embedding(max_id=triples_factory.num_entities, shape=tuple(), initializer=torch.nn.init.zeros_)]
    if loss is None:
        loss, loss_kwargs = DEFAULT_LOSS[0], dict(DEFAULT_LOSS[1], **(loss_kwargs or {}))
    return ERModel(
        triples_factory=triples_factory,
        interaction=interaction,
        entity_representations=entities,
        relation_representations=relations,
        loss=loss,
        loss_kwargs=loss_kwargs,
        random_seed=random_seed,
    )


def _check_dim(embedding_dim: int) -> None:
    if embedding_dim < 1:
        raise ValueError(f"embedding_dim must be positive (got {embedding_dim!r})")


def _check_algebra(algebra: str) -> None:
    if algebra not in STRUCTURE_INTERACTIONS:
        raise UnknownComponentError("algebra", algebra, sorted(STRUCTURE_INTERACTIONS))


def _structure_model(
    algebra: str,
    *,
    triples_factory: KGInfo,
    embedding_dim: int,
    relation_normalizer: Callable,
    bias: bool,
    entity_scale: float,
    n3: float,
    loss: Hint[Loss],
    loss_kwargs: Mapping[str, Any] | None,
    random_seed: int | None,
) -> ERModel:
    """Structure-only entities: ``(4, d)`` embeddings, unit-normalised relations."""
    _check_dim(embedding_dim)
    return _compose(
        STRUCTURE_INTERACTIONS[algebra](bias=bias),
        [_structural(triples_factory.num_entities, embedding_dim, entity_scale, n3)],
        Embedding(
            max_id=triples_factory.num_relations,
            shape=(4, embedding_dim),
            initializer=init_hypercomplex,
            normalizer=relation_normalizer,
        ),
        triples_factory=triples_factory,
        bias=bias,
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
    n3: float = 0.0,
    loss: Hint[Loss] = None,
    loss_kwargs: Mapping[str, Any] | None = None,
    random_seed: int | None = None,
) -> ERModel:
    """Quaternion model: :class:`~pipeline.embed.interactions.QuaternionInteraction`, unit relations.

    :param bias: entity biases $b_h + b_t$ in the score.
    :param entity_scale: expected norm of an initial entity vector.
    :param n3: weight of the N3 regulariser on entity vectors (0: off).
    """
    return _structure_model(
        "quaternion",
        triples_factory=triples_factory,
        embedding_dim=embedding_dim,
        relation_normalizer=normalize_euclidean,
        bias=bias,
        entity_scale=entity_scale,
        n3=n3,
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
    n3: float = 0.0,
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
    return _structure_model(
        "dihedron",
        triples_factory=triples_factory,
        embedding_dim=embedding_dim,
        relation_normalizer=DIHEDRON_NORMALIZERS[relation_norm],
        bias=bias,
        entity_scale=entity_scale,
        n3=n3,
        loss=loss,
        loss_kwargs=loss_kwargs,
        random_seed=random_seed,
    )


@kge_models.register("tetra")
def tetra(
    *,
    triples_factory: KGInfo,
    text_features: Mapping[str, Any],
    embedding_dim: int = 64,
    algebra: str = "quaternion",
    bias: bool = False,
    entity_scale: float = 1.0,
    hidden: int | None = None,
    n3: float = 0.0,
    loss: Hint[Loss] = None,
    loss_kwargs: Mapping[str, Any] | None = None,
    random_seed: int | None = None,
) -> ERModel:
    """Tetra: one hypercomplex entity = structure + word i + sentence j + document k, scored like ``algebra``.

    :param text_features: ``{"word", "sentence", "document"}`` -> ``(num_entities, f)`` frozen
        vectors in entity-id order, cf. :func:`pipeline.featurize.text_features.entity_text_features`.
    :param algebra: ``"quaternion"`` (unit relations) or ``"dihedron"`` (Euclidean-normalised relations).
    :param hidden: hidden size of the text MLPs (default ``2 * embedding_dim``).
    """
    _check_dim(embedding_dim)
    _check_algebra(algebra)
    entity = TextHypercomplexRepresentation(
        max_id=triples_factory.num_entities,
        dim=embedding_dim,
        features=text_features,
        structural=True,
        hidden=hidden,
        scale=entity_scale,
        regularizer=N3Regularizer(weight=n3) if n3 else None,
    )
    return _compose(
        STRUCTURE_INTERACTIONS[algebra](bias=bias),
        [entity],
        Embedding(
            max_id=triples_factory.num_relations,
            shape=(4, embedding_dim),
            initializer=init_hypercomplex,
            normalizer=normalize_euclidean,
        ),
        triples_factory=triples_factory,
        bias=bias,
        loss=loss,
        loss_kwargs=loss_kwargs,
        random_seed=random_seed,
    )


def _text_rotation_model(
    interaction: type[TextRotationInteraction],
    *,
    triples_factory: KGInfo,
    text_features: Mapping[str, Any],
    embedding_dim: int,
    algebra: str,
    bias: bool,
    entity_scale: float,
    hidden: int | None,
    n3: float,
    loss: Hint[Loss],
    loss_kwargs: Mapping[str, Any] | None,
    random_seed: int | None,
) -> ERModel:
    """Robin/Lion: structural ``(4, d)`` entities, a unit text rotor per entity, translation relations."""
    _check_dim(embedding_dim)
    _check_algebra(algebra)
    rotor = TextHypercomplexRepresentation(
        max_id=triples_factory.num_entities,
        dim=embedding_dim,
        features=text_features,
        structural=False,
        hidden=hidden,
        normalizer=normalize_euclidean,
    )
    return _compose(
        interaction(bias=bias, algebra=algebra),
        [_structural(triples_factory.num_entities, embedding_dim, entity_scale, n3), rotor],
        Embedding(
            max_id=triples_factory.num_relations,
            shape=(4, embedding_dim),
            initializer=init_hypercomplex,
            initializer_kwargs=dict(scale=entity_scale),
        ),
        triples_factory=triples_factory,
        bias=bias,
        loss=loss,
        loss_kwargs=loss_kwargs,
        random_seed=random_seed,
    )


@kge_models.register("robin")
def robin(*, triples_factory: KGInfo, text_features: Mapping[str, Any], embedding_dim: int = 64,
          algebra: str = "quaternion", bias: bool = False, entity_scale: float = 1.0, hidden: int | None = None,
          n3: float = 0.0, loss: Hint[Loss] = None, loss_kwargs: Mapping[str, Any] | None = None,
          random_seed: int | None = None) -> ERModel:
    """Robin: :class:`~pipeline.embed.interactions.RobinInteraction` (text rotates the head, relation translates)."""
    return _text_rotation_model(
        RobinInteraction, triples_factory=triples_factory, text_features=text_features, embedding_dim=embedding_dim,
        algebra=algebra, bias=bias, entity_scale=entity_scale, hidden=hidden, n3=n3, loss=loss,
        loss_kwargs=loss_kwargs, random_seed=random_seed,
    )


@kge_models.register("lion")
def lion(*, triples_factory: KGInfo, text_features: Mapping[str, Any], embedding_dim: int = 64,
         algebra: str = "quaternion", bias: bool = False, entity_scale: float = 1.0, hidden: int | None = None,
         n3: float = 0.0, loss: Hint[Loss] = None, loss_kwargs: Mapping[str, Any] | None = None,
         random_seed: int | None = None) -> ERModel:
    """Lion: :class:`~pipeline.embed.interactions.LionInteraction` (both sides rotated by their text)."""
    return _text_rotation_model(
        LionInteraction, triples_factory=triples_factory, text_features=text_features, embedding_dim=embedding_dim,
        algebra=algebra, bias=bias, entity_scale=entity_scale, hidden=hidden, n3=n3, loss=loss,
        loss_kwargs=loss_kwargs, random_seed=random_seed,
    )


#: Models that need ``text_features``.
TEXT_MODELS = ("tetra", "robin", "lion")


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

    :param name: ``"quaternion"``, ``"dihedron"``, ``"tetra"``, ``"robin"``, ``"lion"`` (these three
        need ``text_features=``) or a PyKEEN model name (case-insensitive).
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
