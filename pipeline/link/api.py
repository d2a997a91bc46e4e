"""Link: mentions -> canonical entities with stable ids, relations -> entity edges.

Mentions are grouped by a canonical key:

* a Bangla mention found in the lexicon (after case-suffix stripping) uses
  its English equivalent, so "রবীন্দ্রনাথ ঠাকুর" and "Rabindranath Tagore"
  become one entity;
* a Bangla name the lexicon lacks joins the English name it sounds like
  (romanised, :mod:`pipeline.link.crosslingual`), when that match is clear;
* then one still apart joins the English name the multilingual encoder puts
  closest (label cosine plus sound), when each is the other's best by a margin;
* other mentions use their normalised text (no article, title or 's);
* a one-word name that is the last or first word of exactly one longer name
  of a compatible type ("Tagore" -> "Rabindranath Tagore") joins it.

The type is the lexicon's when it knows the name, else the most common
typed NER label among the mentions. Every cross-language merge is kept in
``LinkResult.merges`` with its method and confidence. A Bangla-only name
also gets a romanised label (language tag ``bn-Latn``).
"""

from __future__ import annotations

import logging
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import pyarrow as pa

from pipeline.extract.canonicalise import person_merges
from pipeline.lexicon import BANGLA_SUFFIXES, Lexicon
from pipeline.link.config import LinkConfig
from pipeline.link.crosslingual import (
    UNNAMED,
    Match,
    compatible,
    match_by_encoder,
    match_by_transliteration,
)
from pipeline.link.ids import edge_id, entity_id, normalise_key
from pipeline.schema import EDGES, ENTITIES, MENTION_LINKS, from_rows
from pipeline.transliterate import has_bangla, romanise

log = logging.getLogger(__name__)

@dataclass
class LinkResult:
    entities: pa.Table  # ENTITIES
    mention_links: pa.Table  # MENTION_LINKS
    edges: pa.Table  # EDGES
    #: Cross-language merges: {"bangla", "english", "method" (lexicon|transliteration|encoder|
    #: encoder+transliteration), "confidence"}; encoder merges add "cosine" and "transliteration" (the sound score).
    merges: list[dict] = field(default_factory=list)


def _english_equivalent(mention: dict, lexicon: Lexicon) -> str | None:
    if mention["lang"] == "en":
        return mention["text"]
    return lexicon.english(mention["text"])


def _is_person(types: Counter, strict: bool) -> bool:
    typed = {t for t in types if t != "THING"}
    return typed == {"PERSON"} if strict else typed <= {"PERSON"}


def _merge_partial_names(keys: dict[str, Counter]) -> dict[str, str]:
    """Person keys onto the one fuller person name they are a variant or part of (:func:`person_merges`)."""
    return person_merges(keys, lambda k: _is_person(keys[k], strict=False), lambda k: _is_person(keys[k], strict=True))


def _strip_ending(form: str, known) -> str | None:
    """``form`` without a Bangla case ending when what remains is in ``known`` ("আফ্রিকার" -> "আফ্রিকা")."""
    last = form.rsplit(" ", 1)[-1]
    return next((form[: -len(s)] for s in BANGLA_SUFFIXES
                 if last.endswith(s) and len(last) - len(s) >= 2 and form[: -len(s)] in known), None)


def _merge_inflected(keys: dict[str, Counter], langs: dict[str, set[str]]) -> dict[str, str]:
    """Map Bangla keys that are another key plus a case ending onto it, across the corpus.

    The extractor cuts only endings it is sure of within one document; here "আফ্রিকার" meets
    "আফ্রিকা" when some document has the bare form, if their types agree.
    """
    merged = {}
    for key, types in keys.items():
        if langs[key] != {"bn"} or not has_bangla(key):
            continue
        stem = _strip_ending(key, keys)
        if stem is not None and compatible(_pick_type(types, None), _pick_type(keys[stem], None)):
            merged[key] = stem
    return {k: v for k, v in merged.items() if v not in merged}  # one step: no chains


def _pick_type(types: Counter, lexicon_type: str | None) -> str:
    if lexicon_type:
        return lexicon_type
    typed = [(n, t) for t, n in types.items() if t != "THING"]
    return max(typed)[1] if typed else "THING"


