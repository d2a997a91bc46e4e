"""The candidate graph an edge filter scores, built from the stage's tables.

:class:`CandidateGraph` is a plain NumPy view of ``EDGES`` + ``NODE_FEATURES``
(no torch), so cheap filters need no deep-learning stack. Evidence rows that
state the same fact (subject, predicate, object) collapse into one *unique*
edge (with ``unit="pair"``: rows that share (subject, object), whatever the
predicate); filters score unique edges, and :attr:`CandidateGraph.row_edge`
maps the scores back to rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.errors import KGError
from pipeline.schema import EDGES, NODE_FEATURES

#: How many offending ids an error message lists before "... and N more".
_SHOW = 5
#: What a unique edge is: a fact (subject, predicate, object) or a pair (subject, object).
UNITS = ("fact", "pair")


class CandidateGraphError(KGError, ValueError):
    """The edge or feature tables cannot form a valid candidate graph."""

    code = "KG060"


def _some(values) -> str:
    values = list(values)
    shown = ", ".join(repr(v) for v in values[:_SHOW])
    return shown + (f" ... and {len(values) - _SHOW} more" if len(values) > _SHOW else "")


def _conform(table: pa.Table, schema: pa.Schema, what: str) -> pa.Table:
    """Select and cast ``table``'s columns to ``schema``; extra columns are ignored."""
    missing = [name for name in schema.names if name not in table.column_names]
    if missing:
        raise CandidateGraphError(
            f"The {what} table lacks columns {missing} (got {table.column_names}). "
            f"It must follow pipeline.schema.{what.upper()}."
        )
    try:
        return table.select(schema.names).cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as err:
        raise CandidateGraphError(
            f"The {what} table's column types do not match pipeline.schema.{what.upper()}: {err}"
        ) from None


def _column(table: pa.Table, name: str) -> np.ndarray:
    return table.column(name).to_numpy(zero_copy_only=False)


