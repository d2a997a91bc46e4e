"""Time one training epoch of our quaternion model against PyKEEN's QuatE.

Both train through the same sLCWA loop (:func:`pipeline.embed.train.fit`)
at the same settings; only the model differs. Each model is warmed up for
one epoch, then timed over ``--epochs`` epochs, ``--repeats`` times, and the
fastest repeat counts (the least disturbed by other load on the machine).

Prints one JSON line::

    {"dataset": ..., "dim": 64, "batch_size": 256, "negatives": 16, "threads": ...,
     "device": ..., "quaternion_s": <s/epoch>, "quate_s": <s/epoch>, "ratio": quaternion_s / quate_s}

``ratio`` < 1 means ours is faster.

Usage: ``python bench/embed_speed.py [--dataset nations|umls|kinships] [--threads N]``
"""

from __future__ import annotations

import argparse
import json
import logging
import time
import warnings

import torch
from pykeen.utils import set_random_seed

from pipeline.embed.models import build_model
from pipeline.embed.train import fit, load_dataset, resolve_device


def seconds_per_epoch(name: str, args: argparse.Namespace) -> float:
    """Fastest of ``args.repeats`` timings of ``args.epochs`` epochs, per epoch."""
    set_random_seed(args.seed)
    data = load_dataset(args.dataset)
    device = resolve_device(args.device)
    model = build_model(name, triples_factory=data.training, embedding_dim=args.dim, random_seed=args.seed).to(device)
    settings = dict(batch_size=args.batch_size, lr=0.01, negatives=args.negatives)
    fit(model, data.training, epochs=1, **settings)  # warm-up
    best = float("inf")
    for _ in range(args.repeats):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        fit(model, data.training, epochs=args.epochs, **settings)
        if device.type == "cuda":
            torch.cuda.synchronize()
        best = min(best, (time.perf_counter() - start) / args.epochs)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="nations")
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--negatives", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=3, help="epochs per timed repeat")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    logging.getLogger("pykeen").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="torch.utils.data")

    ours, theirs = seconds_per_epoch("quaternion", args), seconds_per_epoch("quate", args)
    print(
        json.dumps(
            {
                "dataset": args.dataset,
                "dim": args.dim,
                "batch_size": args.batch_size,
                "negatives": args.negatives,
                "threads": torch.get_num_threads(),
                "device": str(resolve_device(args.device)),
                "quaternion_s": round(ours, 4),
                "quate_s": round(theirs, 4),
                "ratio": round(ours / theirs, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
