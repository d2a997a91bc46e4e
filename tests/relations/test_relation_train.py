"""`kg train relations` end to end on tiny data: trains, calibrates, saves, loads, and scores any schema."""

import json
from pathlib import Path

import pytest

from pipeline.relations.model import load_relation_model
from pipeline.relations.train import train_relations

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    out = tmp_path_factory.mktemp("relations")
    meta = train_relations([DATA / "webnlg_tiny.jsonl", DATA / "conll04_tiny.jsonl"],
                           [DATA / "webnlg_tiny.jsonl"], out, epochs=1, limit=16, progress=False)
    return out, meta


def test_training_writes_a_loadable_model_with_its_dev_scores(tiny_model):
    out, meta = tiny_model
    info = json.loads((out / "relations.json").read_text())
    assert info["dev"]["webnlg_tiny.jsonl"]["gold"] > 0 and 0.4 <= info["config"]["threshold"] <= 0.9
    assert {"Kill", "Work_For", "country"} & set(info["schema"])  # the general schema: every trained name
    assert meta["epochs"] == 1 and (out / "relations.safetensors").stat().st_size < 40e6


def test_a_schema_of_unseen_names_is_scored_and_only_its_names_come_out(tiny_model):
    model = load_relation_model(tiny_model[0])
    schema = ("born in", "works for", "capital of")
    texts = ["Ada Lovelace was born in London.", "Paris is the capital of France."]
    found = model.predict(texts, schema, mentions=[[(0, 12), (25, 31)], [(0, 5), (24, 30)]])
    assert [f.mentions for f in found] == [[(0, 12), (25, 31)], [(0, 5), (24, 30)]]
    for f in found:
        assert all(name in schema and 0.0 <= p <= 1.0 for _, _, name, p in f.relations)


def test_a_texts_facts_do_not_depend_on_the_texts_beside_it(tiny_model):
    from dataclasses import replace

    model = load_relation_model(tiny_model[0])
    model.cfg = replace(model.cfg, threshold=0.0)  # every pair the model scores, with its confidence
    text = "Lalon Shah was born in Kushtia. Lalon Shah wrote many songs."
    others = ["Aarhus Airport serves the city of Aarhus, Denmark, and its runway is 2,702 metres long.", "Dhaka."]
    alone = model.predict([text], ("birthPlace", "author"), mentions=[[(0, 10), (23, 30), (32, 42)]])
    beside = model.predict([*others, text], ("birthPlace", "author"),
                           mentions=[[(0, 14)], [(0, 5)], [(0, 10), (23, 30), (32, 42)]])
    assert alone[0].relations and alone[0].relations == beside[2].relations  # exactly: same padding, same numbers
