"""Settings of the ingest stage."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pipeline.ingest.langid import DEFAULT_LANGUAGES, unknown_language


class IngestConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Documents larger than this (characters) are quarantined, not read. The
    #: default is spaCy's ``max_length``: a longer English document could not be parsed.
    max_chars: int = Field(default=1_000_000, gt=0)
    #: Documents are yielded in batches of this size.
    batch_size: int = Field(default=64, gt=0)
    #: JSONL/CSV field holding the text, and an optional id field.
    text_field: str = "text"
    id_field: str = "id"
    #: Language to assume instead of detecting it ("auto" detects).
    lang: str = "auto"
    #: Languages "auto" tells apart (ISO 639-1). Each Latin-script one costs about 0.4 s and
    #: 30 MB when the first Latin-script text is read; other scripts are told by their letters.
    languages: tuple[str, ...] = DEFAULT_LANGUAGES
    #: A text leaves the prior language of its script only when the detector is this sure.
    min_lang_confidence: float = Field(default=0.5, ge=0.0, le=1.0)
    #: The prior language for Latin script; None: the majority of the confident detections so far.
    prior_lang: str | None = None

    @field_validator("lang")
    @classmethod
    def _known_lang(cls, value: str) -> str:
        if problem := unknown_language(value):
            raise ValueError(problem)
        return value

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for code in value:
            if problem := unknown_language(code, allow_auto=False):
                raise ValueError(problem)
        return value
