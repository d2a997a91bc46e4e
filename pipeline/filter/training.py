"""The GNN filter's training loop, in named steps: one step, a validation, early stopping.

.. math::
    \\mathcal{L} = \\mathrm{BCE}\\big(\\ell_{\\mathcal{F}^+}, 1\\big) + \\mathrm{BCE}\\big(\\ell_{\\mathcal{F}^-}, 0\\big)
        + \\lambda\\,\\mathcal{L}_{\\mathrm{att}}

over the training facts :math:`\\mathcal{F}^+` and fresh corrupted facts :math:`\\mathcal{F}^-`
each epoch (:class:`~pipeline.filter.sampling.FactCorruptor`), with :math:`\\lambda` =
``attention_weight`` and :math:`\\mathcal{L}_{\\mathrm{att}}` SuperGAT's attention loss.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from pipeline.filter.config import FilterConfig
from pipeline.filter.inputs import MessageGraph
from pipeline.filter.nn.network import FilterNetwork
from pipeline.filter.sampling import FactCorruptor, sample_negatives


@dataclass
class TrainingData:
    """What one model trains on.

    Attributes:
        x: node inputs :math:`(N, F)`.
        graph: the message graph of the training edges.
        corruptor: positives and their negatives.
        pair_observed: sorted keys of every observed pair (SuperGAT's uniform negatives avoid them).
        val_pairs, val_relation: held-out positive facts (empty: monitor the training loss).
        val_neg_pairs, val_neg_relation: their fixed negatives.
        kinds: negative kinds drawn each epoch.
    """

    x: Tensor
    graph: MessageGraph
    corruptor: FactCorruptor
    pair_observed: Tensor
    val_pairs: Tensor
    val_relation: Tensor
    val_neg_pairs: Tensor
    val_neg_relation: Tensor
    kinds: tuple[str, ...]

    @property
    def has_val(self) -> bool:
        return self.val_pairs.size(1) > 0 and self.val_neg_pairs.size(1) > 0


def fact_loss(network: FilterNetwork, z: Tensor, pos: tuple[Tensor, Tensor], neg: tuple[Tensor, Tensor]) -> Tensor:
    """Mean BCE of positive facts (label 1) plus that of negative facts (label 0)."""
    logits = network.logits(z, *pos)
    loss = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
    if neg[0].size(1):
        logits = network.logits(z, *neg)
        loss = loss + F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits))
    return loss


def train_step(network: FilterNetwork, optimizer: torch.optim.Optimizer, data: TrainingData, config: FilterConfig) -> float:
    """One full-batch step on fresh negatives; returns the training loss."""
    network.train()
    optimizer.zero_grad()
    corruptor = data.corruptor
    attention_neg = sample_negatives(data.x.size(0), corruptor.pairs.size(1), data.pair_observed)
    z = network.embed(data.x, data.graph, neg_pairs=attention_neg)
    loss = fact_loss(network, z, (corruptor.pairs, corruptor.relation), corruptor.corrupt(data.kinds))
    loss = loss + config.attention_weight * network.attention_loss()
    loss.backward()
    optimizer.step()
    value = float(loss.detach())
    if not np.isfinite(value):
        raise FloatingPointError(f"training loss is not finite (got {value})")
    return value


@torch.no_grad()
def validation_loss(network: FilterNetwork, data: TrainingData) -> float:
    network.eval()
    z = network.embed(data.x, data.graph)
    return float(fact_loss(network, z, (data.val_pairs, data.val_relation), (data.val_neg_pairs, data.val_neg_relation)))


class EarlyStopping:
    """Keeps the best weights by monitored loss; says when ``patience`` epochs passed without a better one."""

    def __init__(self, patience: int, min_delta: float) -> None:
        self.patience, self.min_delta = patience, min_delta
        self.best_loss, self.best_epoch, self.waited = float("inf"), 0, 0
        self.best_state: dict | None = None

    def should_stop(self, epoch: int, loss: float, network: torch.nn.Module, epochs_since_check: int) -> bool:
        if loss < self.best_loss - self.min_delta:
            self.best_loss, self.best_epoch, self.waited = loss, epoch, 0
            self.best_state = copy.deepcopy(network.state_dict())
            return False
        self.waited += epochs_since_check
        return self.waited >= self.patience

    def restore(self, network: torch.nn.Module) -> None:
        if self.best_state is not None:
            network.load_state_dict(self.best_state)


def fit(network: FilterNetwork, data: TrainingData, config: FilterConfig, epochs: int,
        log: list[tuple[int, float]]) -> dict:
    """Train ``network`` for at most ``epochs``, validating every ``eval_every``; restore the best weights.

    Appends ``(epoch, training loss)`` to ``log`` (numbered on from its last entry) and returns
    the run's stats.
    """
    optimizer = torch.optim.Adam(network.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    stopper = EarlyStopping(config.patience, config.min_delta)
    first = log[-1][0] if log else 0
    for epoch in range(1, epochs + 1):
        loss = train_step(network, optimizer, data, config)
        log.append((first + epoch, loss))
        if epoch % config.eval_every and epoch != epochs:
            continue
        monitored = validation_loss(network, data) if data.has_val else loss
        if stopper.should_stop(epoch, monitored, network, config.eval_every):
            break
    stopper.restore(network)
    network.eval()
    return {"epochs_run": len(log) - first, "best_epoch": stopper.best_epoch,
            "best_monitored_loss": round(stopper.best_loss, 6), "monitored": "val" if data.has_val else "train"}
