"""A BanglaAutoKG-style graph auto-encoder that scores candidate edges.

The encoder follows BanglaAutoKG (Wasi et al., LREC-COLING 2024), steps 4-6:
SuperGAT denoising, topological (GraphConv) and local (ChebConv) features
concatenated, then a GAT semantic layer whose attention can also read each
edge's extractor evidence (``evidence``). The paper has no trimming step; here
the encoder is trained self-supervised to reconstruct the observed edges
against sampled non-edges, and an edge's score is the agreement (or the
reconstruction probability) of its endpoints' final embeddings (step 7:
edges whose endpoints' semantic features disagree score low). That agreement
is blended with the extractor's evidence for the edge (a weighted geometric
mean, ``confidence_weight``), because on WebNLG candidate graphs agreement
alone ranks gold edges no better than chance (see bench/filter_ablation.py).
"""

from __future__ import annotations

import copy
import logging
import random
import time
from contextlib import contextmanager
from typing import Iterator, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.nn import ChebConv, GATConv, GCNConv, GraphConv, SuperGATConv
from torch_geometric.utils import to_undirected

from pipeline.filter.base import EdgeFilter
from pipeline.filter.config import GAE_COMPONENTS, FilterConfig
from pipeline.filter.graph import CandidateGraph

logger = logging.getLogger(__name__)

class AutoKGEncoder(torch.nn.Module):
    r"""BanglaAutoKG's encoder: denoise, topological || local, semantic.

    .. math::
        \mathbf{H}^{(0)} &= \sigma\big(\mathrm{SuperGAT}(\mathbf{X}, \mathbf{A})\big)

        \mathbf{H}^{(1)} &= \sigma\Big(\mathrm{GraphConv}(\mathbf{H}^{(0)}, \mathbf{A})
            \,\Big\Vert\, \sum_{k=0}^{K-1} \mathbf{Z}^{(k)}\mathbf{\Theta}^{(k)}\Big),
            \quad \mathbf{Z}^{(k)} = T_k(\tilde{\mathbf{L}})\mathbf{H}^{(0)}

        \mathbf{Z} &= \mathrm{GAT}(\mathbf{H}^{(1)}, \mathbf{A}, \mathbf{E}_{\mathrm{attr}})

    with :math:`\sigma` = ELU and :math:`T_k` the Chebyshev polynomials of the
    scaled normalised Laplacian :math:`\tilde{\mathbf{L}}`. A component that is
    switched off is replaced by the cheapest stand-in: a linear layer for
    ``denoise`` and ``semantic``, the identity when both branches are off.
    With ``evidence`` the GAT's attention also reads the edge attributes
    :math:`\mathbf{E}_{\mathrm{attr}}` (:func:`evidence_attributes`), so a node
    listens more to neighbours it is linked to by strong evidence; without
    ``semantic`` it has no effect. With no component at all the encoder is a feature-only MLP (an ablation
    baseline).

    Args:
        in_channels (int): input feature size :math:`F`.
        hidden_channels (int): embedding size :math:`H` of every layer.
        components (Sequence[str], optional): parts switched on, a subset of
            :data:`~pipeline.filter.config.GAE_COMPONENTS`. (default: all)
        heads (int, optional): heads of the semantic GAT, averaged. (default: 1)
        cheb_k (int, optional): Chebyshev order :math:`K`. (default: 2)
        dropout (float, optional): feature dropout between layers. (default: 0.0)

    Shapes:
        - **input:** node features :math:`(N, F)`, edge indices :math:`(2, E)`
          (both directions), optional negative pairs :math:`(2, E^-)` for the
          SuperGAT attention loss, optional edge attributes :math:`(E, 6)`
        - **output:** node embeddings :math:`(N, H)`
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int,
        components: Sequence[str] = GAE_COMPONENTS,
        heads: int = 1,
        cheb_k: int = 2,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        unknown = [c for c in components if c not in GAE_COMPONENTS]
        if unknown:
            raise ValueError(f"unknown components {unknown} (available: {list(GAE_COMPONENTS)})")
        if in_channels < 1 or hidden_channels < 1:
            raise ValueError(f"channel sizes must be positive (got in={in_channels}, hidden={hidden_channels})")
        self.components = tuple(c for c in GAE_COMPONENTS if c in components)
        self.dropout = dropout
        h = hidden_channels

        self.denoise: torch.nn.Module
        if "denoise" in self.components:
            # MX attention: the dot product of the endpoints gates GAT attention,
            # so it can be trained to separate edges from non-edges.
            self.denoise = SuperGATConv(in_channels, h, heads=1, attention_type="MX", is_undirected=True)
        else:
            self.denoise = torch.nn.Linear(in_channels, h)

        self.topological = GraphConv(h, h) if "topological" in self.components else None
        self.local = ChebConv(h, h, K=cheb_k) if "local" in self.components else None
        branches = int(self.topological is not None) + int(self.local is not None)
        mid = h * max(branches, 1)

        self.semantic: torch.nn.Module
        if "semantic" in self.components:
            # With "evidence", attention also reads each edge's extractor evidence attributes.
            edge_dim = NUM_EDGE_ATTRIBUTES if "evidence" in self.components else None
            self.semantic = GATConv(mid, h, heads=heads, concat=False, edge_dim=edge_dim)
        else:
            self.semantic = torch.nn.Linear(mid, h)

    def forward(self, x: Tensor, edge_index: Tensor, neg_edge_index: Tensor | None = None,
                edge_attr: Tensor | None = None) -> Tensor:
        if isinstance(self.denoise, SuperGATConv):
            h = self.denoise(x, edge_index, neg_edge_index=neg_edge_index)
        else:
            h = self.denoise(x)
        h = F.dropout(F.elu(h), p=self.dropout, training=self.training)

        parts = []
        if self.topological is not None:
            parts.append(self.topological(h, edge_index))
        if self.local is not None:
            parts.append(self.local(h, edge_index))
        if parts:
            h = F.dropout(F.elu(torch.cat(parts, dim=-1)), p=self.dropout, training=self.training)

        if isinstance(self.semantic, GATConv):
            return self.semantic(h, edge_index, edge_attr=edge_attr if "evidence" in self.components else None)
        return self.semantic(h)

    def attention_loss(self) -> Tensor:
        """SuperGAT's self-supervised attention loss of the last training forward (0 without ``denoise``)."""
        if isinstance(self.denoise, SuperGATConv) and self.training:
            return self.denoise.get_attention_loss()
        return torch.zeros((), device=next(self.parameters()).device)