def run_link(mentions: pa.Table, relations: pa.Table, *, config: LinkConfig = LinkConfig(),
             lexicon_path: str | None = None) -> LinkResult:
    """Resolve every mention to an entity and every relation to an edge."""
    lexicon = Lexicon.load(lexicon_path)
    rows = [m for m in mentions.to_pylist() if m["label"] not in config.drop_types
            and not (m["label"] in UNNAMED and m["lang"] in config.value_langs)]
    key_of: dict[str, str] = {}
    types: dict[str, Counter] = defaultdict(Counter)
    lexicon_types: dict[str, str] = {}
    langs: dict[str, set[str]] = defaultdict(set)
    merges: dict[tuple[str, str], dict] = {}
    for m in rows:
        english = _english_equivalent(m, lexicon)
        key = normalise_key(english or m["text"])
        key_of[m["mention_id"]] = key
        types[key][m["label"]] += 1
        langs[key].add(m["lang"])
        if m["lang"] != "en" and english:
            merges[(m["text"], english)] = {"bangla": m["text"], "english": english, "method": "lexicon",
                                            "confidence": 1.0}
            if lexicon.entity_type(m["text"]):
                lexicon_types[key] = lexicon.entity_type(m["text"])
    _remap(key_of, types, langs, _merge_inflected(types, langs))
    if config.merge_partial_names:
        _remap(key_of, types, langs, _merge_partial_names(types))
    if config.transliteration:
        kind = {k: _pick_type(types[k], lexicon_types.get(k)) for k in types}
        matches = match_by_transliteration({k: kind[k] for k, ls in langs.items() if ls == {"bn"}},
                                           {k: kind[k] for k, ls in langs.items() if "en" in ls},
                                           threshold=config.transliteration_threshold)
        _remap(key_of, types, langs, {m.bangla: m.english for m in matches})
        merges.update(_merge_records(matches))
    if config.encoder_linking:
        matches = _match_by_encoder(rows, key_of, types, langs, lexicon_types, config.encoder_threshold)
        _remap(key_of, types, langs, {m.bangla: m.english for m in matches})
        merges.update(_merge_records(matches))

    groups: dict[str, list[dict]] = defaultdict(list)
    for m in rows:
        groups[key_of[m["mention_id"]]].append(m)
    entities, links, id_of_key = [], [], {}
    for key, members in groups.items():
        kind = _pick_type(types[key], lexicon_types.get(key))
        eid = id_of_key[key] = entity_id(key, kind)
        entities.append(_entity_row(eid, kind, members, lexicon))
        links.extend({"mention_id": m["mention_id"], "entity_id": eid} for m in members)

    entity_of = {link["mention_id"]: link["entity_id"] for link in links}
    edges = []
    for r in relations.to_pylist():
        s, o = entity_of.get(r["subject_mention"]), entity_of.get(r["object_mention"])
        if s is None or o is None or s == o:
            continue
        edges.append({
            "edge_id": edge_id(r["doc_id"], r["start"], r["end"], s, r["predicate"], o),
            "subject_id": s, "predicate": r["predicate"], "object_id": o, "doc_id": r["doc_id"],
            "sentence": r["sentence"], "start": r["start"], "end": r["end"],
            "extractor": r["extractor"], "confidence": r["confidence"],
        })
    edges = list({e["edge_id"]: e for e in edges}.values())
    methods = Counter(m["method"] for m in merges.values())
    log.info("linked %d mentions to %d entities; %d edges; %d cross-language merges (%s)",
             len(rows), len(entities), len(edges), len(merges), dict(methods))
    return LinkResult(from_rows(entities, ENTITIES), from_rows(links, MENTION_LINKS), from_rows(edges, EDGES),
                      sorted(merges.values(), key=lambda m: (-m["confidence"], m["bangla"])))


def _merge_records(matches: list[Match]) -> dict[tuple[str, str], dict]:
    records = {}
    for m in matches:
        record = {"bangla": m.bangla, "english": m.english, "method": m.method, "confidence": m.confidence}
        if m.cosine is not None:
            record |= {"cosine": m.cosine, "transliteration": m.transliteration}
        records[(m.bangla, m.english)] = record
    return records


