"""Issue 14: offsets index the input text as given, in ``kg extract``, the tables and the store.

NFC decomposes the precomposed Bangla য় ড় ঢ় (composition exclusions), so offsets into the
normalised copy point at the wrong characters for most Bangla news sentences.
"""

import json
import unicodedata

import pytest
from pyoxigraph import Store

from kg_store.quads import tables_to_quads
from kg_store.vocab import Vocab
from pipeline.extract.api import run_extract
from pipeline.extract.config import RULE_EXTRACTORS, ExtractConfig
from pipeline.extract.jsonl import extract_jsonl
from pipeline.ingest.api import run_ingest
from pipeline.link.api import run_link
from pipeline.ner.train import BUNDLED
from pipeline.schema import SCORED_EDGES, from_rows

DEV_FILES = BUNDLED["bn"]  # banglakit and Rifat1493, shipped with the NER
LINES_PER_FILE = 300
# Precomposed য় (U+09DF) in মালয়েশিয়ার, ড় (U+09DC) in বড়, after leading whitespace.
PRECOMPOSED = "  মাল\u09dfেশি\u09dfার রাজধানী কুয়ালালামপুর। ঢাকা বাংলাদেশের ব\u09dc শহর।\n"


@pytest.mark.parametrize("path", DEV_FILES, ids=lambda p: p.name)
def test_every_printed_entity_offset_points_at_its_text_in_the_input(path, tmp_path):
    with path.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    # Mostly sentences that NFC changes (the map's work), some it leaves alone.
    changes = [unicodedata.normalize("NFC", r["text"]) != r["text"] for r in rows]
    rows = ([r for r, c in zip(rows, changes) if c][: LINES_PER_FILE * 2 // 3]
            + [r for r, c in zip(rows, changes) if not c][: LINES_PER_FILE // 3])
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": i, "text": r["text"]}, ensure_ascii=False) + "\n"
                              for i, r in enumerate(rows)), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    extract_jsonl(source, out, lang="bn")
    printed = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    entities = [(r["text"], e) for r, line in zip(rows, printed, strict=True) for e in line["entities"]]
    assert len(entities) > LINES_PER_FILE // 2
    wrong = [(e, text[e[0]:e[1]]) for text, e in entities if text[e[0]:e[1]] != e[3]]
    assert not wrong, wrong[:5]


def test_tables_keep_the_text_as_given_and_index_it(tmp_path):
    (tmp_path / "doc.txt").write_text(PRECOMPOSED, encoding="utf-8")
    [documents] = list(run_ingest([tmp_path / "doc.txt"]))
    assert documents.column("text")[0].as_py() == PRECOMPOSED
    mentions = run_extract(documents).mentions.to_pylist()
    surfaces = {m["surface"]: m["text"] for m in mentions}
    assert surfaces["বাংলাদেশের"] == "বাংলাদেশ"  # after the decomposed মালয়েশিয়ার: shifted before issue 14
    assert "মাল\u09dfেশি\u09dfার" in surfaces
    assert all(PRECOMPOSED[m["start"]:m["end"]] == m["surface"] for m in mentions)


def test_store_assertion_offsets_slice_the_original_document(tmp_path):
    (tmp_path / "doc.txt").write_text(PRECOMPOSED, encoding="utf-8")
    [documents] = list(run_ingest([tmp_path / "doc.txt"]))
    # The rules relate every pair (co-occurrence included): edges enough to check each one's offsets.
    extracted = run_extract(documents, config=ExtractConfig(extractors=RULE_EXTRACTORS))
    linked = run_link(extracted.mentions, extracted.relations)
    edges = linked.edges.to_pylist()
    assert edges
    scored = from_rows([{**e, "filter_score": 1.0, "kept": True} for e in edges], SCORED_EDGES)
    store = Store()  # queries see the union of the graphs, as kg query does
    store.extend(tables_to_quads(linked.entities, scored, documents, include_text=True))
    kg = Vocab().kg
    rows = store.query(use_default_graph_as_union=True, query=f"""SELECT ?text ?start ?end ?label WHERE {{
        ?a a <{kg.Assertion.value}> ; <{kg.document.value}> ?d ; <{kg.start.value}> ?start ; <{kg.end.value}> ?end ;
           <{kg.subject.value}> ?s .
        ?d <{kg.text.value}> ?text . }}""")
    evidence = [(r["text"].value, int(r["start"].value), int(r["end"].value)) for r in rows]
    assert evidence and all(text == PRECOMPOSED for text, _, _ in evidence)
    surfaces = {m["surface"] for m in extracted.mentions.to_pylist()}
    assert "মাল\u09dfেশি\u09dfার" in surfaces and "ব\u09dc" not in surfaces
    sentences = {s.strip() + "।" for s in PRECOMPOSED.split("।") if s.strip()}
    for _, start, end in evidence:  # a sentence as written, or (paragraph edges) from one mention to another
        window = PRECOMPOSED[start:end]
        assert window in sentences or (any(map(window.startswith, surfaces)) and any(map(window.endswith, surfaces)))