class GCNEncoder(torch.nn.Module):
    r"""The plain baseline: two GCN layers (Kipf & Welling), as in the original GAE.

    .. math::
        \mathbf{Z} = \hat{\mathbf{A}}\,\mathrm{ELU}(\hat{\mathbf{A}}\mathbf{X}\mathbf{W}_1)\,\mathbf{W}_2

    Shapes:
        - **input:** node features :math:`(N, F)`, edge indices :math:`(2, E)`
        - **output:** node embeddings :math:`(N, H)`
    """

    components: tuple[str, ...] = ()

    def __init__(self, in_channels: int, hidden_channels: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.conv1 = GCNConv(in_channels, hidden_channels)
        self.conv2 = GCNConv(hidden_channels, hidden_channels)
        self.dropout = dropout

    def forward(self, x: Tensor, edge_index: Tensor, neg_edge_index: Tensor | None = None,
                edge_attr: Tensor | None = None) -> Tensor:
        h = F.dropout(F.elu(self.conv1(x, edge_index)), p=self.dropout, training=self.training)
        return self.conv2(h, edge_index)

    def attention_loss(self) -> Tensor:
        return torch.zeros((), device=self.conv1.lin.weight.device)


class EdgeDecoder(torch.nn.Module):
    r"""Edge logit from the endpoints' embeddings.

    .. math::
        \mathrm{dot}:&\ \ell_{uv} = \mathbf{z}_u^\top \mathbf{z}_v

        \mathrm{cosine}:&\ \ell_{uv} = \tau \cos(\mathbf{z}_u, \mathbf{z}_v) + b,
            \quad \tau = \min(e^{\theta}, \tau_{\max})

        \mathrm{mlp}:&\ \ell_{uv} = \mathbf{w}_2^\top \mathrm{ReLU}\big(
            \mathbf{W}_1 (\mathbf{z}_u \odot \mathbf{z}_v) + \mathbf{b}_1\big) + b_2

    All three are symmetric in :math:`u, v`: the filter judges whether two
    entities belong together, not the relation's direction. Training uses the
    logits (:meth:`forward`); the filter scores with :meth:`score`:
    :math:`\sigma(\ell_{uv})` for ``dot`` and ``mlp``, and the agreement
    :math:`(1 + \cos(\mathbf{z}_u, \mathbf{z}_v)) / 2` for ``cosine`` (monotone
    in its logit, so the same ranking). Well-fitted ``dot`` logits exceed 17,
    where :math:`\sigma` rounds to exactly 1 in float32 and ties the best
    edges; the cosine agreement ties only for near-identical embeddings.

    Args:
        kind (str): ``"dot"``, ``"cosine"`` or ``"mlp"``.
        hidden_channels (int): embedding size :math:`H`.
        max_scale (float, optional): :math:`\tau_{\max}` of ``cosine``. (default: 10.0)

    Shapes:
        - **input:** embeddings :math:`(N, H)`, pairs :math:`(2, P)`
        - **output:** logits :math:`(P,)`
    """

    KINDS = ("dot", "cosine", "mlp")

    def __init__(self, kind: str, hidden_channels: int, max_scale: float = 10.0) -> None:
        super().__init__()
        if kind not in self.KINDS:
            raise ValueError(f"decoder must be one of {list(self.KINDS)} (got {kind!r})")
        self.kind = kind
        self.max_scale = max_scale
        if kind == "cosine":  # learned temperature and offset, cf. CLIP
            self.log_scale = torch.nn.Parameter(torch.tensor(float(np.log(5.0))))
            self.bias = torch.nn.Parameter(torch.zeros(()))
        if kind == "mlp":
            self.mlp = torch.nn.Sequential(
                torch.nn.Linear(hidden_channels, hidden_channels),
                torch.nn.ReLU(),
                torch.nn.Linear(hidden_channels, 1),
            )

    def forward(self, z: Tensor, pairs: Tensor) -> Tensor:
        if self.kind == "cosine":
            return self.log_scale.exp().clamp(max=self.max_scale) * self._cosine(z, pairs) + self.bias
        prod = z[pairs[0]] * z[pairs[1]]
        if self.kind == "dot":
            return prod.sum(dim=-1)
        return self.mlp(prod).squeeze(-1)

    def score(self, z: Tensor, pairs: Tensor) -> Tensor:
        """Edge scores in :math:`[0, 1]`, shape :math:`(P,)`."""
        if self.kind == "cosine":
            return (1.0 + self._cosine(z, pairs)) / 2.0
        return torch.sigmoid(self.forward(z, pairs))

    @staticmethod
    def _cosine(z: Tensor, pairs: Tensor) -> Tensor:
        # Normalise the N nodes once rather than the P >> N pairs (memory-bound on CPU).
        z = F.normalize(z, dim=-1)
        return (z[pairs[0]] * z[pairs[1]]).sum(dim=-1)


class GAEFilter(EdgeFilter):
    r"""Score edges by self-supervised link reconstruction (registered as ``"gae"``).

    Training minimises, over the message-passing edges :math:`\mathcal{E}^+`
    and fresh negative pairs :math:`\mathcal{E}^-` each epoch,

    .. math::
        \mathcal{L} = \mathrm{BCE}\big(\ell_{\mathcal{E}^+}, 1\big)
            + \mathrm{BCE}\big(\ell_{\mathcal{E}^-}, 0\big)
            + \lambda\,\mathcal{L}_{\mathrm{att}}

    (:math:`\lambda` = ``attention_weight``, :math:`\mathcal{L}_{\mathrm{att}}`
    SuperGAT's attention loss). A ``val_fraction`` of the edges is held out of
    message passing; training stops after ``patience`` epochs without a better
    held-out loss and the best weights are restored. Each edge then scores

    .. math::
        s_{uv} = d(\mathbf{z}_u, \mathbf{z}_v)^{1 - w}\,\pi_{uv}^{\,w}

    with :math:`d` the decoder's score (:meth:`EdgeDecoder.score`), :math:`w` =
    ``confidence_weight``, :math:`\pi` the extractor prior (``prior``: max
    confidence, the noisy-OR corroboration of the edge's evidence rows, or that
    noisy-OR with each row's odds shared among its sentence's candidates), and
    the embeddings computed on all edges. Graphs with at least
    ``large_graph_edges`` edges train a ``large_graph_hidden_dim`` model for at
    most ``large_graph_epochs`` epochs. Edges
    are treated as undirected; self-loops are scored but not trained on.
    Seeded: the same graph, config and device give the same scores (on CPU;
    CUDA scatter kernels are not bitwise deterministic).

    After :meth:`score`, :attr:`training_log` holds ``(epoch, train loss)``,
    :attr:`stats` the best epoch, losses, device and seconds, and
    :attr:`model` / :attr:`decoder` the trained modules.
    """

    name = "gae"

    def __init__(self, config: FilterConfig | None = None) -> None:
        super().__init__(config)
        self.model: AutoKGEncoder | GCNEncoder | None = None
        self.decoder: EdgeDecoder | None = None

    def score(self, graph: CandidateGraph) -> np.ndarray:
        cfg = self.config
        if graph.num_edges == 0:
            return np.empty(0, dtype=np.float32)
        device = resolve_device(cfg.device)
        start = time.perf_counter()
        self.training_log, self.stats = [], {}
        threads = cfg.num_threads or 1
        with seeded(cfg.seed, device), cpu_threads(threads):
            agreement = self._fit_and_score(graph, device)
        prior = {"max": graph.confidence, "noisy_or": graph.corroboration, "shared": graph.shared_corroboration}[cfg.prior]
        w = cfg.confidence_weight
        scores = np.clip(agreement, 0.0, 1.0) ** (1.0 - w) * prior.astype(np.float64) ** w
        self.stats.update(device=str(device), threads=threads, seconds=round(time.perf_counter() - start, 3))
        return np.clip(scores, 0.0, 1.0).astype(np.float32)

    # ----------------------------------------------------------------- steps
    def _fit_and_score(self, graph: CandidateGraph, device: torch.device) -> np.ndarray:
        cfg = self.config
        n = graph.num_nodes
        x = node_inputs(graph).to(device)
        train_pos, val_pos = split_pairs(graph, cfg.val_fraction)
        train_pos, val_pos = train_pos.to(device), val_pos.to(device)
        all_pos = torch.cat([train_pos, val_pos], dim=1)
        attributes = evidence_attributes(graph)
        mp_train, attr_train = to_undirected(train_pos, pair_attributes(graph, attributes, train_pos).to(device), num_nodes=n)
        mp_all, attr_all = to_undirected(all_pos, pair_attributes(graph, attributes, all_pos).to(device), num_nodes=n)
        if train_pos.size(1) == 0:
            raise ValueError(f"no trainable edge: every edge is a self-loop (got {graph.num_edges} edges)")

        large = graph.num_edges >= cfg.large_graph_edges
        hidden = cfg.large_graph_hidden_dim if large else cfg.hidden_dim
        epochs = min(cfg.epochs, cfg.large_graph_epochs) if large else cfg.epochs
        if cfg.encoder == "gcn":
            model = GCNEncoder(x.size(1), hidden, dropout=cfg.dropout)
        else:
            model = AutoKGEncoder(x.size(1), hidden, cfg.components, heads=cfg.heads, cheb_k=cfg.cheb_k,
                                  dropout=cfg.dropout)
        self.model = model = model.to(device)
        self.decoder = decoder = EdgeDecoder(cfg.decoder, hidden).to(device)
        params = list(model.parameters()) + list(decoder.parameters())
        optimizer = torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
        num_neg = max(1, int(round(cfg.neg_ratio * train_pos.size(1))))
        # Negatives exclude every observed pair, held-out ones included.
        observed = pair_keys(mp_all, n)
        val_neg = sample_negatives(n, max(1, val_pos.size(1)), observed)
        has_val = val_pos.size(1) > 0 and val_neg.size(1) > 0
        self.stats.update(
            num_train_edges=int(train_pos.size(1)), num_val_edges=int(val_pos.size(1)) if has_val else 0,
            hidden_dim=hidden, max_epochs=epochs,
        )

        best_loss, best_epoch, best_state, waited = float("inf"), 0, None, 0
        for epoch in range(1, epochs + 1):
            model.train()
            decoder.train()
            optimizer.zero_grad()
            neg = sample_negatives(n, num_neg, observed)
            z = model(x, mp_train, neg_edge_index=neg, edge_attr=attr_train)
            loss = reconstruction_loss(decoder, z, train_pos, neg)
            loss = loss + cfg.attention_weight * model.attention_loss()
            loss.backward()
            optimizer.step()
            train_loss = float(loss.detach())
            if not np.isfinite(train_loss):
                raise FloatingPointError(f"training loss is not finite at epoch {epoch} (got {train_loss})")
            self.training_log.append((epoch, train_loss))

            if epoch % cfg.eval_every and epoch != epochs:
                continue
            if has_val:
                model.eval()
                decoder.eval()
                with torch.no_grad():
                    z = model(x, mp_train, edge_attr=attr_train)
                    monitored = float(reconstruction_loss(decoder, z, val_pos, val_neg))
            else:
                monitored = train_loss
            if monitored < best_loss - cfg.min_delta:
                best_loss, best_epoch, waited = monitored, epoch, 0
                best_state = (copy.deepcopy(model.state_dict()), copy.deepcopy(decoder.state_dict()))
            else:
                waited += cfg.eval_every
                if waited >= cfg.patience:
                    break

        if best_state is not None:
            model.load_state_dict(best_state[0])
            decoder.load_state_dict(best_state[1])
        self.stats.update(
            epochs_run=len(self.training_log),
            best_epoch=best_epoch,
            best_monitored_loss=round(best_loss, 6),
            monitored="val" if has_val else "train",
        )
        logger.info(
            "gae: %d epochs on %d nodes / %d edges, best epoch %d (%s loss %.4f)",
            len(self.training_log), n, graph.num_edges, best_epoch, self.stats["monitored"], best_loss,
        )
        model.eval()
        decoder.eval()
        with torch.no_grad():
            z = model(x, mp_all, edge_attr=attr_all)
            scores = decoder.score(z, torch.as_tensor(graph.edge_index, device=device))
        return scores.double().cpu().numpy()


# -------------------------------------------------------------- functions
def node_inputs(graph: CandidateGraph) -> Tensor:
    """Features plus a "no features" indicator column: shape ``(N, F + 1)``."""
    x = torch.as_tensor(graph.x, dtype=torch.float32)
    missing = torch.as_tensor(~graph.has_features, dtype=torch.float32).unsqueeze(-1)
    return torch.cat([x, missing], dim=-1)


#: Columns of :func:`evidence_attributes`.
EDGE_ATTRIBUTES = ("confidence", "noisy_or", "shared", "log_evidence", "log_documents", "cooccurrence")
NUM_EDGE_ATTRIBUTES = len(EDGE_ATTRIBUTES)


def evidence_attributes(graph: CandidateGraph) -> Tensor:
    """Per unique edge, its extractor evidence (:data:`EDGE_ATTRIBUTES`): max confidence, noisy-OR,
    sentence-shared noisy-OR, log(1 + rows), log(1 + documents), and whether a co-occurrence
    extractor (no syntactic path) produced it. Shape ``(E, 6)``."""
    columns = [
        graph.confidence,
        graph.corroboration,
        graph.shared_corroboration,
        np.log1p(graph.evidence_count),
        np.log1p(graph.doc_count),
        graph.extractor.astype(str) == "cooccurrence",
    ]
    return torch.as_tensor(np.stack(columns, axis=1).astype(np.float32)).reshape(graph.num_edges, NUM_EDGE_ATTRIBUTES)


def pair_attributes(graph: CandidateGraph, attributes: Tensor, pairs: Tensor) -> Tensor:
    """Attributes of undirected ``pairs`` (:math:`u < v`): the element-wise max over both directions' edges."""
    n = max(graph.num_nodes, 1)
    ei = torch.as_tensor(graph.edge_index)
    key = torch.minimum(ei[0], ei[1]) * n + torch.maximum(ei[0], ei[1])
    keys, inverse = torch.unique(key, return_inverse=True)
    merged = torch.full((len(keys), attributes.size(1)), -torch.inf).scatter_reduce(
        0, inverse.unsqueeze(1).expand_as(attributes), attributes, reduce="amax")
    return merged[torch.searchsorted(keys, (pairs[0] * n + pairs[1]).cpu())]


def split_pairs(graph: CandidateGraph, val_fraction: float) -> tuple[Tensor, Tensor]:
    r"""Shuffle the undirected non-loop pairs and hold out ``val_fraction`` of them.

    Pairs are canonical (:math:`u < v`), so an edge and its reverse never sit on
    both sides of the split. Uses the global torch RNG (seed it first).

    Shapes:
        - **output:** train pairs :math:`(2, T)`, held-out pairs :math:`(2, V)`
    """
    ei = torch.as_tensor(graph.edge_index)
    lo, hi = torch.minimum(ei[0], ei[1]), torch.maximum(ei[0], ei[1])
    keep = lo != hi
    key = torch.unique(lo[keep] * max(graph.num_nodes, 1) + hi[keep])
    pairs = torch.stack([key // max(graph.num_nodes, 1), key % max(graph.num_nodes, 1)])
    pairs = pairs[:, torch.randperm(pairs.size(1))]
    num_val = int(val_fraction * pairs.size(1))
    if pairs.size(1) - num_val < 2:  # too small to hold anything out
        num_val = 0
    return pairs[:, num_val:], pairs[:, :num_val]


def pair_keys(edge_index: Tensor, num_nodes: int) -> Tensor:
    """Sorted unique ``u * N + v`` keys of the directed pairs in ``edge_index``."""
    return torch.unique(edge_index[0] * num_nodes + edge_index[1])


def sample_negatives(num_nodes: int, num: int, observed: Tensor) -> Tensor:
    r"""``num`` (or fewer, on dense graphs) uniform random pairs that are neither self-loops nor ``observed``.

    Draws pairs with replacement and drops the hits by a binary search in the
    sorted ``observed`` keys (see :func:`pair_keys`): :math:`O(P \log E)` and
    vectorised, unlike rejection sampling pair by pair. Uses the global torch RNG.

    Shapes:
        - **output:** :math:`(2, P)`, :math:`P \le` ``num``
    """
    if num_nodes < 2:
        return torch.empty((2, 0), dtype=torch.long, device=observed.device)
    draw = int(num * 1.2) + 16  # spare draws for the rejected ones
    u = torch.randint(0, num_nodes, (draw,), device=observed.device)
    v = torch.randint(0, num_nodes, (draw,), device=observed.device)
    key = u * num_nodes + v
    pos = torch.searchsorted(observed, key).clamp(max=max(observed.numel() - 1, 0))
    seen = observed[pos] == key if observed.numel() else torch.zeros_like(key, dtype=torch.bool)
    keep = (u != v) & ~seen
    return torch.stack([u[keep], v[keep]])[:, :num]


def reconstruction_loss(decoder: EdgeDecoder, z: Tensor, pos: Tensor, neg: Tensor) -> Tensor:
    """Mean BCE of positive pairs (label 1) and negative pairs (label 0), weighted equally."""
    pos_loss = F.binary_cross_entropy_with_logits(decoder(z, pos), torch.ones(pos.size(1), device=z.device))
    if neg.size(1) == 0:
        return pos_loss
    neg_loss = F.binary_cross_entropy_with_logits(decoder(z, neg), torch.zeros(neg.size(1), device=z.device))
    return pos_loss + neg_loss


def resolve_device(name: str) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; an explicit CUDA device must exist."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device {name!r} requested but CUDA is not available")
    return device


@contextmanager
def cpu_threads(num: int) -> Iterator[None]:
    """Run the block with ``num`` torch intra-op CPU threads, then restore the previous count."""
    before = torch.get_num_threads()
    if num != before:
        torch.set_num_threads(num)
    try:
        yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)


@contextmanager
def seeded(seed: int, device: torch.device) -> Iterator[None]:
    """Seed Python, NumPy and torch for the block, then restore the callers' RNG states."""
    py_state, np_state = random.getstate(), np.random.get_state()
    devices = [device.index if device.index is not None else torch.cuda.current_device()] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
        try:
            yield
        finally:
            random.setstate(py_state)
            np.random.set_state(np_state)