def _match_by_encoder(rows: list[dict], key_of: dict[str, str], types: dict[str, Counter],
                      langs: dict[str, set[str]], lexicon_types: dict[str, str], threshold: float) -> list[Match]:
    """Bangla-only groups against groups with an English mention, each embedded by its most frequent form."""
    kind = {k: _pick_type(types[k], lexicon_types.get(k)) for k in types}
    bangla = {k: kind[k] for k, ls in langs.items() if ls == {"bn"} and has_bangla(k)}
    english = {k: kind[k] for k, ls in langs.items() if "en" in ls}
    if not bangla or not english:  # nothing to pair: don't load the encoder
        return []
    forms: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for m in rows:
        forms[(key_of[m["mention_id"]], m["lang"])][m["text"]] += 1
    labels = {k: forms[(k, "bn")].most_common(1)[0][0] for k in bangla}
    labels |= {k: forms[(k, "en")].most_common(1)[0][0] for k in english}
    known = {k: sorted(forms[(k, "bn")]) for k in english if forms.get((k, "bn"))}
    # torch and the model load only when there is a pair to score
    from pipeline.encoders import load_encoder

    encoder = load_encoder()
    return match_by_encoder(bangla, english, embed=lambda texts: encoder.embed(texts, prefix="query: "),
                            labels=labels, known=known, threshold=threshold)


def _remap(key_of: dict[str, str], types: dict[str, Counter], langs: dict[str, set[str]],
           merged: dict[str, str]) -> None:
    """Move the groups named in ``merged`` (old key -> new key) onto their new keys."""
    for mention, key in key_of.items():
        key_of[mention] = merged.get(key, key)
    for old, new in merged.items():
        types[new].update(types.pop(old))
        langs[new] |= langs.pop(old)


def _entity_row(eid: str, kind: str, members: list[dict], lexicon: Lexicon) -> dict:
    """Labels: the fullest, then most frequent, surface form per language."""
    by_lang: dict[str, Counter] = defaultdict(Counter)
    for m in members:
        by_lang[m["lang"]][m["text"]] += 1
    if "bn" in by_lang:  # an inflected form counts for its bare form: the label has no case ending
        forms = by_lang["bn"]
        by_lang["bn"] = Counter()
        for form, n in forms.items():
            by_lang["bn"][_strip_ending(form, forms) or form] += n
    best = {lang: _best_label(c) for lang, c in by_lang.items()}
    main_lang = max(by_lang, key=lambda lang: (sum(by_lang[lang].values()), lang == "en"))
    label_en = best.get("en") or next((lexicon.english(t) for lang, t in best.items() if lexicon.english(t)), None)
    labels = [{"lang": lang, "text": text} for lang, text in sorted(best.items())]
    if label_en and "en" not in best:
        labels.append({"lang": "en", "text": label_en})
    elif not label_en and "bn" in best and kind not in ("DATE", "QUANTITY") and has_bangla(best["bn"]):
        labels.append({"lang": "bn-Latn", "text": romanise(best["bn"])})  # a reader's and a matcher's handle
    # Surface forms stay findable: "আমেরিকার" is an alias of "আমেরিকা" (NFC, so one spelling per form).
    forms = {m["text"] for m in members} | {unicodedata.normalize("NFC", m["surface"]) for m in members
                                            if m.get("surface")}
    aliases = sorted(forms - set(best.values()))
    return {"entity_id": eid, "label": best[main_lang], "lang": main_lang, "label_en": label_en, "type": kind,
            "aliases": aliases, "labels": labels, "frequency": len(members)}


def _best_label(forms: Counter) -> str:
    """The form that contains the most other forms word by word ("রবীন্দ্রনাথ ঠাকুর" over a more
    frequent "রবীন্দ্রনাথ"), then the most frequent, then the longest."""
    words = {form: set(form.split()) for form in forms}

    def rank(form: str) -> tuple:
        contained = sum(1 for other in forms if other != form and words[other] < words[form])
        return contained, forms[form], len(form), form

    return max(forms, key=rank)
