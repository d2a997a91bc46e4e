"""Tiny, real-looking candidate graphs for the filter tests (and the benchmark)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from pipeline.schema import EDGES, NODE_FEATURES


def edge_rows(pairs, confidence=None, predicate: str = "related_to", doc: str = "d0") -> list[dict]:
    """EDGES rows for (subject, object) pairs; one evidence row per pair."""
    rows = []
    for i, (s, o) in enumerate(pairs):
        rows.append(
            {
                "edge_id": f"e{i}",
                "subject_id": s,
                "predicate": predicate,
                "object_id": o,
                "doc_id": doc,
                "sentence": i,
                "start": 0,
                "end": 10,
                "extractor": "test",
                "confidence": 1.0 if confidence is None else float(confidence[i]),
            }
        )
    return rows


def edges_table(pairs, confidence=None, **kwargs) -> pa.Table:
    return pa.Table.from_pylist(edge_rows(pairs, confidence, **kwargs), schema=EDGES)


def features_table(vectors: dict[str, np.ndarray]) -> pa.Table:
    return pa.Table.from_pylist(
        [{"entity_id": k, "vector": np.asarray(v, dtype=np.float32).tolist()} for k, v in vectors.items()],
        schema=NODE_FEATURES,
    )


def community_graph(seed: int = 0, size: int = 15, p_in: float = 0.35, num_noise: int = 6, dim: int = 16):
    """Two dense communities of ``size`` entities plus ``num_noise`` random cross edges.

    Features are community-correlated: a community direction plus unit noise.
    Confidences are drawn from the same distribution for every edge, so only
    the structure and the features can tell noise apart.

    Returns:
        (edges table, features table, set of noise (subject, object) pairs)
    """
    rng = np.random.default_rng(seed)
    nodes = [f"Q{i:02d}" for i in range(2 * size)]
    community = np.repeat([0, 1], size)
    pairs = []
    for c in (0, 1):
        members = [n for n, k in zip(nodes, community) if k == c]
        for i in range(size):
            for j in range(i + 1, size):
                if rng.random() < p_in:
                    pairs.append((members[i], members[j]))
    noise = set()
    while len(noise) < num_noise:
        a, b = rng.integers(0, size), rng.integers(size, 2 * size)
        pair = (nodes[a], nodes[b]) if rng.random() < 0.5 else (nodes[b], nodes[a])
        noise.add(pair)
    pairs += sorted(noise)
    order = rng.permutation(len(pairs))
    pairs = [pairs[i] for i in order]
    confidence = rng.uniform(0.5, 1.0, len(pairs))
    centres = rng.normal(0.0, 1.0, (2, dim))
    vectors = {n: centres[k] + rng.normal(0.0, 1.0, dim) for n, k in zip(nodes, community)}
    return edges_table(pairs, confidence), features_table(vectors), noise
