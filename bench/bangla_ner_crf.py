"""Does a linear-chain CRF beat the shipped spaCy Bangla NER? (issue 4 experiment)

    OMP_NUM_THREADS=1 nice .venv/bin/python bench/bangla_ner_crf.py            # the dev-selected config: dev + test
    OMP_NUM_THREADS=1 nice .venv/bin/python bench/bangla_ner_crf.py --sweep L  # every variant, dev only, one JSON line each to L

Same data, split (``split(read_gold(...), 42)``), spaCy ``bn`` tokenizer and
exact-span scoring (:func:`pipeline.ner.train.score`) as the shipped model.
Needs ``python-crfsuite`` (MIT): ``pip install -e '.[bench]'``. It is not a
pipeline dependency: this is a measurement, not a shipped component.

Feature families, added one at a time and kept only if dev F1 rises:
word, rule stem and stripped suffix, 1-4 char prefixes/suffixes, flags
(``base``); neighbours +-1 / +-2 (``ctx``); the jackknifed gazetteer of
:mod:`pipeline.ner.train` (``gaz``: training sentences are marked from the
other folds' names only, dev/test from all training names plus the lexicon);
k-means clusters of FastText vectors trained on the training sentences plus
bnwiki paragraphs (``clusters``). Then c1/c2, BIO vs BILOU, and combinations
with the shipped model (its names ruler, span union).

Outcome (2026-11-29): the CRF alone reaches dev F1 0.632 (shipped 0.638); the
union "CRF spans first, then shipped spans that overlap none" reaches dev
0.679 and held-out test 0.594 (shipped 0.581). Numbers and the sweep table
are in docs/notes/issue-4.md (CRF section).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import unicodedata
from pathlib import Path

from pipeline.lexicon import strip_bangla_suffix, use_stem_norms
from pipeline.ner.train import (
    BUNDLED_DATA,
    FOLDS,
    _lexicon_names,
    _no_overlap,
    gazetteer,
    read_gold,
    score,
    split,
)
from pipeline.ner.vectors import _stable_hash, read_corpus

SEED = 42
WIKI = Path("/work/shared/data/bnwiki_paragraphs.jsonl")
SHIPPED = Path(__file__).resolve().parents[1] / "pipeline" / "resources" / "bn_ner"
#: The dev-selected configuration (see /work/notes/issue-4-crf.md for the sweep that chose it).
SELECTED = {"name": "selected", "ctx": 2, "gaz": False, "clusters": (64, 256), "c1": 0.05, "c2": 0.05,
            "tags": "bilou", "combine": "union_crf_first"}


class Predicted:
    """Stands in for ``nlp`` in :func:`score`: yields docs carrying precomputed entity spans, in row order."""

    def __init__(self, nlp, spans: list[list[tuple[int, int, str]]]):
        self.nlp, self.spans = nlp, spans

    def pipe(self, texts):
        for text, spans in zip(texts, self.spans, strict=True):
            doc = self.nlp.make_doc(text)
            doc.ents = [doc.char_span(s, e, label) for s, e, label in spans]
            yield doc


def mark_gazetteer(norms: list[str], names: dict[tuple[str, ...], str], longest: int = 6) -> list[str]:
    """B-/I-LABEL for tokens inside a gazetteer name (greedy longest match), "O" elsewhere."""
    marks, i = ["O"] * len(norms), 0
    while i < len(norms):
        for n in range(min(longest, len(norms) - i), 0, -1):
            label = names.get(tuple(norms[i : i + n]))
            if label:
                marks[i : i + n] = [f"B-{label}"] + [f"I-{label}"] * (n - 1)
                i += n
                break
        else:
            i += 1
    return marks


def _shape(word: str) -> str:
    if any(ch.isdigit() for ch in word):
        return "digit"
    if all(unicodedata.category(ch).startswith("P") for ch in word):
        return "punct"
    if any("a" <= ch.lower() <= "z" for ch in word):
        return "latin"
    return "word"


def token_features(words: list[str], gaz: list[str] | None, clusters: list[list[int]] | None, ctx: int) -> list[list[str]]:
    """One feature list per token."""
    stems = [strip_bangla_suffix(w) for w in words]
    own = []
    for i, word in enumerate(words):
        stem, suffix = stems[i]
        feats = ["bias", f"w={word}", f"s={stem}", f"x={suffix}", f"sh={_shape(word)}", f"len={min(len(word), 8)}"]
        feats += [f"p{k}={word[:k]}" for k in range(1, 5) if len(word) >= k]
        feats += [f"e{k}={word[-k:]}" for k in range(1, 5) if len(word) >= k]
        feats += [f"se{k}={stem[-k:]}" for k in (1, 2) if len(stem) > k]
        if gaz is not None:
            feats += [f"g={gaz[i]}", f"gl={gaz[i][2:] or 'O'}"]
        if clusters is not None:
            feats += [f"c{n}={c}" for n, c in enumerate(clusters[i])]
        own.append(feats)
    out = []
    for i in range(len(words)):
        feats = list(own[i])
        feats += ["BOS"] if i == 0 else []
        feats += ["EOS"] if i == len(words) - 1 else []
        for d in range(-ctx, ctx + 1):
            j = i + d
            if d == 0:
                continue
            if not 0 <= j < len(words):
                feats.append(f"{d}:pad")
                continue
            feats += [f"{d}:w={words[j]}", f"{d}:s={stems[j][0]}", f"{d}:x={stems[j][1]}"]
            if abs(d) == 1:
                feats.append(f"{d}:sh={_shape(words[j])}")
                if gaz is not None:
                    feats.append(f"{d}:g={gaz[j]}")
                if clusters is not None:
                    feats += [f"{d}:c{n}={c}" for n, c in enumerate(clusters[j])]
        if ctx >= 1:
            feats.append(f"w-1|w={words[i - 1] if i else '^'}|{words[i]}")
            feats.append(f"w|w+1={words[i]}|{words[i + 1] if i + 1 < len(words) else '$'}")
        out.append(feats)
    return out


def decode(tags: list[str], doc) -> list[tuple[int, int, str]]:
    """Char spans from BIO/BILOU tags, leniently: an I/L that does not continue an open entity starts one."""
    spans, start, label = [], None, None

    def close(end):
        if start is not None:
            spans.append((doc[start].idx, doc[end].idx + len(doc[end].text), label))

    for i, tag in enumerate(tags + ["O"]):
        prefix, _, lab = tag.partition("-")
        if prefix in ("B", "U", "O") or (prefix in ("I", "L") and (start is None or lab != label)):
            close(i - 1)
            start, label = (i, lab) if prefix != "O" else (None, None)
        if prefix in ("L", "U") and start is not None:
            close(i)
            start, label = None, None
    return spans


class Experiment:
    def __init__(self):
        import spacy
        from spacy.training import offsets_to_biluo_tags

        self.nlp = spacy.blank("bn")
        use_stem_norms(self.nlp)
        self.train, self.dev, self.test = split(read_gold(BUNDLED_DATA["bn"]), SEED)
        self.docs = {}
        for part in ("train", "dev", "test"):
            self.docs[part] = [self.nlp.make_doc(r["text"]) for r in getattr(self, part)]
        self.gold_bilou = [offsets_to_biluo_tags(doc, _no_overlap(r["entities"]))
                           for doc, r in zip(self.docs["train"], self.train, strict=True)]
        assert not any("-" == t for tags in self.gold_bilou for t in tags), "gold span not on token boundaries"
        self.extra = _lexicon_names(None)
        self._gaz = None
        self._clusters = {}
        self._shipped = None
        self._shipped_spans = {}

    # -- feature inputs -------------------------------------------------------------------------------------------
    def gaz_marks(self) -> dict[str, list[list[str]]]:
        """Jackknifed marks for train (same folds as ``_jackknife_examples``), full-train gazetteer for dev/test."""
        if self._gaz is None:
            marks = {}
            train_marks = [None] * len(self.train)
            for k in range(FOLDS):
                others = [row for j in range(FOLDS) if j != k for row in self.train[j::FOLDS]]
                names = gazetteer(self.nlp, others, self.extra)
                for index in range(k, len(self.train), FOLDS):
                    train_marks[index] = mark_gazetteer([t.norm_ for t in self.docs["train"][index]], names)
            marks["train"] = train_marks
            names = gazetteer(self.nlp, self.train, self.extra)
            for part in ("dev", "test"):
                marks[part] = [mark_gazetteer([t.norm_ for t in doc], names) for doc in self.docs[part]]
            self._gaz = marks
        return self._gaz

    def cluster_ids(self, ks: tuple[int, ...]) -> dict[str, list[list[list[int]]]]:
        """k-means ids (one per k) of each token's FastText vector; FastText sees train sentences + bnwiki only."""
        if ks not in self._clusters:
            import numpy
            from gensim.models import FastText
            from sklearn.cluster import KMeans

            sentences = [[t.text for t in doc if not t.is_space] for doc in self.docs["train"]]
            sentences += [[t.text for t in self.nlp.make_doc(text) if not t.is_space] for text in read_corpus(WIKI)]
            model = FastText(sentences=sentences, vector_size=64, window=5, min_count=1, sg=1, epochs=10, min_n=2,
                             max_n=5, bucket=200_000, seed=SEED, workers=1, hashfxn=_stable_hash)
            vocab = sorted(w for w in model.wv.key_to_index if model.wv.get_vecattr(w, "count") >= 2)
            table = numpy.asarray([model.wv[w] for w in vocab])
            table /= numpy.linalg.norm(table, axis=1, keepdims=True) + 1e-9
            kms = [KMeans(n_clusters=k, n_init=1, random_state=SEED).fit(table) for k in ks]
            ids = {}
            for part in ("train", "dev", "test"):
                ids[part] = []
                for doc in self.docs[part]:
                    vecs = numpy.asarray([model.wv[t.text] for t in doc]) if len(doc) else numpy.zeros((0, 64))
                    vecs /= numpy.linalg.norm(vecs, axis=1, keepdims=True) + 1e-9
                    per_k = [km.predict(vecs.astype(km.cluster_centers_.dtype)) for km in kms] if len(doc) else []
                    ids[part].append([[int(p[i]) for p in per_k] for i in range(len(doc))])
            self._clusters[ks] = ids
            self.fasttext = model  # kept so that the final run can report its size on disk
        return self._clusters[ks]

    def features(self, config: dict, part: str) -> list[list[list[str]]]:
        gaz = self.gaz_marks()[part] if config["gaz"] else None
        clusters = self.cluster_ids(tuple(config["clusters"]))[part] if config["clusters"] else None
        return [token_features([t.text for t in doc], gaz[n] if gaz else None, clusters[n] if clusters else None,
                               config["ctx"]) for n, doc in enumerate(self.docs[part])]

    # -- shipped model ---------------------------------------------------------------------------------------------
    def shipped(self):
        if self._shipped is None:
            import spacy

            nlp = spacy.load(SHIPPED)
            use_stem_norms(nlp)
            self._shipped = nlp
        return self._shipped

    def shipped_spans(self, part: str, names: bool = True) -> list[list[tuple[int, int, str]]]:
        if (part, names) not in self._shipped_spans:
            nlp = self.shipped()
            with nlp.select_pipes(disable=[] if names else ["names"]):
                self._shipped_spans[part, names] = [[(e.start_char, e.end_char, e.label_) for e in doc.ents]
                                                    for doc in nlp.pipe(r["text"] for r in getattr(self, part))]
        return self._shipped_spans[part, names]

    # -- CRF -------------------------------------------------------------------------------------------------------
    def fit(self, config: dict, model_path: str):
        import pycrfsuite

        trainer = pycrfsuite.Trainer(verbose=False)
        for feats, tags in zip(self.features(config, "train"), self.gold_bilou, strict=True):
            trainer.append(feats, tags if config["tags"] == "bilou" else [_to_bio(t) for t in tags])
        trainer.set_params({"c1": config["c1"], "c2": config["c2"], "max_iterations": config.get("iters", 200),
                            "feature.possible_transitions": True})
        started = time.perf_counter()
        trainer.train(model_path)
        seconds = time.perf_counter() - started
        tagger = pycrfsuite.Tagger()
        tagger.open(model_path)
        return tagger, seconds

    def predict(self, tagger, config: dict, part: str) -> list[list[tuple[int, int, str]]]:
        spans = [decode(tagger.tag(feats), doc) for feats, doc in zip(self.features(config, part), self.docs[part],
                                                                      strict=True)]
        return combine(self, spans, config["combine"], part)

    def unseen_recall(self, spans: list[list[tuple[int, int, str]]], part: str) -> dict:
        """Recall on gold names never seen as a training entity (by surface text, as the earlier notes measured,
        and by stem sequence), and on the rest."""
        seen_text = {r["text"][s:e] for r in self.train for s, e, _ in r["entities"]}
        seen_stems = {self._stems(doc, s, e) for doc, r in zip(self.docs["train"], self.train, strict=True)
                      for s, e, _ in r["entities"]}
        hits = {f"{k}_{by}": [0, 0] for by in ("text", "stems") for k in ("unseen", "seen")}
        for doc, row, pred in zip(self.docs[part], getattr(self, part), spans, strict=True):
            for s, e, label in row["entities"]:
                for by, known in (("text", row["text"][s:e] in seen_text), ("stems", self._stems(doc, s, e) in seen_stems)):
                    bucket = hits[f"{'seen' if known else 'unseen'}_{by}"]
                    bucket[0] += (s, e, label) in set(pred)
                    bucket[1] += 1
        return {k: {"recall": round(h / n, 4) if n else 0.0, "support": n} for k, (h, n) in hits.items()}

    @staticmethod
    def _stems(doc, start: int, end: int) -> tuple[str, ...]:
        return tuple(t.norm_ for t in doc.char_span(start, end, alignment_mode="expand"))


