"""Test MRR of every hypercomplex model variant on one dataset, at one budget.

Variants: quaternion, dihedron (structure only) and tetra, robin, lion with
each algebra (text-enhanced: ``DIR/entity2text.tsv``, else entity labels).
Every run uses the same settings and seed (defaults: PyKEEN's reference
budget, dim 64, 100 epochs, batch 256, Adam 0.01, 16 negatives, seed 42).

Prints one JSON line::

    {"dataset": ..., "dim": ..., "epochs": ..., ..., "results": {"tetra/dihedron": {"mrr": ..., "hits_at_10": ...,
     "seconds": ...}, ...}}

Usage: ``python bench/embed_variants.py --dataset nations [--variants tetra/dihedron,quaternion] [--threads 1]``
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import warnings

import torch

from pipeline.embed.train import train_and_evaluate

VARIANTS = ("quaternion", "dihedron") + tuple(
    f"{model}/{algebra}" for model in ("tetra", "robin", "lion") for algebra in ("quaternion", "dihedron")
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="nations")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated, model[/algebra]")
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--negatives", type=int, default=16)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    logging.getLogger("pykeen").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")

    budget = dict(dim=args.dim, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, negatives=args.negatives)
    results = {}
    for variant in args.variants.split(","):
        model, _, algebra = variant.partition("/")
        run = train_and_evaluate(args.dataset, model=model, seed=args.seed, device="auto",
                                 model_kwargs={"algebra": algebra} if algebra else None, **budget)
        results[variant] = {key: round(run[key], 4) for key in ("mrr", "hits_at_1", "hits_at_10", "seconds")}
        print(variant, results[variant], file=sys.stderr)  # progress
    print(json.dumps({"dataset": args.dataset, **budget, "seed": args.seed, "results": results}))


if __name__ == "__main__":
    main()
