"""The run report leads with knowledge (issue 18): named entities, facts with sentences, the filter's split."""

from __future__ import annotations

import re

import pytest

from pipeline.report import summary_markdown, write_report
from pipeline.schema import DOCUMENTS, ENTITIES, QUARANTINE, SCORED_EDGES, from_rows
from pipeline.summary import BuildSummary
from pipeline.workspace import Workspace

CITIES = [("Dhaka", "ঢাকা"), ("Kolkata", "কলকাতা"), ("Chittagong", "চট্টগ্রাম"), ("Sylhet", "সিলেট"),
          ("Khulna", "খুলনা"), ("Rajshahi", "রাজশাহী"), ("Barisal", "বরিশাল"), ("Rangpur", "রংপুর"),
          ("Comilla", "কুমিল্লা"), ("Mymensingh", "ময়মনসিংহ"), ("Jessore", "যশোর"), ("Bogra", "বগুড়া")]
SUMMARY = BuildSummary.model_validate({
    "documents": 12, "extraction": {"documents": 12, "routes": {"en:spacy": 12}}, "entities": 13,
    "filter": {"edges": 13, "kept": 12, "threshold": 0.5, "method": "gae"},
    "embed": {"model": "quaternion", "dim": 8, "device": "cpu", "entities": 13},
    "store": {"quads": 100, "quads_added": 100, "documents": 12},
    "stages": {"ingest": {"seconds": 1.25, "rows_in": 12, "rows_out": 12, "peak_rss_mib": 300}}})


def _entity(eid, en, bn, type_):
    return dict(entity_id=eid, label=en, lang="en", label_en=en, type=type_, aliases=[],
                labels=[{"lang": "en", "text": en}, {"lang": "bn", "text": bn}], frequency=3)


@pytest.fixture
def workspace(tmp_path) -> Workspace:
    """Twelve people, each born in a city; Person 0's birth stated in two documents; one dropped edge."""
    ws = Workspace(tmp_path / "ws")
    people = [f"Person {i}" for i in range(len(CITIES))]
    texts = [f"{person} was born in {city}." for person, (city, _) in zip(people, CITIES)]
    docs = [dict(doc_id=f"d{i}", source=f"c.jsonl:{i}", lang="en", text=t) for i, t in enumerate(texts)]
    entities = [_entity(f"p{i}", p, f"ব্যক্তি {i}", "PERSON") for i, p in enumerate(people)]
    entities += [_entity(f"c{i}", en, bn, "PLACE") for i, (en, bn) in enumerate(CITIES)]
    edges = [dict(edge_id=f"e{i}", subject_id=f"p{i}", predicate="born in", object_id=f"c{i}", doc_id=f"d{i}", sentence=0,
                  start=0, end=len(t), extractor="spacy", confidence=0.9, filter_score=0.8, kept=True)
             for i, t in enumerate(texts)]
    edges.append(dict(edges[0], edge_id="again", doc_id="d1", start=0, end=len(texts[1])))  # Person 0 in d1 too
    edges.append(dict(edges[2], edge_id="drop", predicate="visited", kept=False, filter_score=0.2))
    ws.write("documents", from_rows(docs, DOCUMENTS), DOCUMENTS)
    ws.write("entities", from_rows(entities, ENTITIES), ENTITIES)
    ws.write("scored_edges", from_rows(edges, SCORED_EDGES), SCORED_EDGES)
    ws.write("quarantine", from_rows([dict(source="bad.csv", stage="ingest", reason="not UTF-8")], QUARANTINE), QUARANTINE)
    return ws


def _section(page: str, anchor: str) -> str:
    return page.split(f'id="{anchor}"', 1)[1].split("<h2", 1)[0]


def test_report_names_top_entities_in_both_languages_and_facts_with_sentences(workspace) -> None:
    page = write_report(workspace, SUMMARY).read_text(encoding="utf-8")
    top = _section(page, "entities")
    assert top.count("<tr>") - 1 >= 10
    assert "<td>Dhaka</td><td lang=bn>ঢাকা</td>" in top
    facts = _section(page, "facts")
    sentences = re.findall(r"<td class=s>([^<]+)</td>", facts)
    assert len(sentences) >= 10 and all(s.endswith(" was born in " + s.split(" was born in ")[1]) for s in sentences)
    assert "Person 0</td><td><b>born in</b></td><td>Dhaka" in facts and "c.jsonl:0 and 1 more" in facts
    relations = _section(page, "relations")
    assert "<td><b>born in</b></td><td>12</td><td>13</td>" in relations  # 12 distinct facts, 13 sentences
    split = _section(page, "filter")
    assert "13 kept, 1 dropped at threshold 0.500" in split and "visited" in split
    assert "bad.csv" in _section(page, "quarantine")
    assert "{'" not in page and "': " not in page  # no dict reprs anywhere
    assert page.count("data:image/png;base64,") >= 5
    assert "<th>stage ingest</th><td>1.2 s, 12 rows in, 12 out, peak 300 MiB</td>" in page  # issue 19


def test_an_empty_run_says_so_and_draws_no_empty_plots(tmp_path) -> None:
    ws = Workspace(tmp_path / "empty")
    for name, schema in (("documents", DOCUMENTS), ("entities", ENTITIES), ("scored_edges", SCORED_EDGES)):
        ws.write(name, from_rows([], schema), schema)
    page = write_report(ws, BuildSummary()).read_text(encoding="utf-8")
    assert "No documents were read" in page and "data:image/png" not in page and "No data to plot." in page


def test_the_prefect_artifact_leads_with_entities_and_facts(workspace) -> None:
    markdown = summary_markdown(SUMMARY.model_copy(update={"report": "r.html"}), workspace)
    assert markdown.index("## Top entities") < markdown.index("## The run")
    assert "| Dhaka | ঢাকা | PLACE | 1 |"  # a fact in two documents counts once in markdown
    assert "| Person 0 *born in* Dhaka | Person 0 was born in Dhaka. |" in markdown
    assert "| candidate edges: kept / dropped | 12 / 1 by gae (threshold 0.500) |" in markdown
    assert "| stage ingest | 1.2 s, 12 rows in, 12 out, peak 300 MiB |" in markdown
