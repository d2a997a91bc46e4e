"""Property test: whatever the names hold (quotes, angle brackets, newlines, RTL, zero-width
characters), every export file parses back, with the same names and ids."""

from __future__ import annotations

import csv
import json
import tempfile
from pathlib import Path

import numpy as np
import pyoxigraph as ox
import rdflib
from gensim.models import KeyedVectors
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.export.api import export_workspace
from tests.export import easynlp_reader
from tests.export.conftest import entity, mention, write_workspace

NASTY = st.one_of(
    st.text(min_size=1, max_size=20),
    st.text(alphabet=st.sampled_from(list('"\'<>\n\r\t\\ {}@^#%[]ENT\u200b\u200f\u202e\u2028\ufeffשלוםبাংলা😀')),
            min_size=1, max_size=20),
    st.sampled_from(['"""', "<http://x>", "[ENT]", "a\\", "\u202eevil", "x\u200by", "\n", ".", "_:b", "1e5"]),
)
IDS = st.text(alphabet=st.sampled_from(list("abc019-_.~%/#?ä ব")), min_size=1, max_size=8)


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle, delimiter="\t"))


@settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(names=st.lists(NASTY, min_size=3, max_size=3), ids=st.lists(IDS, min_size=3, max_size=3, unique=True),
       predicate=NASTY, alias=NASTY, text=NASTY)
def test_every_export_parses_back(names, ids, predicate, alias, text) -> None:
    body = f"{names[0]} {text} {names[1]}"
    entities = [entity(ids[0], names[0], 1, aliases=(alias,)), entity(ids[1], names[1], 3, lang="bn"),
                entity(ids[2], names[2], 1, label_en=alias)]
    edges = [{"edge_id": f"x{i}", "subject_id": s, "predicate": p, "object_id": o, "doc_id": "d\u200f1",
              "sentence": 0, "start": 0, "end": 1, "extractor": text, "confidence": 0.5, "filter_score": 0.5,
              "kept": True} for i, (s, p, o) in enumerate([(ids[0], predicate, ids[1]), (ids[2], "p", ids[0])])]
    documents = [dict(doc_id="d\u200f1", source=text, lang="en", text=body)]
    mentions = [(mention("d\u200f1", body, names[0]), ids[0]),
                (mention("d\u200f1", body, names[1], body.count(names[1]) - 1), ids[1])]
    with tempfile.TemporaryDirectory() as tmp:
        ws = write_workspace(Path(tmp) / "ws", entities, edges, documents, mentions)
        card = export_workspace(ws).card
        out = ws.exports_dir

        # RDF: N-Quads, N-Triples, Turtle parse with both pyoxigraph and rdflib, and agree.
        quads = list(ox.parse(path=str(out / "graph.nq")))
        assert len(quads) == card["quads"]
        dataset = rdflib.Dataset()
        dataset.parse(out / "graph.nq", format="nquads")
        assert sum(1 for _ in dataset.quads((None, None, None, None))) == card["quads"]
        nt = set(ox.parse(path=str(out / "graph.nt")))
        assert nt == set(ox.parse(path=str(out / "graph.ttl")))
        assert len(rdflib.Graph().parse(out / "graph.ttl", format="turtle")) == len(nt)
        assert len(rdflib.Graph().parse(out / "graph.nt", format="nt")) == len(nt)
        labels = {t.object.value for t in nt if t.predicate.value.endswith("#label")}
        assert {n for n in names if n.strip()} <= labels

        # Tables: ids and names come back exactly.
        rows = _rows(out / "entities.tsv")
        assert [(r[0], r[1]) for r in rows[1:]] == [(e["entity_id"], e["label"]) for e in entities]
        entity_ids = [r[0] for r in _rows(out / "entity2id.txt")[1:]]
        relations = [r[0] for r in _rows(out / "relation2id.txt")[1:]]
        assert entity_ids == ids and predicate in relations
        assert [tuple(r) for r in _rows(out / "triples.tsv")] == [(ids[0], predicate, ids[1]), (ids[2], "p", ids[0])]
        train = (out / "train2id.txt").read_text().splitlines()
        assert train[1:] == ["0 1 " + str(relations.index(predicate)), "2 0 " + str(relations.index("p"))]

        # Vectors: EasyNLP text, npy and word2vec agree line for line.
        counts, problems = easynlp_reader.check(out)
        assert problems == [] and counts["marked_spans"] == 2
        vectors = KeyedVectors.load_word2vec_format(str(out / "entity_vectors.w2v.txt"), binary=False)
        assert len(vectors) == 3
        assert np.allclose(np.load(out / "entity_embeddings.npy"), easynlp_reader.read_vectors(out / "entity_emb.txt"))

        # The marked corpus keeps the surfaces, markers escaped.
        record = json.loads((out / "dkplm_corpus.jsonl").read_text(encoding="utf-8"))
        surfaces = easynlp_reader.marked_spans(record["text"])
        assert surfaces == [n.replace("[ENT]", "[ ENT ]").strip() for n in names[:2]]
        assert json.loads((out / "datacard.json").read_text(encoding="utf-8"))["entities"] == 3
