"""Sentences/s of Bangla NER inference against the raw fp32 encoder forward, on the same batches, in one run.

    .venv/bin/python bench/ner_speed.py [--tagger DIR] [--sentences 600] [--threads 2] [--repeats 2]

Sentences of ~20 words come from the bundled Rifat + banglakit data (13-27
words). Four timings alternate ``--repeats`` times and the best of each counts:

* ``raw_fp32``: the full 12-block encoder forward (no head, no decoding),
  batches of 32 in length order;
* ``ner_fp32``: the tagger (frozen + tuned blocks, head, BIO decoding to spans);
* ``ner_bf16``: the same under bfloat16 autocast (what ``kg extract`` uses on a
  CPU with native bf16);
* F1 of fp32 and bf16 on the tagger's dev sentences, so speed is shown with accuracy.

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tagger", type=Path, default=None, help="tagger folder (default: the bundled one)")
    parser.add_argument("--sentences", type=int, default=600)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    import torch

    from pipeline.encoders import load_encoder, set_threads
    from pipeline.ner.gold import read_gold, score_spans, split
    from pipeline.ner.tagger import load_tagger
    from pipeline.ner.train import BUNDLED, map_labels

    set_threads(args.threads)
    texts = [r["text"] for path in BUNDLED["bn"] for r in read_gold(path) if 13 <= len(r["text"].split()) <= 27]
    texts = texts[: args.sentences]
    words = sum(len(t.split()) for t in texts)
    raw = load_encoder()
    fp32 = load_tagger(args.tagger, precision="fp32")
    bf16 = load_tagger(args.tagger, precision="bf16")

    @torch.inference_mode()
    def raw_forward() -> None:
        order = sorted(texts, key=len)
        for at in range(0, len(order), 32):
            batch = raw.batch(order[at:at + 32])
            raw.model(batch.ids, batch.mask)

    timings = {"raw_fp32": [], "ner_fp32": [], "ner_bf16": []}
    raw_forward()  # warm-up
    for _ in range(args.repeats):
        for name, run in (("raw_fp32", raw_forward), ("ner_fp32", lambda: fp32.predict(texts)),
                          ("ner_bf16", lambda: bf16.predict(texts))):
            started = time.perf_counter()
            run()
            timings[name].append(time.perf_counter() - started)
    rate = {name: round(len(texts) / min(times), 1) for name, times in timings.items()}

    dev = [row for path in BUNDLED["bn"] for row in split(map_labels(read_gold(path)), 42)[1]]
    gold = [set(r["entities"]) for r in dev]
    f1 = {name: score_spans(gold, [set(p) for p in tagger.predict([r["text"] for r in dev])])["f1"]
          for name, tagger in (("fp32", fp32), ("bf16", bf16))}
    print(json.dumps({"sentences": len(texts), "words_per_sentence": round(words / len(texts), 1),
                      "threads": args.threads, "sentences_per_s": rate,
                      "ratio_bf16_to_raw": round(rate["ner_bf16"] / rate["raw_fp32"], 2),
                      "dev_f1": f1}))


if __name__ == "__main__":
    main()
