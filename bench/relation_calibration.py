"""Is the relation model's probability a probability? Reliability of its triples on the dev sets.

    .venv/bin/python bench/relation_calibration.py [--model DIR] [--bins 10] [--plot bench/out/relation_reliability.png]

Every distinct triple the model keeps on webnlg_dev.jsonl and train/conll04_dev.jsonl
(each with its own schema) is judged right or wrong as `kg eval extract` judges
triples (fuzzy arguments, relation shares a word, one gold triple per
prediction) and binned by the confidence it carries (P(related) through the
dev-fitted Platt scaling); a calibrated model's bins sit on the diagonal.
Prints one JSON line per dev file (bins, expected calibration error of the
confidences and of the raw probabilities) and draws the reliability diagram.
The scaling is fitted on these same dev files: a held-out set measures it honestly.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"


def bins_of(pairs: list[tuple[float, bool]], n: int) -> list[dict]:
    out = []
    for b in range(n):
        lo, hi = b / n, (b + 1) / n
        inside = [(p, ok) for p, ok in pairs if lo <= p < hi or (b == n - 1 and p == 1.0)]
        if inside:
            out.append({"from": round(lo, 2), "to": round(hi, 2), "triples": len(inside),
                        "mean_probability": round(sum(p for p, _ in inside) / len(inside), 3),
                        "precision": round(sum(ok for _, ok in inside) / len(inside), 3)})
    return out


def ece(bins: list[dict]) -> float:
    total = sum(b["triples"] for b in bins)
    return round(sum(b["triples"] * abs(b["mean_probability"] - b["precision"]) for b in bins) / max(total, 1), 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="relation model folder (default: the bundled one)")
    parser.add_argument("--bins", type=int, default=10)
    parser.add_argument("--plot", type=Path, default=ROOT / "bench" / "out" / "relation_reliability.png")
    args = parser.parse_args()

    from pipeline.relations.data import read_examples
    from pipeline.relations.model import load_relation_model
    from pipeline.relations.train import judged, predict_dev

    model = load_relation_model(args.model)
    files = [DATA / "webnlg_dev.jsonl", DATA / "train" / "conll04_dev.jsonl"]
    dev = [(read_examples(f), [json.loads(x) for x in f.read_text(encoding="utf-8").splitlines() if x.strip()])
           for f in files]
    found = predict_dev(model, dev)
    curves = {}
    for f, (examples, rows), fo in zip(files, dev, found):
        raw = judged(examples, rows, fo)  # P(related) as the model gives it
        kept = [(model.confidence(p), ok) for p, ok in raw if p >= model.cfg.threshold]  # the confidences facts carry
        curves[f.name] = bins_of(kept, args.bins)
        print(json.dumps({"file": f.name, "threshold": model.cfg.threshold, "calibration": model.cfg.calibration,
                          "triples": len(raw), "kept": len(kept),
                          "kept_precision": round(sum(ok for _, ok in kept) / max(len(kept), 1), 4),
                          "ece_kept_raw": ece(bins_of([(p, ok) for p, ok in raw if p >= model.cfg.threshold], args.bins)),
                          "ece_kept": ece(curves[f.name]), "ece_all_raw": ece(bins_of(raw, args.bins)),
                          "bins": curves[f.name]}))
    _plot(curves, model.cfg.threshold, args.plot)


def _plot(curves: dict[str, list[dict]], threshold: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", label="calibrated")
    for name, bins in curves.items():
        ax.plot([b["mean_probability"] for b in bins], [b["precision"] for b in bins], marker="o", label=name)
        ax.set(title="Relation model reliability, kept triples (dev)", xlabel="confidence of the triple",
           ylabel="fraction of triples right (fuzzy match)", xlim=(0, 1), ylim=(0, 1))
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(json.dumps({"plot": str(path)}))


if __name__ == "__main__":
    main()
