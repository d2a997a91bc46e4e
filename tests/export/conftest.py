"""A tiny workspace with every table export reads, built from plain rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.schema import (
    DOCUMENTS,
    ENTITIES,
    ENTITY_EMBEDDINGS,
    MENTION_LINKS,
    MENTIONS,
    RELATION_EMBEDDINGS,
    SCORED_EDGES,
    from_rows,
)
from pipeline.workspace import Workspace


def entity(entity_id: str, label: str, frequency: int, lang: str = "en", type_: str = "PERSON",
           aliases: tuple = (), label_en: str | None = None) -> dict:
    return dict(entity_id=entity_id, label=label, lang=lang, label_en=label_en, type=type_, aliases=list(aliases),
                labels=[{"lang": lang, "text": label}], frequency=frequency)


def edge(edge_id: str, s: str, p: str, o: str, doc: str, kept: bool = True, score: float = 0.8) -> dict:
    return dict(edge_id=edge_id, subject_id=s, predicate=p, object_id=o, doc_id=doc, sentence=0, start=0, end=1,
                extractor="spacy", confidence=0.9, filter_score=score, kept=kept)


def mention(doc: str, text: str, surface: str, occurrence: int = 0) -> dict:
    """A mention of ``surface`` (its ``occurrence``-th appearance) in ``text``."""
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(surface, start + 1)
    end = start + len(surface)
    return dict(mention_id=f"{doc}:{start}-{end}", doc_id=doc, sentence=0, start=start, end=end, text=surface,
                label="PERSON", lang="en", extractor="spacy", confidence=0.9)


def write_workspace(root: Path, entities: list[dict], edges: list[dict], documents: list[dict],
                    mentions: list[tuple[dict, str]] = (), dim: int = 4) -> Workspace:
    """``mentions`` pairs a :func:`mention` row with the entity id it links to."""
    ws = Workspace(root)
    ws.write("entities", from_rows(entities, ENTITIES), ENTITIES)
    ws.write("scored_edges", from_rows(edges, SCORED_EDGES), SCORED_EDGES)
    ws.write("documents", from_rows(documents, DOCUMENTS), DOCUMENTS)
    ws.write("mentions", from_rows([m for m, _ in mentions], MENTIONS), MENTIONS)
    ws.write("mention_links", from_rows([{"mention_id": m["mention_id"], "entity_id": e} for m, e in mentions],
                                        MENTION_LINKS), MENTION_LINKS)
    linked = sorted({e for row in edges if row["kept"] for e in (row["subject_id"], row["object_id"])})
    ws.write("entity_embeddings", from_rows([{"entity_id": e, "vector": [float(i + 1)] * dim}
                                             for i, e in enumerate(linked)], ENTITY_EMBEDDINGS), ENTITY_EMBEDDINGS)
    predicates = sorted({row["predicate"] for row in edges})
    ws.write("relation_embeddings", from_rows([{"predicate": p, "vector": [-float(i + 1)] * dim}
                                               for i, p in enumerate(predicates)], RELATION_EMBEDDINGS),
             RELATION_EMBEDDINGS)
    return ws


TEXT_1 = "Rahim was born in Dhaka. Rahim wrote Gitanjali in Dhaka."
TEXT_2 = "Karim founded the Dhaka Club. He met Rahim there."


@pytest.fixture
def small_workspace(tmp_path) -> Workspace:
    """Five entities, two documents, linked mentions; Rahim and Dhaka are frequent."""
    entities = [entity("rahim", "Rahim", 5), entity("dhaka", "Dhaka", 6, type_="PLACE"),
                entity("gitanjali", "Gitanjali", 1, type_="WORK"), entity("karim", "Karim", 1),
                entity("club", "Dhaka Club", 1, type_="ORGANIZATION")]
    edges = [edge("x1", "rahim", "born in", "dhaka", "d1"), edge("x2", "rahim", "wrote", "gitanjali", "d1", score=0.9),
             edge("x3", "karim", "founded", "club", "d2"), edge("x4", "club", "located in", "dhaka", "d2"),
             edge("x5", "karim", "met", "rahim", "d2", score=0.3), edge("x6", "gitanjali", "met", "karim", "d2", False)]
    documents = [dict(doc_id="d1", source="a.txt", lang="en", text=TEXT_1),
                 dict(doc_id="d2", source="b.txt", lang="en", text=TEXT_2)]
    mentions = [(mention("d1", TEXT_1, "Rahim"), "rahim"), (mention("d1", TEXT_1, "Dhaka"), "dhaka"),
                (mention("d1", TEXT_1, "Rahim", 1), "rahim"), (mention("d1", TEXT_1, "Gitanjali"), "gitanjali"),
                (mention("d1", TEXT_1, "Dhaka", 1), "dhaka"), (mention("d2", TEXT_2, "Karim"), "karim"),
                (mention("d2", TEXT_2, "Dhaka Club"), "club"), (mention("d2", TEXT_2, "Dhaka"), "dhaka"),
                (mention("d2", TEXT_2, "Rahim"), "rahim")]
    return write_workspace(tmp_path / "ws", entities, edges, documents, mentions)
