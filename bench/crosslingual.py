"""Cross-lingual linking on the example corpus, scored against examples/alignment_gold.tsv.

    .venv/bin/python bench/crosslingual.py [--corpus examples/corpus] [--gold examples/alignment_gold.tsv]
        [--bnwiki ../shared/data/bnwiki_paragraphs.jsonl] [--sample 50] [--seed 0]

Runs ingest, extract and link twice: with the bundled lexicon, and with a
lexicon that keeps only its relation words (no names), so that every merge
must come from transliteration or the encoder. Prints one JSON line per setting: gold pairs
merged, merges per method, and the wrong merges among the first 50 sound or encoder merges by
confidence (a merge is wrong when the gold gives the Bangla name another
English name; merges of names outside the gold list are listed for reading).

``gold_labels`` lines match the gold names themselves with the encoder (no lexicon, lexicon types):
every Bangla name against the 168 gold English names, and against the lexicon's 781 English names;
``absent_partner`` removes the English names of a seeded half of the pairs (4 halves) and counts the
Bangla names of that half that still merge (all wrong).

With ``--bnwiki``, the same two settings on bnwiki + the corpus, and ``--sample`` merges drawn at
random (seeded) from each, printed with both labels and a window of the Bangla mention's text, to read.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import tempfile
import time
from pathlib import Path

import pyarrow as pa

from pipeline.extract.api import run_extract
from pipeline.extract.config import ExtractConfig
from pipeline.ingest.api import run_ingest
from pipeline.lexicon import Lexicon
from pipeline.link.api import run_link
from pipeline.link.crosslingual import match_by_encoder, match_by_transliteration
from pipeline.link.ids import normalise_key

ROOT = Path(__file__).resolve().parent.parent


def score(result, gold: list[dict]) -> dict:
    on: dict[tuple[str, str], set[str]] = {}
    for entity in result.entities.to_pylist():
        for label in entity["labels"]:
            on.setdefault((label["lang"], label["text"]), set()).add(entity["entity_id"])
    hits = sum(bool(on.get(("bn", g["bangla"]), set()) & on.get(("en", g["english"]), set())) for g in gold)
    english_of = {normalise_key(g["bangla"]): normalise_key(g["english"]) for g in gold}
    sound = [m for m in result.merges if m["method"] != "lexicon"]
    top = sound[:50]
    # Wrong: the gold gives this Bangla name another English name. Other Bangla forms of a gold
    # English name ("গঙ্গা" for "Ganges") are not gold pairs; they are listed for reading.
    wrong = [m for m in top if english_of.get(m["bangla"], m["english"]) != m["english"]]
    outside = [m for m in top if m["bangla"] not in english_of]
    return {"gold_pairs": len(gold), "merged": hits, "merged_rate": round(hits / len(gold), 4),
            "merges": {method: sum(m["method"] == method for m in result.merges)
                       for method in ("lexicon", "transliteration", "encoder", "encoder+transliteration")},
            "wrong_in_top50": len(wrong),
            "wrong": [(m["bangla"], m["english"], m["confidence"]) for m in wrong],
            "outside_gold_in_top50": [(m["bangla"], m["english"], m["confidence"]) for m in outside],
            "lowest_top50_confidence": top[-1]["confidence"] if top else None}


def gold_labels(gold: list[dict]) -> list[dict]:
    """The encoder on the gold names alone: merged pairs, and false merges when the partner is absent."""
    import torch

    from pipeline.encoders import load_encoder

    lexicon, encoder = Lexicon.load(), load_encoder()
    vectors: dict[str, object] = {}

    def embed(texts):  # each name once, though the pools repeat
        missing = [t for t in dict.fromkeys(texts) if t not in vectors]
        if missing:
            vectors.update(zip(missing, encoder.embed(missing, prefix="query: ")))
        return torch.stack([vectors[t] for t in texts])

    english_of = {g["bangla"]: g["english"] for g in gold}
    kind = {}
    for english, entity_type in lexicon.names.values():
        kind.setdefault(english, entity_type)
    bangla = {g["bangla"]: kind[g["english"]] for g in gold}
    lines = []
    for pool_name, pool in (("gold_english", sorted(set(english_of.values()))), ("lexicon_english", sorted(kind))):
        for signals in ("encoder", "transliteration_then_encoder"):
            def link(english, signals=signals):  # as run_link: sound first, then the encoder on the rest
                sound = match_by_transliteration(bangla, english) if signals != "encoder" else []
                taken = {m.bangla: m.english for m in sound}
                known = {e: [b] for b, e in taken.items()}
                return sound + match_by_encoder({b: t for b, t in bangla.items() if b not in taken}, english,
                                                embed=embed, known=known)

            matches = link({e: kind[e] for e in pool})
            right = sum(english_of[m.bangla] == m.english for m in matches)
            false_merges, tried = 0, 0
            for seed in range(4):
                half = set(random.Random(seed).sample(sorted(bangla), len(bangla) // 2))
                gone = {english_of[b] for b in half}
                false_merges += sum(m.bangla in half for m in link({e: kind[e] for e in pool if e not in gone}))
                tried += len(half)
            lines.append({"bench": "crosslingual", "setting": "gold_labels", "signals": signals,
                          "english_pool": len(pool), "pool": pool_name, "gold_pairs": len(gold),
                          "merged_right": right, "merged_wrong": len(matches) - right,
                          "merged_rate": round(right / len(gold), 4),
                          "absent_partner_false_merges": false_merges, "absent_partner_tried": tried})
    return lines


def sample_merges(result, documents: pa.Table, mentions: pa.Table, n: int, seed: int) -> list[dict]:
    """``n`` merges at random, each with the entity's labels and a window of one Bangla mention's text."""
    text_of = dict(zip(documents.column("doc_id").to_pylist(), documents.column("text").to_pylist()))
    where = {}
    for m in mentions.to_pylist():
        where.setdefault(normalise_key(m["text"]), m)
    labels = {}
    for entity in result.entities.to_pylist():
        for label in entity["labels"]:
            labels[normalise_key(label["text"])] = {lab["lang"]: lab["text"] for lab in entity["labels"]}
    drawn = random.Random(seed).sample(result.merges, min(n, len(result.merges)))
    rows = []
    for merge in drawn:
        m = where.get(merge["bangla"])
        window = text_of[m["doc_id"]][max(0, m["start"] - 60):m["end"] + 60].replace("\n", " ") if m else ""
        rows.append({**merge, "labels": labels.get(normalise_key(merge["english"]), {}), "context": window})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "examples" / "corpus")
    parser.add_argument("--gold", type=Path, default=ROOT / "examples" / "alignment_gold.tsv")
    parser.add_argument("--bnwiki", type=Path, help="also build bnwiki + the corpus and sample its merges")
    parser.add_argument("--sample", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with args.gold.open(encoding="utf-8") as handle:
        gold = list(csv.DictReader(handle, delimiter="\t"))
    started = time.perf_counter()
    for line in gold_labels(gold):
        print(json.dumps({**line, "seconds": round(time.perf_counter() - started, 1)}))
    builds = [("examples", [str(args.corpus)])]
    if args.bnwiki:
        builds.append(("bnwiki+examples", [str(args.bnwiki), str(args.corpus)]))
    with tempfile.TemporaryDirectory() as tmp:
        relations_only = Path(tmp) / "relations_only.tsv"
        lexicon = Lexicon.load()
        relations_only.write_text("".join(f"{bn}\t{en}\tRELATION\n" for bn, en in lexicon.relation_words.items()),
                                  encoding="utf-8")
        for build, inputs in builds:
            documents = pa.concat_tables(list(run_ingest(inputs)))
            for setting, path in (("bundled_lexicon", None), ("no_names_in_lexicon", str(relations_only))):
                extracted = run_extract(documents, config=ExtractConfig(lexicon_path=path))
                result = run_link(extracted.mentions, extracted.relations, lexicon_path=path)
                print(json.dumps({"bench": "crosslingual", "build": build, "setting": setting,
                                  "routes": extracted.routes, **score(result, gold),
                                  "seconds": round(time.perf_counter() - started, 1)}, ensure_ascii=False))
                if build != "examples":
                    for row in sample_merges(result, documents, extracted.mentions, args.sample, args.seed):
                        print(json.dumps({"sample": setting, **row}, ensure_ascii=False))


if __name__ == "__main__":
    main()
