"""Label-free calibration of filter scores against the extractor's calibrated evidence."""

from __future__ import annotations

import numpy as np


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p) - np.log1p(-p)


def platt_to_evidence(scores: np.ndarray, evidence: np.ndarray) -> np.ndarray:
    r"""Map scores onto probabilities with Platt scaling fitted to soft targets.

    .. math::
        \hat{p}_e = \sigma\big(e^{\alpha}\,\mathrm{logit}(s_e) + \beta\big),
        \qquad (\alpha, \beta) = \arg\min \sum_e \mathrm{BCE}(\hat{p}_e, \pi_e)

    with :math:`\pi_e` the edge's extractor evidence (the stage passes the sentence-shared
    noisy-OR of confidences that are per-pattern precisions measured on labelled text).
    No gold label is read. The slope
    :math:`e^{\alpha} > 0`, so the map is strictly increasing: the ranking (and the
    average precision) is unchanged, and ties stay ties.

    Shapes:
        - **input:** scores :math:`(E,)` in :math:`[0, 1]`, evidence :math:`(E,)` in :math:`[0, 1]`
        - **output:** :math:`(E,)` float32
    """
    scores, evidence = np.asarray(scores, dtype=np.float64), np.clip(np.asarray(evidence, dtype=np.float64), 0, 1)
    if len(scores) == 0:
        return scores.astype(np.float32)
    from scipy.optimize import minimize  # lazy: the package import stays light

    x = _logit(scores)

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        slope = np.exp(params[0])
        t = slope * x + params[1]
        # BCE with logits: softplus(t) - y * t, and its gradient (sigmoid(t) - y)
        value = np.logaddexp(0.0, t) - evidence * t
        residual = 1.0 / (1.0 + np.exp(-t)) - evidence
        return float(value.mean()), np.array([(residual * x).mean() * slope, residual.mean()])

    fitted = minimize(loss, np.zeros(2), jac=True, method="L-BFGS-B").x
    return (1.0 / (1.0 + np.exp(-(np.exp(fitted[0]) * x + fitted[1])))).astype(np.float32)
