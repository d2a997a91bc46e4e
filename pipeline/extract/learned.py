"""The learned extractor: relations from the relation model over a base extractor's mentions and sentences.

The base extractor (spaCy rules for English, the Bangla extractor, the
co-occurrence one for other languages) splits sentences and finds typed
mentions. For English the relation model's own tagger finds the mentions
(it learnt WebNLG and CoNLL04 arguments: names and values, not generic
nouns) and the base only types them. Every ordered pair of mentions within
``sentence_window`` sentences is scored against the schema's relation names
(:mod:`pipeline.relations.model`); a pair whose best relation does not beat
"no relation" and the calibrated threshold gives no fact. Without a schema
the names the model was trained on serve as a general one.

``open_predicates`` keeps the base extractor's own relations (open
predicates, co-occurrence) for the pairs the model did not relate.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

from pipeline.extract.base import Extraction, Extractor, extractors
from pipeline.extract.canonicalise import clean_surface
from pipeline.relations.model import Found, load_relation_model

#: Sentences are grouped into windows of at most this many characters (about 150 to 250 tokens).
WINDOW_CHARS = 700
LEARNED_MENTION_CONFIDENCE = 0.8


@extractors.register("learned")
class LearnedExtractor(Extractor):
    name = "learned"

    def __init__(self, lang: str = "en", base: str = "spacy", relation_model: str | None = None,
                 schema: Iterable[str] | None = None, mentions: str = "base", open_predicates: bool = False,
                 sentence_window: int = 1, batch_size: int = 32, **base_kwargs: object) -> None:
        if mentions not in ("model", "base"):
            raise ValueError(f"mentions must be 'model' or 'base' (got {mentions!r})")
        self.lang = lang
        if base == "spacy":
            base_kwargs["relations"] = open_predicates  # the rules' relations are only read with open predicates
        self.base = extractors.make(base, lang=lang, batch_size=batch_size, **base_kwargs)
        self.model = load_relation_model(relation_model)
        self.schema = tuple(schema) if schema else self.model.general_schema
        self.own_mentions = mentions == "model"
        self.open_predicates = open_predicates
        self.sentence_window = sentence_window
        self.batch_size = batch_size

    def extract(self, documents: Iterable[dict]) -> Iterable[Extraction]:
        docs = list(documents)
        for at in range(0, len(docs), self.batch_size):
            chunk = docs[at:at + self.batch_size]
            yield from self._extract_batch(chunk, list(self.base.extract(chunk)))

    def _extract_batch(self, docs: list[dict], bases: list[Extraction]) -> list[Extraction]:
        windows = []  # (document index, window start char)
        texts, given, allowed, indexes = [], [], [], []
        for d, (doc, base) in enumerate(zip(docs, bases)):
            text = doc["text"]
            base.sentences = sentences = base.sentences or [(0, len(text))]
            indexes.append(_Spans(base.mentions))
            for first, last in _windows(sentences):
                start, end = sentences[first][0], sentences[last][1]
                windows.append((d, start))
                texts.append(text[start:end])
                given.append([(m["start"] - start, m["end"] - start) for m in indexes[d].within(start, end)])
                allowed.append(_near([s - start for s, _ in sentences[first:last + 1]], self.sentence_window))
        found = self.model.predict(texts, self.schema, None if self.own_mentions else given, allowed)
        outs = [Extraction(base.doc_id, error=base.error, sentences=base.sentences) for base in bases]
        known: list[dict] = [{} for _ in bases]  # per document: (start, end) -> (mention id, sentence)
        for (d, start), f in zip(windows, found):
            self._add_window(outs[d], indexes[d], docs[d]["text"], start, f, known[d])
        for out, base, spans in zip(outs, bases, known):
            self._keep_base(out, base, spans)
        return outs

    def _add_window(self, out: Extraction, base: _Spans, text: str, start: int, found: Found, known: dict) -> None:
        sentence_starts = [s for s, _ in out.sentences]
        keys = []
        for s, e in found.mentions:
            span = (start + s, start + e)
            if span not in known:
                m = base.exact.get(span) or self._typed(base, text, span,
                                                        bisect.bisect_right(sentence_starts, span[0]) - 1)
                known[span] = (out.add_mention(sentence=m["sentence"], start=span[0], end=span[1], text=m["text"],
                                               surface=text[span[0]:span[1]], label=m["label"], lang=m["lang"],
                                               extractor=m["extractor"], confidence=m["confidence"]), m["sentence"])
            keys.append(span)
        for i, j, name, p in found.relations:
            (a, sa), (b, sb) = known[keys[i]], known[keys[j]]
            lo, hi = sorted((sa, sb))
            out.add_relation(subject=a, predicate=name, obj=b, sentence=sa, start=out.sentences[lo][0],
                             end=out.sentences[hi][1], extractor=self.name, confidence=round(p, 4))

    def _typed(self, base: _Spans, text: str, span: tuple[int, int], sentence: int) -> dict:
        """A mention the tagger found, typed by the base mention it overlaps most (else by its shape)."""
        def overlap(m: dict) -> int:
            return min(m["end"], span[1]) - max(m["start"], span[0])

        best = max(base.overlapping(*span), key=overlap, default=None)
        surface = text[span[0]:span[1]]
        if best is not None:
            label = best["label"]
        else:
            label = "THING" if any(ch.isalpha() for ch in surface) else "QUANTITY"
        return {"sentence": sentence, "text": clean_surface(surface), "label": label, "lang": self.lang,
                "extractor": self.name, "confidence": LEARNED_MENTION_CONFIDENCE}

    def _keep_base(self, out: Extraction, base: Extraction, known: dict) -> None:
        """Typed base mentions the tagger did not cover stay entities; with ``open_predicates``, base relations too."""
        taken = _Spans([{"start": s, "end": e} for s, e in known])
        ids = {}
        for m in base.mentions:
            span = (m["start"], m["end"])
            if span in known:
                ids[m["mention_id"]] = known[span][0]
            elif m["label"] != "THING" and not taken.overlapping(*span):
                ids[m["mention_id"]] = out.add_mention(**{k: m[k] for k in _MENTION_FIELDS})
        if not self.open_predicates:
            return
        related = {frozenset((r["subject_mention"], r["object_mention"])) for r in out.relations}
        for r in base.relations:
            s, o = ids.get(r["subject_mention"]), ids.get(r["object_mention"])
            if s and o and frozenset((s, o)) not in related:
                out.add_relation(subject=s, predicate=r["predicate"], obj=o, sentence=r["sentence"], start=r["start"],
                                 end=r["end"], extractor=r["extractor"], confidence=r["confidence"])


class _Spans:
    """Mention rows sorted by start, for lookups in O(log n): a long document's mentions are never scanned
    per mention. Extractors' mentions do not overlap one another, so ends are sorted too."""

    def __init__(self, mentions: list[dict]) -> None:
        self.rows = sorted(mentions, key=lambda m: (m["start"], m["end"]))
        self.starts = [m["start"] for m in self.rows]
        self.exact = {(m["start"], m["end"]): m for m in self.rows}

    def within(self, start: int, end: int) -> list[dict]:
        at = bisect.bisect_left(self.starts, start)
        out = []
        while at < len(self.rows) and self.rows[at]["start"] < end:
            if self.rows[at]["end"] <= end:
                out.append(self.rows[at])
            at += 1
        return out

    def overlapping(self, start: int, end: int) -> list[dict]:
        at = bisect.bisect_left(self.starts, end) - 1
        out = []
        while at >= 0 and self.rows[at]["end"] > start:
            out.append(self.rows[at])
            at -= 1
        return out


_MENTION_FIELDS = ("sentence", "start", "end", "text", "surface", "label", "lang", "extractor", "confidence")


def _windows(sentences: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Runs ``(first, last)`` of consecutive sentences spanning at most :data:`WINDOW_CHARS` (a longer one alone)."""
    out, first = [], 0
    for n in range(1, len(sentences) + 1):
        if n == len(sentences) or sentences[n][1] - sentences[first][0] > WINDOW_CHARS:
            out.append((first, n - 1))
            first = n
    return out


def _near(starts: list[int], window: int):
    """``allowed(a, b)`` for two character spans of a window: their sentences are at most ``window`` apart."""
    def allowed(a: tuple[int, int], b: tuple[int, int]) -> bool:
        return abs(bisect.bisect_right(starts, a[0]) - bisect.bisect_right(starts, b[0])) <= window
    return allowed