def _to_bio(tag: str) -> str:
    return {"U": "B", "L": "I"}.get(tag[0], tag[0]) + tag[1:]


def _resolve(primary, secondary):
    """``primary`` spans plus the ``secondary`` spans that overlap none of them."""
    kept = list(primary)
    for s, e, label in secondary:
        if all(e <= ps or s >= pe for ps, pe, _ in kept):
            kept.append((s, e, label))
    return sorted(kept)


def combine(exp: Experiment, crf: list, how: str, part: str) -> list:
    """CRF spans alone or combined with the shipped model (its names ruler, a union or intersection with its spans).

    In a union the first system's spans win; the other's are added where they overlap none of them.
    """
    if how == "none":
        return crf
    if how == "names":
        ruler, nlp, out = exp.shipped().get_pipe("names"), exp.shipped(), []
        for spans, row in zip(crf, getattr(exp, part), strict=True):
            doc = nlp.make_doc(row["text"])
            doc.ents = [doc.char_span(s, e, label) for s, e, label in spans]
            out.append([(e.start_char, e.end_char, e.label_) for e in ruler(doc).ents])
        return out
    shipped = exp.shipped_spans(part)
    if how == "names_union_crf_first":
        return [_resolve(c, s) for c, s in zip(combine(exp, crf, "names", part), shipped, strict=True)]
    if how == "union_crf_first":
        return [_resolve(c, s) for c, s in zip(crf, shipped, strict=True)]
    if how == "union_shipped_first":
        return [_resolve(s, c) for c, s in zip(crf, shipped, strict=True)]
    if how == "intersection":
        return [sorted(set(c) & set(s)) for c, s in zip(crf, shipped, strict=True)]
    raise ValueError(how)


