"""KGE models by name: the hypercomplex models, and PyKEEN's models as baselines.

``kge_models`` holds our models; :func:`build_model` also accepts any name
that :data:`pykeen.models.model_resolver` knows (``"rotate"``, ``"quate"``, …).
Each factory only composes an interaction with its representations.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any

import torch
from pykeen.losses import Loss
from pykeen.models import ERModel, Model, model_resolver
from pykeen.nn.modules import Interaction
from pykeen.nn.representation import Embedding, Representation
from pykeen.triples import KGInfo
from pykeen.typing import Hint

from pipeline.embed.algebra import (
    init_hypercomplex,
    normalize_euclidean,
    normalize_split,
)
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
    _check_dim(dim)
    return Embedding(
        max_id=max_id,
        shape=(4, dim),
        initializer=init_hypercomplex,
        initializer_kwargs={"scale": scale},
        regularizer=N3Regularizer(weight=n3) if n3 else None,
    )


def _relations(triples_factory: KGInfo, dim: int, **options: Any) -> Embedding:
    """One ``(4, d)`` hypercomplex vector per relation (``options``: normaliser or initialiser scale)."""
    return Embedding(max_id=triples_factory.num_relations, shape=(4, dim), initializer=init_hypercomplex, **options)


def _check_dim(embedding_dim: int) -> None:
    if embedding_dim < 1:
        raise ValueError(f"embedding_dim must be positive (got {embedding_dim!r})")


def _check_algebra(algebra: str) -> None:
    if algebra not in STRUCTURE_INTERACTIONS:
        raise UnknownComponentError("algebra", algebra, sorted(STRUCTURE_INTERACTIONS))


#: What a model's parts function returns: the interaction, the entity representations, the relation representation.
Parts = tuple[Interaction, list[Representation], Representation]


def _er_model(parts: Callable[..., Parts]) -> Callable[..., ERModel]:
    """Turn a function that builds a model's parts into a registered factory.

    The factory takes the parts' own keyword arguments plus those every model
    shares: ``loss``/``loss_kwargs`` (default :data:`DEFAULT_LOSS`), ``random_seed``,
    and ``bias``, which also adds a zero-initialised entity bias representation.
    """

    @functools.wraps(parts)
    def factory(
        *,
        triples_factory: KGInfo,
        bias: bool = False,
        loss: Hint[Loss] = None,
        loss_kwargs: Mapping[str, Any] | None = None,
        random_seed: int | None = None,
        **kwargs: Any,
    ) -> ERModel:
        interaction, entities, relations = parts(triples_factory=triples_factory, bias=bias, **kwargs)
        if bias:
            zeros = Embedding(max_id=triples_factory.num_entities, shape=(), initializer=torch.nn.init.zeros_)
            entities = [*entities, zeros]
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

    # help() shows the parts' keywords and the shared ones
    shared = inspect.signature(factory, follow_wrapped=False).parameters
    own = inspect.signature(parts).parameters.values()
    factory.__signature__ = inspect.Signature(
        [*own, *(shared[name] for name in ("loss", "loss_kwargs", "random_seed"))], return_annotation=ERModel
    )
    return factory


@kge_models.register("quaternion")
@_er_model
def quaternion(
    *, triples_factory: KGInfo, embedding_dim: int = 64, bias: bool = False, entity_scale: float = 1.0, n3: float = 0.0
) -> Parts:
    """Quaternion model: :class:`~pipeline.embed.interactions.QuaternionInteraction`, unit relations.

    :param bias: entity biases $b_h + b_t$ in the score.
    :param entity_scale: expected norm of an initial entity vector.
    :param n3: weight of the N3 regulariser on entity vectors (0: off).
    """
    entities = _structural(triples_factory.num_entities, embedding_dim, entity_scale, n3)
    return QuaternionInteraction(bias=bias), [entities], _relations(triples_factory, embedding_dim,
                                                                    normalizer=normalize_euclidean)


@kge_models.register("dihedron")
@_er_model
def dihedron(
    *,
    triples_factory: KGInfo,
    embedding_dim: int = 64,
    bias: bool = False,
    entity_scale: float = 1.0,
    relation_norm: str = "euclidean",
    n3: float = 0.0,
) -> Parts:
    """Dihedron model: :class:`~pipeline.embed.interactions.DihedronInteraction`.

    :param relation_norm: ``"euclidean"`` (unit Euclidean length per number,
        bounded) or ``"split"`` (unit split norm), see :mod:`pipeline.embed.algebra`.
    """
    if relation_norm not in DIHEDRON_NORMALIZERS:
        raise UnknownComponentError("dihedron relation norm", relation_norm, sorted(DIHEDRON_NORMALIZERS))
    entities = _structural(triples_factory.num_entities, embedding_dim, entity_scale, n3)
    return DihedronInteraction(bias=bias), [entities], _relations(triples_factory, embedding_dim,
                                                                  normalizer=DIHEDRON_NORMALIZERS[relation_norm])


@kge_models.register("tetra")
@_er_model
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
) -> Parts:
    """Tetra: one hypercomplex entity = structure + word i + sentence j + document k, scored like ``algebra``.

    :param text_features: ``{"word", "sentence", "document"}`` -> ``(num_entities, f)`` frozen
        vectors in entity-id order, cf. :func:`pipeline.featurize.text_features.entity_text_features`.
    :param algebra: ``"quaternion"`` (unit relations) or ``"dihedron"`` (Euclidean-normalised relations).
    :param hidden: hidden size of the text MLPs (default ``2 * embedding_dim``).
    """
    _check_algebra(algebra)
    _check_dim(embedding_dim)
    entity = TextHypercomplexRepresentation(
        max_id=triples_factory.num_entities, dim=embedding_dim, features=text_features, hidden=hidden,
        structural=True, scale=entity_scale, regularizer=N3Regularizer(weight=n3) if n3 else None,
    )
    relations = _relations(triples_factory, embedding_dim, normalizer=normalize_euclidean)
    return STRUCTURE_INTERACTIONS[algebra](bias=bias), [entity], relations


def _text_rotation(
    interaction: type[TextRotationInteraction],
    *,
    triples_factory: KGInfo,
    text_features: Mapping[str, Any],
    embedding_dim: int = 64,
    algebra: str = "quaternion",
    bias: bool = False,
    entity_scale: float = 1.0,
    hidden: int | None = None,
    n3: float = 0.0,
) -> Parts:
    """Robin/Lion: structural ``(4, d)`` entities, a unit text rotor per entity, translation relations."""
    _check_algebra(algebra)
    _check_dim(embedding_dim)
    rotor = TextHypercomplexRepresentation(
        max_id=triples_factory.num_entities, dim=embedding_dim, features=text_features, hidden=hidden,
        structural=False, normalizer=normalize_euclidean,
    )
    structure = _structural(triples_factory.num_entities, embedding_dim, entity_scale, n3)
    relations = _relations(triples_factory, embedding_dim, initializer_kwargs={"scale": entity_scale})
    return interaction(bias=bias, algebra=algebra), [structure, rotor], relations


def _text_rotation_factory(name: str, interaction: type[TextRotationInteraction]) -> Callable[..., ERModel]:
    """Robin and Lion differ only in their interaction, whose docstring describes the model."""
    factory = _er_model(functools.partial(_text_rotation, interaction))
    factory.__name__ = factory.__qualname__ = name
    factory.__doc__ = f"{name.title()}: :class:`~pipeline.embed.interactions.{interaction.__name__}` on text rotors."
    return factory


robin = kge_models.register("robin")(_text_rotation_factory("robin", RobinInteraction))
lion = kge_models.register("lion")(_text_rotation_factory("lion", LionInteraction))


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
