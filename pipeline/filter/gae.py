"""The GNN semantic filter (registered as ``"gae"``): BanglaAutoKG's encoder, relation-aware, scoring facts.

BanglaAutoKG (Wasi et al., LREC-COLING 2024) denoises node features with
SuperGAT, takes topological (GraphConv) and local (ChebConv) features, runs a
GAT semantic convolution, and trims edges whose endpoints disagree. The paper
has no trimming rule; here a fact (s, p, o) scores by how well a model,
trained self-supervised to tell observed facts from corrupted ones, finds it
fits the graph, blended with the extractor's evidence for it. The networks
live in :mod:`pipeline.filter.nn`, the negatives in :mod:`pipeline.filter.sampling`,
the loop in :mod:`pipeline.filter.training`.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import torch
from torch import Tensor

from pipeline.filter.base import EdgeFilter
from pipeline.filter.config import FilterConfig
from pipeline.filter.graph import CandidateGraph
from pipeline.filter.inputs import (
    MessageGraph,
    evidence_attributes,
    node_inputs,
    relation_tokens,
)
from pipeline.filter.nn.network import FilterNetwork
from pipeline.filter.runtime import cpu_threads, resolve_device, seeded
from pipeline.filter.sampling import (
    FactCorruptor,
    document_membership,
    fold_edges,
    pair_keys,
    split_edges,
)
from pipeline.filter.training import TrainingData, fit

logger = logging.getLogger(__name__)


class GAEFilter(EdgeFilter):
    r"""Score facts by self-supervised fact reconstruction, blended with the extractor prior.

    Each unique edge :math:`e = (u, p, v)` scores

    .. math::
        s_e = d_e^{\,1 - w}\,\pi_e^{\,w}

    with :math:`d_e` the network's fact score (:class:`~pipeline.filter.nn.network.FilterNetwork`,
    trained by :func:`~pipeline.filter.training.fit`), :math:`w` = ``confidence_weight`` and
    :math:`\pi` the extractor prior (``prior``: max confidence, the noisy-OR corroboration of
    the evidence rows, or that noisy-OR with each row's odds shared among its sentence's
    candidates; over the rows of the fact's whole pair with ``prior_scope = "pair"``).

    With ``folds`` > 1 each fact's :math:`d_e` comes from a model that never saw its pair
    (neither as a positive nor in message passing): otherwise a leaf entity mirrors its only
    neighbour and every leaf's edge agrees with itself. With ``folds`` = 1 (and on graphs of
    ``large_graph_edges`` or more, which also train a ``large_graph_hidden_dim`` model for at
    most ``large_graph_epochs`` epochs) one model holds ``val_fraction`` of the pairs out for
    early stopping and scores every edge with all edges in message passing. Self-loops are
    scored, never trained on. Seeded: the same graph, config and device give the same scores
    (on CPU; CUDA scatter kernels are not bitwise deterministic).

    After :meth:`score`, :attr:`training_log` holds ``(epoch, train loss)`` over all folds in
    sequence, :attr:`stats` the epochs, losses, device and seconds, and :attr:`model` the
    (last) trained network.
    """

    name = "gae"

    def __init__(self, config: FilterConfig | None = None) -> None:
        super().__init__(config)
        self.model: FilterNetwork | None = None

    def score(self, graph: CandidateGraph) -> np.ndarray:
        cfg = self.config
        if graph.num_edges == 0:
            return np.empty(0, dtype=np.float32)
        device = resolve_device(cfg.device)
        start = time.perf_counter()
        self.training_log, self.stats = [], {}
        threads = cfg.num_threads or 1
        prior = graph.prior(cfg.prior, "edge" if cfg.prior_scope == "fact" else "pair")
        w = cfg.confidence_weight
        if w == 1.0:  # the prior alone: no network to train
            self.stats.update(device=str(device), seconds=round(time.perf_counter() - start, 3))
            return np.clip(prior, 0.0, 1.0).astype(np.float32)
        with seeded(cfg.seed, device), cpu_threads(threads):
            agreement = self._network_scores(graph, device)
        scores = np.clip(agreement, 0.0, 1.0) ** (1.0 - w) * prior.astype(np.float64) ** w
        self.stats.update(device=str(device), threads=threads, seconds=round(time.perf_counter() - start, 3))
        return np.clip(scores, 0.0, 1.0).astype(np.float32)

    # ----------------------------------------------------------------- steps
    def _network_scores(self, graph: CandidateGraph, device: torch.device) -> np.ndarray:
        cfg = self.config
        large = graph.num_edges >= cfg.large_graph_edges
        hidden = cfg.large_graph_hidden_dim if large else cfg.hidden_dim
        epochs = min(cfg.epochs, cfg.large_graph_epochs) if large else cfg.epochs
        folds = 1 if large else cfg.folds
        x = node_inputs(graph).to(device)
        attributes = evidence_attributes(graph)
        tokens = relation_tokens(graph)
        loops = torch.as_tensor(graph.edge_index[0] == graph.edge_index[1])
        self.stats.update(hidden_dim=hidden, max_epochs=epochs, folds=folds)

        scores = np.zeros(graph.num_edges, dtype=np.float64)
        if folds == 1:
            train, val = split_edges(graph, cfg.val_fraction)
            if len(train) == 0:
                raise ValueError(f"no trainable edge: every edge is a self-loop (got {graph.num_edges} edges)")
            self._train(graph, x, attributes, tokens, train, val, hidden, epochs, device)
            everything = torch.nonzero(~loops).flatten()
            scores[:] = self._predict(graph, x, attributes, everything, torch.arange(graph.num_edges), device)
            self.stats.update(num_train_edges=len(train), num_val_edges=len(val))
            return scores
        for held in fold_edges(graph, folds):
            train = torch.nonzero(~torch.isin(torch.arange(graph.num_edges), held) & ~loops).flatten()
            if len(train) == 0:
                raise ValueError(f"no trainable edge outside a fold (got {graph.num_edges} edges, {folds} folds)")
            self._train(graph, x, attributes, tokens, train, held[~loops[held]], hidden, epochs, device)
            scores[held.numpy()] = self._predict(graph, x, attributes, train, held, device)
        self.stats.update(num_train_edges=int((~loops).sum()), num_val_edges=0)
        return scores

    def _train(self, graph: CandidateGraph, x: Tensor, attributes: Tensor, tokens, train: Tensor, val: Tensor,
               hidden: int, epochs: int, device: torch.device) -> None:
        cfg = self.config
        network = FilterNetwork(x.size(1), hidden, tokens, encoder=cfg.encoder, components=cfg.components,
                                decoder=cfg.decoder, heads=cfg.heads, cheb_k=cfg.cheb_k, dropout=cfg.dropout)
        self.model = network = network.to(device)
        # A relation-blind decoder cannot tell a fact from its relation-corrupted twin.
        kinds = tuple(k for k in cfg.negatives if network.decoder.relational or k != "relation")
        ei = torch.as_tensor(graph.edge_index).to(device)
        relation = torch.as_tensor(graph.relation).to(device)
        n, r = graph.num_nodes, graph.num_relations
        observed = torch.unique((ei[0] * n + ei[1]) * max(r, 1) + relation)  # negatives avoid every observed fact
        fact_doc, doc_entities = document_membership(graph)
        fact_doc, doc_entities = fact_doc.to(device), tuple(t.to(device) for t in doc_entities)
        train_d, val_d = train.to(device), val.to(device)
        corruptor = FactCorruptor(ei[:, train_d], relation[train_d], observed, n, r, fact_doc[train_d], doc_entities)
        val_corruptor = FactCorruptor(ei[:, val_d], relation[val_d], observed, n, r, fact_doc[val_d], doc_entities)
        val_neg = val_corruptor.corrupt(kinds) if len(val) else (ei[:, :0], relation[:0])
        both_directions = torch.cat([ei, ei.flip(0)], dim=1)
        data = TrainingData(
            x=x, graph=MessageGraph.of_edges(graph, attributes, train, device), corruptor=corruptor,
            pair_observed=pair_keys(both_directions, n), val_pairs=ei[:, val_d], val_relation=relation[val_d],
            val_neg_pairs=val_neg[0], val_neg_relation=val_neg[1], kinds=kinds,
        )
        stats = fit(network, data, cfg, epochs, self.training_log)
        self.stats.update(stats)
        logger.info("gae: %d epochs on %d nodes / %d edges, best epoch %d (%s loss %.4f)", stats["epochs_run"],
                    n, len(train), stats["best_epoch"], stats["monitored"], stats["best_monitored_loss"])

    @torch.no_grad()
    def _predict(self, graph: CandidateGraph, x: Tensor, attributes: Tensor, message_edges: Tensor,
                 scored: Tensor, device: torch.device) -> np.ndarray:
        """Scores of the edges ``scored``, message passing over ``message_edges`` only."""
        network = self.model
        z = network.embed(x, MessageGraph.of_edges(graph, attributes, message_edges, device))
        ei = torch.as_tensor(graph.edge_index)[:, scored].to(device)
        relation = torch.as_tensor(graph.relation)[scored].to(device)
        return network.score(z, ei, relation).double().cpu().numpy()