def run(exp: Experiment, config: dict, parts=("dev",), workdir: str = "/tmp/i4crf") -> dict:
    Path(workdir).mkdir(parents=True, exist_ok=True)
    model_path = f"{workdir}/{config['name']}.crfsuite"
    tagger, seconds = exp.fit(config, model_path)
    result = {"variant": config["name"], "config": {k: v for k, v in config.items() if k != "name"},
              "fit_s": round(seconds, 1), "model_bytes": Path(model_path).stat().st_size}
    result["_tagger"], result["_spans"] = tagger, {}
    for part in parts:
        started = time.perf_counter()
        spans = result["_spans"][part] = exp.predict(tagger, config, part)
        predict_s = time.perf_counter() - started
        result[part] = {**score(Predicted(exp.nlp, spans), getattr(exp, part)),
                        "names_seen_unseen": exp.unseen_recall(spans, part),
                        "sentences_per_s": round(len(spans) / predict_s, 1)}
    return result


def paired_bootstrap(rows: list[dict], a: list, b: list, n: int = 1000, seed: int = SEED) -> dict:
    """F1(a) - F1(b) over sentence resamples: its 2.5/50/97.5 percentiles and the share of resamples where a wins."""
    import random

    counts = []
    for row, pa, pb in zip(rows, a, b, strict=True):
        gold = set(row["entities"])
        counts.append([len(set(pa) & gold), len(pa), len(set(pb) & gold), len(pb), len(gold)])
    rng, diffs = random.Random(seed), []
    for _ in range(n):
        tpa = pa = tpb = pb = g = 0
        for _ in range(len(counts)):
            c = counts[rng.randrange(len(counts))]
            tpa, pa, tpb, pb, g = tpa + c[0], pa + c[1], tpb + c[2], pb + c[3], g + c[4]
        diffs.append(2 * tpa / (pa + g) - 2 * tpb / (pb + g))
    diffs.sort()
    return {"p2.5": round(diffs[int(0.025 * n)], 4), "median": round(diffs[n // 2], 4),
            "p97.5": round(diffs[int(0.975 * n)], 4), "share_a_wins": round(sum(d > 0 for d in diffs) / n, 3)}


def sweep(exp: Experiment, log_path: str) -> None:
    """Greedy forward selection on dev; each variant is one JSON line in ``log_path``."""
    with open(log_path, "a", encoding="utf-8") as out:
        _sweep(exp, out)


def _sweep(exp: Experiment, out) -> None:

    def go(name, **changes):
        config = {**best_config, **changes, "name": name}
        res = run(exp, config)
        del res["_tagger"], res["_spans"]
        out.write(json.dumps(res, ensure_ascii=False) + "\n")
        out.flush()
        print(f"{name}: dev F1 {res['dev']['f1']} ({res['fit_s']} s)", file=sys.stderr, flush=True)
        return config, res["dev"]["f1"]

    def consider(name, **changes):
        nonlocal best_config, best_f1
        config, f1 = go(name, **changes)
        if f1 > best_f1:
            best_config, best_f1 = config, f1

    # The shipped model, scored both through spaCy and through Predicted: the two must agree.
    for part in ("dev",):
        direct = score(exp.shipped(), getattr(exp, part))
        via = score(Predicted(exp.nlp, exp.shipped_spans(part)), getattr(exp, part))
        assert direct == via, (direct, via)
        no_names = score(Predicted(exp.nlp, exp.shipped_spans(part, names=False)), getattr(exp, part))
        out.write(json.dumps({"variant": "shipped", part: {**direct, "names_seen_unseen":
                              exp.unseen_recall(exp.shipped_spans(part), part)},
                              "shipped_without_names_f1": no_names["f1"]}, ensure_ascii=False) + "\n")
        print(f"shipped: dev F1 {direct['f1']} (without names ruler {no_names['f1']})", file=sys.stderr, flush=True)

    best_config = {"ctx": 0, "gaz": False, "clusters": (), "c1": 0.1, "c2": 0.1, "tags": "bilou", "combine": "none"}
    best_config, best_f1 = go("base")
    consider("ctx1", ctx=1)
    consider("ctx2", ctx=2)
    consider("gaz", gaz=True)
    consider("clusters64_256", clusters=(64, 256))
    consider("clusters64_256_1024", clusters=(64, 256, 1024))
    for c1, c2 in ((0.05, 0.05), (0.2, 0.05), (0.05, 0.2), (0.3, 0.3), (0.0, 0.5), (1.0, 0.01)):
        consider(f"c1={c1},c2={c2}", c1=c1, c2=c2)
    consider("bio", tags="bio")
    # Second pass at the tuned regularisation: more iterations, weaker penalties, and the families that lost above.
    consider("iters500", iters=500)
    for c1, c2 in ((0.02, 0.02), (0.01, 0.05)):
        consider(f"c1={c1},c2={c2}", c1=c1, c2=c2)
    consider("gaz_again", gaz=True)
    consider("clusters256_again", clusters=(256,))
    consider("clusters64_256_again", clusters=(64, 256))
    for how in ("names", "union_crf_first", "union_shipped_first", "intersection", "names_union_crf_first"):
        go(f"combine_{how}", combine=how)
    out.write(json.dumps({"variant": "best_crf_alone", "config": best_config, "dev_f1": best_f1}, ensure_ascii=False) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", metavar="LOG", help="run every variant on dev only, appending JSON lines to LOG")
    args = parser.parse_args()
    exp = Experiment()
    if args.sweep:
        sweep(exp, args.sweep)
        return
    result = run(exp, SELECTED, parts=("dev", "test"))
    tagger, spans = result.pop("_tagger"), result.pop("_spans")
    for part in ("dev", "test"):
        shipped = exp.shipped_spans(part)
        result[part]["shipped"] = {**score(Predicted(exp.nlp, shipped), getattr(exp, part)),
                                   "names_seen_unseen": exp.unseen_recall(shipped, part)}
        result[part]["bootstrap_vs_shipped"] = paired_bootstrap(getattr(exp, part), spans[part], shipped)
    exp.fasttext.save("/tmp/i4crf/fasttext.model")
    result["fasttext_bytes"] = sum(p.stat().st_size for p in Path("/tmp/i4crf").glob("fasttext.model*"))
    # Speed of the CRF alone (features + tagging), and of the shipped pipeline, on the test sentences.
    started = time.perf_counter()
    crf_only = exp.predict(tagger, {**SELECTED, "combine": "none"}, "test")
    result["crf_only_sentences_per_s"] = round(len(crf_only) / (time.perf_counter() - started), 1)
    started = time.perf_counter()
    list(exp.shipped().pipe(r["text"] for r in exp.test))
    result["shipped_sentences_per_s"] = round(len(exp.test) / (time.perf_counter() - started), 1)
    print(json.dumps({"bench": "bangla_ner_crf", **result}, ensure_ascii=False))


if __name__ == "__main__":
    main()
