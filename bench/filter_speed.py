"""Time the "gae" filter on a synthetic community graph of facts.

    .venv/bin/python bench/filter_speed.py [--edges 100000] [--nodes 20000] [--dim 64] [--relations 20]

Each fact takes one of ``--relations`` predicates at random. Prints one JSON
line: total and GNN seconds, epochs run, seconds per epoch and the
noise-vs-community AUC of the scores (confidences are random, so only the GNN
can find the noise). Target: <= 60 s for 100k facts / 20k nodes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import logging
import time

import numpy as np
import pyarrow as pa

from pipeline.filter import FilterConfig, run_filter
from pipeline.schema import EDGES, NODE_FEATURES


def synthetic(num_edges: int, num_nodes: int, dim: int, communities: int = 50, noise: float = 0.1, seed: int = 0,
              relations: int = 20):
    rng = np.random.default_rng(seed)
    community = rng.integers(0, communities, num_nodes)
    members = [np.flatnonzero(community == c) for c in range(communities)]
    n_noise = int(noise * num_edges)
    src = rng.integers(0, num_nodes, num_edges)
    dst = np.empty(num_edges, dtype=np.int64)
    for i, c in enumerate(community[src[n_noise:]]):
        dst[n_noise + i] = members[c][rng.integers(0, len(members[c]))]
    dst[:n_noise] = rng.integers(0, num_nodes, n_noise)
    is_noise = np.zeros(num_edges, dtype=bool)
    is_noise[:n_noise] = community[src[:n_noise]] != community[dst[:n_noise]]
    ids = np.array([f"Q{i}" for i in range(num_nodes)], dtype=object)
    edges = pa.table(
        {
            "edge_id": [f"e{i}" for i in range(num_edges)],
            "subject_id": ids[src],
            "predicate": np.array([f"rel{r}" for r in range(relations)], dtype=object)[rng.integers(0, relations, num_edges)],
            "object_id": ids[dst],
            "doc_id": ["d"] * num_edges,
            "sentence": np.zeros(num_edges, dtype=np.int32),
            "start": np.zeros(num_edges, dtype=np.int32),
            "end": np.ones(num_edges, dtype=np.int32),
            "extractor": ["bench"] * num_edges,
            "confidence": rng.uniform(0.5, 1.0, num_edges).astype(np.float32),
        },
        schema=EDGES,
    )
    centres = rng.normal(0, 1, (communities, dim)).astype(np.float32)
    x = centres[community] + rng.normal(0, 1.5, (num_nodes, dim)).astype(np.float32)
    vectors = pa.FixedSizeListArray.from_arrays(pa.array(x.reshape(-1)), dim).cast(pa.list_(pa.float32()))
    features = pa.table({"entity_id": ids, "vector": vectors}, schema=NODE_FEATURES)
    return edges, features, is_noise


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--edges", type=int, default=100_000)
    parser.add_argument("--nodes", type=int, default=20_000)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--relations", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=FilterConfig().epochs)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    edges, features, is_noise = synthetic(args.edges, args.nodes, args.dim, relations=args.relations)
    start, cpu_start = time.perf_counter(), time.process_time()
    result = run_filter(edges, features, config=FilterConfig(epochs=args.epochs, device=args.device, num_threads=args.threads,
                                                                 confidence_weight=0.0))
    total, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    scores = result.scored_edges.column("filter_score").to_numpy()
    pos, neg = scores[~is_noise], scores[is_noise]
    ranks = np.argsort(np.argsort(np.concatenate([pos, neg]))) + 1  # Mann-Whitney AUC
    auc = (ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))
    stats = result.stats
    print(
        json.dumps(
            {
                "method": result.method,
                "total_s": round(total, 2),
                "cpu_s": round(cpu, 2),  # this process only: robust to other jobs sharing the cores
                "gnn_s": stats.get("seconds"),
                "epochs_run": stats.get("epochs_run"),
                "best_epoch": stats.get("best_epoch"),
                "s_per_epoch": round(stats["seconds"] / stats["epochs_run"], 3) if stats.get("epochs_run") else None,
                "num_edges": stats["num_edges"],
                "auc_noise": round(float(auc), 3),
                "device": stats.get("device"),
                "threads": stats.get("threads"),
                "hidden_dim": stats.get("hidden_dim"),
            }
        )
    )


if __name__ == "__main__":
    main()
