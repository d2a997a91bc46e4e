"""How language routing does on short real lines: misroutes, load time, memory, speed.

English: WebNLG dev, CoNLL04 train+dev and Tatoeba's English side must stay ``en``; Tatoeba's
Bangla side and bnwiki paragraphs must be ``bn``; spaCy's own example sentences of the other
routed Latin-script languages should keep their language. Prints one JSON line.

    nice -n 10 .venv/bin/python bench/langid_routing.py [--languages en,bn,de,...] [--min-confidence 0.5]
"""

from __future__ import annotations

import argparse
import glob
import importlib
import json
import resource
import time
import unicodedata
from collections import Counter
from pathlib import Path

from pipeline.ingest.langid import DEFAULT_LANGUAGES, LANG_SCRIPTS, LanguageRouter

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _texts(*patterns: str) -> list[str]:
    paths = sorted(p for pattern in patterns for p in glob.glob(str(DATA / pattern)))
    return [json.loads(line)["text"] for path in paths for line in open(path, encoding="utf-8") if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--languages", default=",".join(DEFAULT_LANGUAGES))
    parser.add_argument("--min-confidence", type=float, default=0.5)
    args = parser.parse_args()
    languages = args.languages.split(",")
    tatoeba = [line.split("\t") for line in (DATA / "en_bn_tatoeba_pairs.tsv").read_text(encoding="utf-8").splitlines()[1:]]
    sets = {
        "webnlg_dev": ("en", _texts("webnlg_dev.jsonl")),
        "conll04": ("en", _texts("train/conll04_*.jsonl")),
        "tatoeba_en": ("en", [pair[0] for pair in tatoeba]),
        "tatoeba_bn": ("bn", [pair[1] for pair in tatoeba]),
        "bnwiki": ("bn", _texts("bnwiki_paragraphs.jsonl")),
    }
    foreign = [(lang, s) for lang in languages if lang != "en" and lang not in LANG_SCRIPTS
               for s in importlib.import_module(f"spacy.lang.{lang}.examples").sentences]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    router = LanguageRouter(languages, min_confidence=args.min_confidence)
    router("The first Latin-script line loads the models.")
    load_s = time.perf_counter() - started
    load_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss) / 1024
    result: dict = {"languages": languages, "min_confidence": args.min_confidence,
                    "load_s": round(load_s, 2), "load_mb": round(load_mb)}
    count, started = 0, time.perf_counter()
    for name, (want, texts) in sets.items():
        router = LanguageRouter(languages, min_confidence=args.min_confidence)  # a run per corpus, as a build
        got = Counter(router(unicodedata.normalize("NFC", t)) for t in texts)
        count += len(texts)
        result[name] = {"texts": len(texts), "misrouted": len(texts) - got[want],
                        "to": dict(got.most_common()[1:] if got.most_common(1)[0][0] == want else got.most_common())}
    # All languages' examples through one router (a mixed corpus), then each through its own (a German corpus...).
    mixed = LanguageRouter(languages, min_confidence=args.min_confidence)
    routers = {lang: LanguageRouter(languages, min_confidence=args.min_confidence) for lang, _ in foreign}
    result["foreign_examples"] = {"texts": len(foreign), "correct_mixed": sum(mixed(s) == lang for lang, s in foreign),
                                  "correct_per_language": sum(routers[lang](s) == lang for lang, s in foreign)}
    result["ms_per_text"] = round((time.perf_counter() - started) / (count + len(foreign)) * 1000, 3)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
