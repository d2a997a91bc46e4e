"""DKPLM exports: long-tail scoring, pseudo-token triples, the marked corpus, and an EasyNLP-style reader."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from pipeline.export.api import export_workspace
from pipeline.export.config import ExportConfig
from pipeline.export.dkplm import _sentence_window, long_tail_entities, semantic_importance
from tests.export import easynlp_reader
from tests.export.conftest import TEXT_1, TEXT_2, entity, mention, write_workspace

READER = Path(easynlp_reader.__file__)


def _tsv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_klt_formula_by_hand() -> None:
    entities = pa.table({"frequency": pa.array([10, 1, 2, 1], pa.int32())})
    index = {name: i for i, name in enumerate("abcd")}
    facts = [("a", "r", "b"), ("a", "r", "c"), ("b", "r", "c"), ("b", "s", "d")]
    si = np.array([1.0, 0.5, 0.2, 0.9])
    tail = long_tail_entities(entities, facts, index, si, "test", None)
    # Freq < mean(3.5): b, c, d.  Degrees: a 2, b 3, c 2, d 1.  KLT = [0, 1.5, 0.4, 0.9], mean 0.7.
    assert tail.frequency_threshold == 3.5
    assert np.allclose(tail.klt, [0, 1.5, 0.4, 0.9])
    assert tail.chosen == [1, 3]
    assert long_tail_entities(entities, facts, index, si, "test", 1.5).chosen == [1, 3]  # b, d have Freq 1
    assert long_tail_entities(entities, facts, index, si, "test", 1.0).chosen == []


def test_exports_of_a_small_workspace(small_workspace) -> None:
    card = export_workspace(small_workspace).card
    out = small_workspace.exports_dir
    long_tail = _tsv(out / "dkplm_long_tail.tsv")
    # Rahim and Dhaka are frequent; Gitanjali has one fact; Karim and the club two each.
    assert [r["entity_id"] for r in long_tail] == ["karim", "club"]
    assert card["dkplm"]["long_tail_entities"] == 2 and "SI = 1" in card["dkplm"]["semantic_importance"]
    ids = [line.split("\t")[0] for line in (out / "entity2id.txt").read_text().splitlines()[1:]]
    rels = [line.split("\t")[0] for line in (out / "relation2id.txt").read_text().splitlines()[1:]]
    named = [(ids[int(t["entity"])], t["role"], ids[int(t["head"])], rels[int(t["relation"])], ids[int(t["tail"])])
             for t in _tsv(out / "dkplm_triples.tsv")]
    assert named == [("karim", "head", "karim", "founded", "club"), ("karim", "head", "karim", "met", "rahim"),
                     ("club", "tail", "karim", "founded", "club"), ("club", "head", "club", "located in", "dhaka")]
    records = [json.loads(line) for line in (out / "dkplm_corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    assert records[0]["text"] == ("[ENT] Rahim [ENT] was born in [ENT] Dhaka [ENT]. [ENT] Rahim [ENT] wrote "
                                  "[ENT] Gitanjali [ENT] in [ENT] Dhaka [ENT].")
    # "Dhaka" inside "Dhaka Club" overlaps a longer mention and stays unmarked.
    assert records[1]["text"] == "[ENT] Karim [ENT] founded the [ENT] Dhaka Club [ENT]. He met [ENT] Rahim [ENT] there."
    assert [(e["entity_id"], e["long_tail"]) for e in records[1]["entities"]] == [
        ("karim", True), ("club", True), ("rahim", False)]
    assert set(card["models"]) >= {"extractors", "files"} and card["metrics"]["edges_kept"] == 5


def test_easynlp_reader_agrees_and_catches_a_shifted_file(small_workspace) -> None:
    export_workspace(small_workspace)
    out = small_workspace.exports_dir
    result = subprocess.run([sys.executable, str(READER), str(out)], capture_output=True, text=True, timeout=60)
    report = json.loads(result.stdout)
    assert result.returncode == 0, report["problems"]
    assert report["marked_spans"] == 8 and report["long_tail"] == 2 and report["pseudo_token_triples"] == 4
    # A consumer must notice when the embedding lines and the ids drift apart.
    lines = (out / "entity_emb.txt").read_text().splitlines()
    (out / "entity_emb.txt").write_text("\n".join(lines[1:]) + "\n")
    counts, problems = easynlp_reader.check(out)
    assert any("entity_emb.txt has 4 lines" in p for p in problems)


def test_sentence_window_and_semantic_importance(tmp_path) -> None:
    from gensim.models import FastText

    text = "First one. Karim founded the club! Third"
    assert text[slice(*_sentence_window(text, 11, 16))] == " Karim founded the club!"
    sentences = [t.lower().split() for t in (TEXT_1, TEXT_2, "Rahim met Karim", "Dhaka is big")] * 5
    model = FastText(vector_size=8, min_count=1, bucket=1000, seed=1, workers=1)
    model.build_vocab(corpus_iterable=sentences)
    model.train(corpus_iterable=sentences, total_examples=len(sentences), epochs=5)
    docs = {"d1": TEXT_1, "d3": "Rahim"}
    mentions = [{**mention("d1", TEXT_1, "Gitanjali"), "entity_id": "g"},
                {**mention("d3", "Rahim", "Rahim"), "entity_id": "r"}]
    si = semantic_importance(model, mentions, docs, {"g": 0, "r": 1, "unseen": 2}, 3)
    assert 0 < si[0] < 2 and si[1] == 1.0 and si[2] == 1.0  # alone in its sentence: 1; no mention: neutral


def test_fasttext_model_feeds_semantic_importance(small_workspace) -> None:
    from gensim.models import FastText

    model = FastText(vector_size=8, min_count=1, bucket=1000, seed=1, workers=1)
    sentences = [TEXT_1.lower().split(), TEXT_2.lower().split()] * 5
    model.build_vocab(corpus_iterable=sentences)
    model.train(corpus_iterable=sentences, total_examples=len(sentences), epochs=5)
    model.save(str(small_workspace.models_dir / "fasttext.model"))
    card = export_workspace(small_workspace, config=ExportConfig(max_triples_per_entity=1)).card
    assert card["dkplm"]["semantic_importance"].startswith("corpus FastText")
    rows = _tsv(small_workspace.exports_dir / "dkplm_long_tail.tsv")
    assert rows and all(0 < float(r["semantic_importance"]) < 2 for r in rows)
    assert card["dkplm"]["pseudo_token_triples"] == len(rows)  # one triple each


def test_literal_markers_in_text_are_escaped(tmp_path) -> None:
    text = "A [ENT] B\nשלום Karim\u200b"
    ws = write_workspace(tmp_path / "ws", [entity("k", "Karim", 1), entity("b", "B", 1)],
                         [{"edge_id": "x", "subject_id": "k", "predicate": "p", "object_id": "b", "doc_id": "d",
                           "sentence": 0, "start": 0, "end": 1, "extractor": "e", "confidence": 1.0,
                           "filter_score": 1.0, "kept": True}],
                         [dict(doc_id="d", source="s", lang="he", text=text)],
                         [(mention("d", text, "Karim"), "k"), (mention("d", text, "B"), "b")])
    export_workspace(ws)
    record = json.loads((ws.exports_dir / "dkplm_corpus.jsonl").read_text(encoding="utf-8"))
    assert record["text"] == "A [ ENT ] [ENT] B [ENT]\nשלום [ENT] Karim [ENT]\u200b"
    assert easynlp_reader.marked_spans(record["text"]) == ["B", "Karim"]


@pytest.mark.parametrize("missing", ["mentions", "entity_embeddings"])
def test_exports_without_optional_tables(small_workspace, missing) -> None:
    small_workspace.table_path(missing).unlink()
    card = export_workspace(small_workspace).card
    out = small_workspace.exports_dir
    assert (out / "dkplm_long_tail.tsv").exists() and (out / "graph.ttl").exists()
    assert ("embedding_dim" in card) == (missing != "entity_embeddings")


def test_pykeen_and_openke_read_the_triples(small_workspace) -> None:
    from pykeen.triples import TriplesFactory

    export_workspace(small_workspace)
    out = small_workspace.exports_dir
    factory = TriplesFactory.from_path(out / "triples.tsv")
    assert factory.num_triples == 5 and factory.num_relations == 5
    train = [tuple(map(int, line.split())) for line in (out / "train2id.txt").read_text().splitlines()[1:]]
    ids = [line.split("\t")[0] for line in (out / "entity2id.txt").read_text().splitlines()[1:]]
    rels = [line.split("\t")[0] for line in (out / "relation2id.txt").read_text().splitlines()[1:]]
    labelled = {(ids[h], rels[r], ids[t]) for h, t, r in train}  # OpenKE order: head tail relation
    assert labelled == {tuple(row) for row in factory.triples.tolist()}