@dataclass(eq=False)
class CandidateGraph:
    r"""Entities as nodes, unique facts (subject, predicate, object) as directed, typed edges.

    Args:
        node_ids (np.ndarray): entity id of each node, sorted.
        x (np.ndarray): node features; zeros where an entity has none.
        has_features (np.ndarray): whether the entity had a feature vector.
        edge_index (np.ndarray): (subject, object) node indices of the unique edges, sorted by
            (subject, object, relation); with ``unit="fact"`` a pair repeats once per predicate.
        relation (np.ndarray): relation id of each edge, an index into ``relation_names``.
        relation_names (np.ndarray): the predicates, sorted.
        unit (str): ``"fact"`` (edges are (s, p, o)) or ``"pair"`` (edges are (s, o); the
            relation is the pair's most frequent predicate).
        confidence (np.ndarray): max extractor confidence over the edge's evidence.
        corroboration (np.ndarray): noisy-OR of the evidence confidences,
            :math:`1 - \prod_r (1 - c_r)`: the chance that at least one of the
            edge's independent evidence rows is right (more sentences saying
            the same thing raise it).
        shared_corroboration (np.ndarray): the same noisy-OR after each row's
            odds :math:`c_r / (1 - c_r)` are divided by :math:`k_r`, the number
            of candidate rows its sentence yields (the sentence's evidence is
            shared among the pairs competing for it; a sentence with one
            candidate keeps its confidence).
        evidence_count (np.ndarray): number of evidence rows of the edge.
        doc_count (np.ndarray): number of distinct documents among them.
        extractor (np.ndarray): the extractor of most of the edge's rows (ties:
            alphabetical first).
        row_edge (np.ndarray): unique edge of each evidence row, in input order.
        row_confidence (np.ndarray): each row's extractor confidence.
        row_shared (np.ndarray): each row's confidence with its odds divided by its
            sentence's number of candidate rows (what ``shared_corroboration`` combines).
        row_doc (np.ndarray): each row's document, as a code (0 .. documents - 1).

    Shapes:
        - **node_ids:** :math:`(N,)` str; **x:** :math:`(N, F)` float32;
          **has_features:** :math:`(N,)` bool
        - **edge_index:** :math:`(2, E)` int64; **confidence:** :math:`(E,)`
          float32; **corroboration**, **shared_corroboration:** :math:`(E,)` float32;
          **evidence_count**, **doc_count**, **relation:** :math:`(E,)` int64;
          **extractor:** :math:`(E,)` str; **relation_names:** :math:`(R,)` str
        - **row_edge**, **row_doc:** :math:`(R,)` int64, **row_confidence**, **row_shared:** :math:`(R,)`
          float32, for :math:`R` evidence rows
    """

    node_ids: np.ndarray
    x: np.ndarray
    has_features: np.ndarray
    edge_index: np.ndarray
    confidence: np.ndarray
    corroboration: np.ndarray
    shared_corroboration: np.ndarray
    evidence_count: np.ndarray
    doc_count: np.ndarray
    relation: np.ndarray
    relation_names: np.ndarray
    extractor: np.ndarray
    row_edge: np.ndarray
    row_confidence: np.ndarray
    row_shared: np.ndarray
    row_doc: np.ndarray
    unit: str = "fact"

    # ------------------------------------------------------------------ build
    @classmethod
    def from_tables(cls, edges: pa.Table, features: pa.Table, *, unit: str = "fact") -> "CandidateGraph":
        """Build and :meth:`validate` the graph of ``edges`` (EDGES) and ``features`` (NODE_FEATURES).

        Nodes are every entity that appears as a subject, an object or a
        feature row; a null vector counts as no features. Rows with null ids,
        predicates or confidences, confidences outside :math:`[0, 1]`, duplicate
        feature rows, vectors of unequal length and non-finite features raise
        :class:`CandidateGraphError` naming the offenders.
        """
        edges = _conform(edges, EDGES, "edges")
        features = _conform(features, NODE_FEATURES, "node_features")
        _check_edge_rows(edges)

        subj, obj = _column(edges, "subject_id"), _column(edges, "object_id")
        fids = _column(features, "entity_id")
        if features.column("entity_id").null_count:
            raise CandidateGraphError(
                f"{features.column('entity_id').null_count} node feature rows have a null entity_id."
            )
        num_rows = len(subj)
        all_ids = np.concatenate([subj, obj, fids]).astype(object)
        node_ids, inverse = np.unique(all_ids, return_inverse=True)
        inverse = inverse.astype(np.int64).reshape(-1)
        src, dst, feat_node = inverse[:num_rows], inverse[num_rows : 2 * num_rows], inverse[2 * num_rows :]

        x, has_features = _feature_matrix(features, feat_node, len(node_ids))

        if unit not in UNITS:
            raise CandidateGraphError(f"unit must be one of {list(UNITS)} (got {unit!r}).")
        relation_names, row_relation = np.unique(_column(edges, "predicate").astype(object), return_inverse=True)
        row_relation = row_relation.reshape(-1).astype(np.int64)
        # Collapse evidence rows onto unique facts (or pairs), sorted by (subject, object, relation).
        num_nodes, num_relations = max(len(node_ids), 1), max(len(relation_names), 1)
        key = (src * num_nodes + dst) * (num_relations if unit == "fact" else 1)
        if unit == "fact":
            key = key + row_relation
        uniq, row_edge = np.unique(key, return_inverse=True)
        row_edge = row_edge.reshape(-1).astype(np.int64)
        pair = uniq // (num_relations if unit == "fact" else 1)
        edge_index = np.stack([pair // num_nodes, pair % num_nodes]).astype(np.int64)
        conf_rows = _column(edges, "confidence").astype(np.float32)
        confidence = np.full(len(uniq), -np.inf, dtype=np.float32)
        np.maximum.at(confidence, row_edge, conf_rows)
        corroboration = _noisy_or(conf_rows, row_edge, len(uniq))
        doc_code = np.unique(_column(edges, "doc_id").astype(object), return_inverse=True)[1].reshape(-1).astype(np.int64)
        load = _sentence_load(edges, doc_code)
        shared = conf_rows / (conf_rows + (1.0 - conf_rows) * load)  # odds / k
        shared_corroboration = _noisy_or(shared, row_edge, len(uniq))
        evidence_count = np.bincount(row_edge, minlength=len(uniq)).astype(np.int64)
        num_docs = int(doc_code.max(initial=0)) + 1
        doc_count = np.bincount(np.unique(row_edge * num_docs + doc_code) // num_docs, minlength=len(uniq)).astype(np.int64)
        relation = (uniq % num_relations if unit == "fact" else
                    np.searchsorted(relation_names, _majority(row_edge, relation_names[row_relation], len(uniq))))
        extractor = _majority(row_edge, _column(edges, "extractor"), len(uniq))

        graph = cls(
            node_ids=node_ids,
            x=x,
            has_features=has_features,
            edge_index=edge_index,
            confidence=confidence,
            corroboration=corroboration,
            shared_corroboration=shared_corroboration,
            evidence_count=evidence_count,
            doc_count=doc_count,
            relation=np.asarray(relation, dtype=np.int64),
            relation_names=relation_names,
            extractor=extractor,
            row_edge=row_edge,
            row_confidence=conf_rows,
            row_shared=shared.astype(np.float32),
            row_doc=doc_code,
            unit=unit,
        )
        graph.validate()
        return graph

    # ------------------------------------------------------------- properties
    @property
    def num_nodes(self) -> int:
        return len(self.node_ids)

    @property
    def num_edges(self) -> int:
        """Number of unique (subject, object) edges."""
        return self.edge_index.shape[1]

    @property
    def num_rows(self) -> int:
        """Number of evidence rows."""
        return len(self.row_edge)

    @property
    def num_features(self) -> int:
        return self.x.shape[1]

    @property
    def num_relations(self) -> int:
        return len(self.relation_names)

    def pair_index(self) -> np.ndarray:
        """Index of each edge's directed (subject, object) pair among the graph's pairs, shape ``(E,)``."""
        key = self.edge_index[0] * max(self.num_nodes, 1) + self.edge_index[1]
        return np.unique(key, return_inverse=True)[1].reshape(-1).astype(np.int64)

    def prior(self, kind: str, scope: str = "edge") -> np.ndarray:
        """The extractor prior of each edge: ``"max"`` confidence, ``"noisy_or"`` or ``"shared"``
        (sentence-shared noisy-OR) over the rows of the edge (``scope="edge"``) or of its whole
        (subject, object) pair, every predicate included (``scope="pair"``). Shape ``(E,)``."""
        if scope == "edge":
            return {"max": self.confidence, "noisy_or": self.corroboration, "shared": self.shared_corroboration}[kind]
        if scope != "pair":
            raise ValueError(f"scope must be 'edge' or 'pair' (got {scope!r})")
        pair = self.pair_index()
        row_pair, num_pairs = pair[self.row_edge], int(pair.max(initial=-1)) + 1
        if kind == "max":
            best = np.zeros(num_pairs, dtype=np.float32)
            np.maximum.at(best, row_pair, self.row_confidence)
            return best[pair]
        rows = {"noisy_or": self.row_confidence, "shared": self.row_shared}[kind]
        return _noisy_or(rows, row_pair, num_pairs)[pair]

    @property
    def predicate(self) -> np.ndarray:
        """The predicate of each unique edge, shape ``(E,)`` str."""
        return self.relation_names[self.relation] if self.num_edges else np.empty(0, dtype=object)

    def edge_pairs(self, edges: np.ndarray | None = None) -> list[tuple[str, str]]:
        """(subject_id, object_id) of unique edges (all, or those indexed by ``edges``)."""
        index = self.edge_index if edges is None else self.edge_index[:, edges]
        return list(zip(self.node_ids[index[0]].tolist(), self.node_ids[index[1]].tolist()))

    # --------------------------------------------------------------- validate
    def validate(self, raise_on_error: bool = True) -> bool:
        """Check the invariants; raise :class:`CandidateGraphError` (or return False) on the first broken one."""
        try:
            self._validate()
        except CandidateGraphError:
            if raise_on_error:
                raise
            return False
        return True

    def _validate(self) -> None:
        n, e = self.num_nodes, self.num_edges
        if self.x.ndim != 2 or self.x.shape[0] != n:
            raise CandidateGraphError(f"x must have shape ({n}, F) (got {self.x.shape}).")
        if self.has_features.shape != (n,):
            raise CandidateGraphError(f"has_features must have shape ({n},) (got {self.has_features.shape}).")
        if self.edge_index.ndim != 2 or self.edge_index.shape[0] != 2:
            raise CandidateGraphError(f"edge_index must have shape (2, E) (got {self.edge_index.shape}).")
        for name in ("confidence", "corroboration", "shared_corroboration", "evidence_count", "doc_count",
                     "relation", "extractor"):
            if getattr(self, name).shape != (e,):
                raise CandidateGraphError(f"{name} must have shape ({e},) (got {getattr(self, name).shape}).")
        if e and (self.edge_index.min() < 0 or self.edge_index.max() >= n):
            bad = np.flatnonzero(((self.edge_index < 0) | (self.edge_index >= n)).any(0))
            raise CandidateGraphError(
                f"edge_index points outside [0, {n}) at edges {_some(bad.tolist())} "
                f"(got values {self.edge_index[:, bad[:_SHOW]].T.tolist()})."
            )
        if len(self.row_edge) and (self.row_edge.min() < 0 or self.row_edge.max() >= e):
            raise CandidateGraphError(f"row_edge must index [0, {e}) (got max {self.row_edge.max()}).")
        finite = np.isfinite(self.x).all(axis=1)
        if not finite.all():
            raise CandidateGraphError(
                f"Feature vectors of entities {_some(self.node_ids[~finite].tolist())} contain NaN or inf."
            )
        in_range = np.isfinite(self.confidence) & (self.confidence >= 0) & (self.confidence <= 1)
        if not in_range.all():
            bad = np.flatnonzero(~in_range)
            raise CandidateGraphError(
                f"Edges {_some(self.edge_pairs(bad))} have confidence outside [0, 1] "
                f"(got {self.confidence[bad[:_SHOW]].tolist()})."
            )
        if e and (self.relation.min() < 0 or self.relation.max() >= max(self.num_relations, 1)):
            raise CandidateGraphError(f"relation must index [0, {self.num_relations}) (got max {self.relation.max()}).")
        if e > 1:
            key = (self.edge_index[0] * max(n, 1) + self.edge_index[1]) * max(self.num_relations, 1)
            if self.unit == "fact":
                key = key + self.relation
            dup = key[1:] == key[:-1]
            if (key[1:] < key[:-1]).any() or dup.any():
                raise CandidateGraphError(
                    f"edge_index must hold sorted unique pairs (repeated: {_some(self.edge_pairs(np.flatnonzero(dup)))})."
                )

    def __repr__(self) -> str:
        return (
            f"CandidateGraph(num_nodes={self.num_nodes}, num_edges={self.num_edges}, "
            f"num_rows={self.num_rows}, num_relations={self.num_relations}, unit={self.unit!r}, "
            f"num_features={self.num_features}, "
            f"without_features={int((~self.has_features).sum())})"
        )


# ---------------------------------------------------------------- helpers
def _check_edge_rows(edges: pa.Table) -> None:
    """Row-level checks that need the edge ids to name offenders."""
    edge_ids = edges.column("edge_id")

    def name_rows(mask: np.ndarray) -> str:
        rows = np.flatnonzero(mask)
        ids = edge_ids.take(pa.array(rows[:_SHOW])).to_pylist()
        shown = ", ".join(repr(eid) if eid is not None else f"(row {r})" for eid, r in zip(ids, rows))
        return shown + (f" ... and {len(rows) - _SHOW} more" if len(rows) > _SHOW else "")

    for column in ("subject_id", "object_id", "predicate", "confidence"):
        nulls = pc.is_null(edges.column(column)).to_numpy(zero_copy_only=False)
        if nulls.any():
            raise CandidateGraphError(f"Edges {name_rows(nulls)} have a null {column}.")
    conf = edges.column("confidence").to_numpy(zero_copy_only=False)
    bad = ~(np.isfinite(conf) & (conf >= 0) & (conf <= 1))
    if bad.any():
        raise CandidateGraphError(
            f"Edges {name_rows(bad)} have confidence outside [0, 1] (got {conf[bad][:_SHOW].tolist()})."
        )


def _feature_matrix(features: pa.Table, feat_node: np.ndarray, num_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Scatter the feature rows into an ``(N, F)`` matrix; zeros for entities without one."""
    fids = features.column("entity_id").to_numpy(zero_copy_only=False)
    vectors = features.column("vector")
    order, counts = np.unique(feat_node, return_counts=True)
    if (counts > 1).any():
        dup = np.isin(feat_node, order[counts > 1])
        raise CandidateGraphError(f"Entities {_some(sorted(set(fids[dup].tolist())))} have more than one feature row.")
    # A null vector means "no features", like a missing row.
    present = ~pc.is_null(vectors).to_numpy(zero_copy_only=False)
    fids, feat_node, vectors = fids[present], feat_node[present], vectors.filter(pa.array(present))
    x = np.zeros((num_nodes, 0), dtype=np.float32)
    has_features = np.zeros(num_nodes, dtype=bool)
    if len(fids) == 0:
        return x, has_features
    lengths = pc.list_value_length(vectors).to_numpy(zero_copy_only=False)
    dim = int(np.bincount(lengths).argmax())  # the common length names the odd ones out
    if (lengths != dim).any():
        odd = lengths != dim
        raise CandidateGraphError(
            f"Feature vectors must all have the same length ({dim} for most entities); entities "
            f"{_some(fids[odd].tolist())} have lengths {lengths[odd][:_SHOW].tolist()}."
        )
    flat = pc.list_flatten(vectors).to_numpy(zero_copy_only=False).astype(np.float32)
    x = np.zeros((num_nodes, dim), dtype=np.float32)
    x[feat_node] = flat.reshape(len(fids), dim)
    has_features[feat_node] = True
    return x, has_features


def _noisy_or(probabilities: np.ndarray, row_edge: np.ndarray, num_edges: int) -> np.ndarray:
    """Per edge ``1 - prod(1 - p_r)`` over its rows, in log space; p = 1 is clipped so a certain row gives ~1."""
    log_doubt = np.zeros(num_edges, dtype=np.float64)
    np.add.at(log_doubt, row_edge, np.log1p(-np.minimum(probabilities.astype(np.float64), 1.0 - 1e-7)))
    return (1.0 - np.exp(log_doubt)).astype(np.float32)


def _sentence_load(edges: pa.Table, doc_code: np.ndarray) -> np.ndarray:
    """Per row, how many candidate rows share its (doc_id, sentence); 1 where the sentence is null."""
    null = pc.is_null(edges.column("sentence")).to_numpy(zero_copy_only=False)
    sentence = edges.column("sentence").fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    sentence_code = np.unique(sentence, return_inverse=True)[1].reshape(-1)
    key = doc_code * (sentence_code.max(initial=0) + 1) + sentence_code
    _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    load = counts[inverse.reshape(-1)].astype(np.float64)
    load[null] = 1.0
    return load


def _majority(row_edge: np.ndarray, predicates: np.ndarray, num_edges: int) -> np.ndarray:
    """Most frequent predicate per unique edge; ties go to the alphabetically first."""
    if num_edges == 0:
        return np.empty(0, dtype=object)
    names, code = np.unique(predicates.astype(object), return_inverse=True)
    pairs, counts = np.unique(row_edge * len(names) + code, return_counts=True)
    edge, pred = pairs // len(names), pairs % len(names)
    order = np.lexsort((pred, -counts, edge))  # by edge, then most frequent, then name
    edge, pred = edge[order], pred[order]
    first = np.ones(len(edge), dtype=bool)
    first[1:] = edge[1:] != edge[:-1]
    out = np.empty(num_edges, dtype=object)
    out[edge[first]] = names[pred[first]]
    return out
