"""Naive, loop-based hypercomplex products derived from the basis rules alone.

Deliberately slow and independent of :mod:`pipeline.embed.algebra`: the
multiplication table is built from the defining identities (squares and
the three cyclic products), and products are summed one basis pair at a time.
"""

from __future__ import annotations

import itertools

import torch

ONE, I, J, K = range(4)

#: basis rules: squares of i, j, k and the products ij, jk, ki as (sign, basis)
QUATERNION_RULES = {"squares": (-1, -1, -1), "ij": (1, K), "jk": (1, I), "ki": (1, J)}
DIHEDRON_RULES = {"squares": (-1, 1, 1), "ij": (1, K), "jk": (-1, I), "ki": (1, J)}


def basis_table(rules: dict) -> list[list[tuple[int, int]]]:
    """``table[p][q] = (sign, r)`` such that ``e_p e_q = sign * e_r``."""
    table = [[(0, 0)] * 4 for _ in range(4)]
    for p in range(4):
        table[ONE][p] = table[p][ONE] = (1, p)
    for p, square in zip((I, J, K), rules["squares"]):
        table[p][p] = (square, ONE)
    for (p, q), key in (((I, J), "ij"), ((J, K), "jk"), ((K, I), "ki")):
        sign, r = rules[key]
        table[p][q] = (sign, r)
        table[q][p] = (-sign, r)  # imaginary units anti-commute
    return table


def naive_product(table, x: list[float], y: list[float]) -> list[float]:
    """Product of two single hypercomplex numbers ``(a, b, c, d)``."""
    out = [0.0] * 4
    for p in range(4):
        for q in range(4):
            sign, r = table[p][q]
            out[r] += sign * x[p] * y[q]
    return out


def naive_score(table, h, r, t, b_h=None, b_t=None) -> torch.Tensor:
    """``b_h + b_t - ||h r - t||²`` with explicit loops over batch, dimension and basis.

    ``h``, ``r``, ``t``: broadcastable ``(*batch, 4, d)``; ``b_h``, ``b_t``: ``(*batch,)`` or None.
    """
    h, r, t = torch.broadcast_tensors(h, r, t)
    batch_shape, d = h.shape[:-2], h.shape[-1]
    scores = torch.zeros(batch_shape, dtype=h.dtype)
    for index in itertools.product(*map(range, batch_shape)):
        total = 0.0
        for i in range(d):
            q = naive_product(table, h[index][:, i].tolist(), r[index][:, i].tolist())
            total += sum((q[c] - float(t[index][c, i])) ** 2 for c in range(4))
        scores[index] = -total
    if b_h is not None:
        scores = scores + b_h + b_t
    return scores
