"""End to end: build the bundled example corpus through the Prefect flow and query it."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import rdflib

from flows.build_kg import run_build
from kg_store.api import query
from pipeline.config import PipelineConfig
from pipeline.workspace import Workspace
from tests.conftest import EXAMPLE_CORPUS, ROOT

pytestmark = pytest.mark.slow

FAST = PipelineConfig.model_validate({"embed": {"epochs": 5, "dim": 8}, "filter": {"epochs": 30}})
REL = "https://kg-pipeline.example.org/relation/"


@pytest.fixture(scope="module")
def built(tmp_path_factory, prefect_harness):
    workspace = tmp_path_factory.mktemp("ws")
    summary = run_build([str(EXAMPLE_CORPUS)], workspace=str(workspace), config=FAST)
    return Workspace(workspace), summary


def _select(ws: Workspace, sparql: str) -> list[dict]:
    return query(sparql, workspace=ws).records()


def test_summary_counts(built):
    _, summary = built
    assert summary.documents == 72
    assert summary.routes == {"en:learned": 36, "bn:learned": 36}
    assert summary.store.facts_kept > 0 and summary.store.facts_dropped > 0


def test_english_and_bangla_entities_share_one_iri(built):
    ws, _ = built
    rows = _select(ws, """
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?e WHERE { ?e rdfs:label "Rabindranath Tagore"@en , "রবীন্দ্রনাথ ঠাকুর"@bn ;
                             a <https://schema.org/Person> }""")
    assert len(rows) == 1


def test_known_relation_is_queryable_with_provenance(built):
    ws, _ = built
    rows = _select(ws, f"""
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        PREFIX kg: <https://kg-pipeline.example.org/ontology#>
        SELECT DISTINCT ?lang ?confidence WHERE {{
            ?t rdfs:label "Kazi Nazrul Islam"@en . ?k rdfs:label "Churulia"@en .
            ?t <{REL}birthPlace> ?k .
            ?a kg:subject ?t ; kg:predicate <{REL}birthPlace> ; kg:object ?k ; kg:document ?d ; kg:confidence ?confidence .
            ?d kg:lang ?lang .
        }}""")
    langs = {str(r["lang"]) for r in rows}
    assert langs == {"en", "bn"}  # stated, and found, in both languages


def test_cross_lingual_linking_against_gold_alignment(built):
    ws, _ = built
    merged = {}
    for entity in ws.read("entities").to_pylist():
        texts = {(label["lang"], label["text"]) for label in entity["labels"]}
        for lang, text in texts:
            merged.setdefault((lang, text), set()).add(entity["entity_id"])
    with (ROOT / "examples" / "alignment_gold.tsv").open(encoding="utf-8") as handle:
        gold = list(csv.DictReader(handle, delimiter="\t"))
    hits = sum(bool(merged.get(("bn", g["bangla"]), set()) & merged.get(("en", g["english"]), set())) for g in gold)
    assert hits / len(gold) >= 0.8, f"{hits}/{len(gold)} aligned entities merged"


def test_exports_parse_back_and_vectors_match_id_maps(built):
    ws, summary = built
    out = ws.exports_dir
    graph = rdflib.Graph()
    graph.parse(out / "graph.nt", format="nt")
    assert len(graph) > 0
    dataset = rdflib.Dataset()
    dataset.parse(out / "graph.nq", format="nquads")
    assert sum(1 for _ in dataset.quads((None, None, None, None))) == summary.export["quads"]
    entity_ids = [line.split("\t")[0] for line in (out / "entity2id.txt").read_text().splitlines()[1:]]
    relation_ids = [line.split("\t")[0] for line in (out / "relation2id.txt").read_text().splitlines()[1:]]
    ent = [list(map(float, line.split(","))) for line in (out / "entity_emb.txt").read_text().splitlines()]
    rel = [list(map(float, line.split(","))) for line in (out / "rel_emb.txt").read_text().splitlines()]
    assert len(ent) == len(entity_ids) and len(rel) == len(relation_ids)
    assert np.allclose(np.load(out / "entity_embeddings.npy"), np.array(ent), atol=1e-5)
    vectors = dict(zip(ws.read("entity_embeddings").column("entity_id").to_pylist(),
                       ws.read("entity_embeddings").column("vector").to_pylist()))
    for i, eid in enumerate(entity_ids):
        if eid in vectors:
            assert np.allclose(ent[i], vectors[eid], atol=1e-4)
    facts = (out / "triples.tsv").read_text().splitlines()
    assert all(len(f.split("\t")) == 3 for f in facts)


def test_report_has_plots(built):
    ws, _ = built
    page = (ws.root / "report.html").read_text()
    assert page.count("data:image/png;base64,") >= 5


def test_rebuild_adds_no_duplicates(built):
    ws, summary = built
    again = run_build([str(EXAMPLE_CORPUS)], workspace=str(ws.root), config=FAST, force=True)
    assert not again.up_to_date, "force rebuilds"
    assert again.store.quads_added == 0
    assert again.store.quads == summary.store.quads
