"""Extract: documents -> entity mentions and relations, routed by language."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass

import pyarrow as pa

# Importing the modules registers their extractors.
from pipeline.extract import bangla, cooccurrence, learned, llm, spacy_extractor  # noqa: F401
from pipeline.extract.base import Extraction, Extractor, extractors
from pipeline.extract.config import ExtractConfig
from pipeline.extract.models import installed_pipelines
from pipeline.schema import EXTRACT_FAILURES, MENTIONS, RELATIONS, from_rows
from pipeline.textnorm import Normalised, normalise

log = logging.getLogger(__name__)


@dataclass
class ExtractResult:
    mentions: pa.Table  # MENTIONS
    relations: pa.Table  # RELATIONS
    routes: dict[str, int]  # "lang:extractor" -> documents
    failures: pa.Table  # EXTRACT_FAILURES: documents an extractor failed on, with the reason


def route(lang: str, config: ExtractConfig) -> str:
    """Extractor name for ``lang``: configured, else spaCy if a pipeline is installed, else the fallback."""
    if lang in config.extractors:
        return config.extractors[lang]
    if lang != "und" and installed_pipelines(lang):
        return "spacy"
    return config.extractors.get("*", "cooccurrence")


def make_extractor(name: str, lang: str, config: ExtractConfig) -> Extractor:
    if name == "learned":
        from pipeline.extract.schema_mapping import read_schema

        base = config.learned_base.get(lang, config.learned_base.get("*", "cooccurrence"))
        return extractors.make(
            "learned", **_base_kwargs(base, lang, config), base=base, relation_model=config.relation_model_path,
            schema=read_schema(config.schema_path) if config.schema_path else None,
            mentions=config.learned_mentions.get(lang, config.learned_mentions.get("*", "base")),
            open_predicates=config.open_predicates, sentence_window=config.sentence_window)
    return extractors.make(name, **_base_kwargs(name, lang, config))


def _base_kwargs(name: str, lang: str, config: ExtractConfig) -> dict:
    kwargs: dict = {"lang": lang, "batch_size": config.batch_size}
    if name == "spacy":
        kwargs["models"] = tuple(config.spacy_models.get(lang, []))
    else:
        kwargs["lexicon_path"] = config.lexicon_path
    if name == "bangla":
        kwargs["ner_path"] = config.bangla_ner_path
    if name == "llm":
        kwargs.update(endpoint=config.llm_endpoint, model=config.llm_model, api_key_env=config.llm_api_key_env,
                      timeout_s=config.llm_timeout_s, retries=config.llm_retries)
    return kwargs


def extract_documents(documents: list[dict], *, config: ExtractConfig) -> list[Extraction]:
    """Extract from document rows (dicts with doc_id, lang, text), keeping input order.

    Extractors match on NFC text (:mod:`pipeline.textnorm`); every offset they return is
    mapped back here, so offsets leaving this stage index the text as given.
    """
    normalised = {d["doc_id"]: normalise(d["text"] or "") for d in documents}
    by_route: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for doc in documents:
        by_route[(route(doc["lang"], config), doc["lang"])].append({**doc, "text": normalised[doc["doc_id"]].text})
    results: dict[str, Extraction] = {}
    for (name, lang), docs in by_route.items():
        extractor = make_extractor(name, lang, config)
        for extraction in extractor.extract(docs):
            results[extraction.doc_id] = to_original(extraction, normalised[extraction.doc_id])
    return [results[d["doc_id"]] for d in documents]


def to_original(extraction: Extraction, norm: Normalised) -> Extraction:
    """``extraction`` with offsets into ``norm.original``; ``surface`` becomes the user's characters there."""
    if not norm.changed:
        return extraction
    out = Extraction(extraction.doc_id, error=extraction.error)
    new_id = {}
    for m in extraction.mentions:
        start, end = norm.offsets.span(m["start"], m["end"])
        new_id[m["mention_id"]] = out.add_mention(
            sentence=m["sentence"], start=start, end=end, text=m["text"], surface=norm.original[start:end],
            label=m["label"], lang=m["lang"], extractor=m["extractor"], confidence=m["confidence"])
    for r in extraction.relations:
        start, end = norm.offsets.span(r["start"], r["end"])
        out.add_relation(subject=new_id[r["subject_mention"]], predicate=r["predicate"],
                         obj=new_id[r["object_mention"]], sentence=r["sentence"], start=start, end=end,
                         extractor=r["extractor"], confidence=r["confidence"])
    return out


def run_extract(documents: pa.Table, *, config: ExtractConfig = ExtractConfig()) -> ExtractResult:
    """Extract mentions and relations from a DOCUMENTS batch."""
    rows = documents.select(["doc_id", "lang", "text"]).to_pylist()
    extractions = extract_documents(rows, config=config)
    routes: dict[str, int] = defaultdict(int)
    productive: dict[str, int] = defaultdict(int)
    for doc, extraction in zip(rows, extractions):
        key = f"{doc['lang']}:{route(doc['lang'], config)}"
        routes[key] += 1
        productive[key] += bool(extraction.mentions)
    for key, count in routes.items():
        if not productive[key]:  # never silently nothing: say which route came back empty
            log.warning("extract route %s found no entities in %d documents; give the language a spaCy pipeline, "
                        "a lexicon (extract.lexicon_path) or another extractor (extract.extractors)", key, count)
    mentions = [m for e in extractions for m in e.mentions]
    relations = [r for e in extractions for r in e.relations]
    failures = [{"doc_id": e.doc_id, "reason": e.error} for e in extractions if e.error]
    log.info("extracted %d mentions, %d relations from %d documents (%d failed)", len(mentions), len(relations),
             len(rows), len(failures))
    return ExtractResult(from_rows(mentions, MENTIONS), from_rows(relations, RELATIONS), dict(routes),
                         from_rows(failures, EXTRACT_FAILURES))
