"""Exports a KEPLM trainer can pick up (issue 18): README, a data card `kg export` keeps, named long-tail entities,
entities without a vector listed."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from pipeline.export.api import export_workspace
from pipeline.export.dkplm import is_value
from tests.export.conftest import edge, entity, write_workspace

ROOT = Path(__file__).resolve().parents[2]
MODELS = {"embed": {"model": "quaternion", "dim": 4, "device": "cpu", "entities": 9},
           "filter": {"edges": 12, "kept": 11, "threshold": 0.5, "method": "gae"}}


def _tsv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _workspace(root: Path):
    """A hub mentioned often, and rare entities linked to it: named ones, values, and one name spelled twice."""
    rare = [entity("m2900", "2900.0 metres", 1, type_="QUANTITY"), entity("f2900", "2900.0", 1, type_="THING"),
            entity("i2900", "2900", 1, type_="THING"), entity("y1971", "১৯৭১", 1, lang="bn", type_="THING"),
            entity("vb1", "Visva-Bharati", 1, type_="ORGANIZATION"), entity("vb2", "visva bharati", 1, type_="ORGANIZATION"),
            entity("karim", "Karim", 1), entity("nazrul", "নজরুল", 1, lang="bn", label_en="Nazrul")]
    entities = [entity("hub", "Dhaka", 40, type_="PLACE"), *rare, entity("alone", "Alone", 1)]
    edges = [edge(f"e{i}{j}", r["entity_id"], p, "hub", f"d{i}") for i, r in enumerate(rare) for j, p in
             enumerate(["in", "near"])]
    edges.append(edge("drop", "alone", "in", "hub", "d0", kept=False))
    documents = [dict(doc_id=f"d{i}", source=f"{root.parent}/news/feed.jsonl:{i}", lang="en", text="x")
                 for i in range(len(rare))]
    return write_workspace(root, entities, edges, documents)


def test_long_tail_entities_are_named_and_one_per_name(tmp_path) -> None:
    ws = _workspace(tmp_path / "ws")
    card = export_workspace(ws, models=MODELS).card
    rows = _tsv(ws.exports_dir / "dkplm_long_tail.tsv")
    labels = [r["label"] for r in rows]
    assert not [label for label in labels if is_value(label, None)], labels  # no "2900.0", "2900", "১৯৭১"
    assert "2900.0 metres" not in labels and card["dkplm"]["values_skipped"] == 4
    assert sorted(labels) == ["Karim", "Visva-Bharati", "নজরুল"]
    [visva] = [r for r in rows if r["label"] == "Visva-Bharati"]
    assert visva["merged_ids"] == "vb2" and card["dkplm"]["duplicates_merged"] == 1
    assert [r["label_en"] for r in rows if r["label"] == "নজরুল"] == ["Nazrul"]


def test_entities_without_a_vector_are_listed_not_silent_zeros(tmp_path) -> None:
    ws = _workspace(tmp_path / "ws")
    card = export_workspace(ws, models=MODELS).card
    out = ws.exports_dir
    ids = [line.split("\t")[0] for line in (out / "entity2id.txt").read_text(encoding="utf-8").splitlines()[1:]]
    matrix = np.loadtxt(out / "entity_emb.txt", delimiter=",", ndmin=2)
    zero_rows = {i for i, row in enumerate(matrix) if not row.any()}
    listed = _tsv(out / "entities_without_vector.tsv")
    assert {int(r["id"]) for r in listed} == zero_rows == {ids.index("alone")}  # only its edge was dropped
    assert [r["entity_id"] for r in listed] == ["alone"] and card["entities_without_vector"] == 1


def test_readme_and_data_card_after_export_and_kg_export_keeps_the_models(tmp_path) -> None:
    ws = _workspace(tmp_path / "ws")
    (tmp_path / "news" / "LICENSE").parent.mkdir()
    (tmp_path / "news" / "LICENSE").write_text("CC BY 4.0\n")
    export_workspace(ws, models=MODELS)  # as `kg build` does
    out = ws.exports_dir
    readme = (out / "README.md").read_text(encoding="utf-8")
    written = sorted(p.name for p in out.iterdir() if p.name != "README.md")
    assert [name for name in written if f"`{name}`" not in readme] == []  # every file is described
    assert "EasyNLP" in readme and "entity_emb.txt" in readme and "line i is entity id i" in readme
    card = json.loads((out / "datacard.json").read_text(encoding="utf-8"))
    assert card["sources"] == [{"source": f"{tmp_path}/news/feed.jsonl", "documents": 8, "languages": {"en": 8},
                                "licence": f"see {tmp_path}/news/LICENSE"}]
    assert card["software"]["kg-pipeline"]["version"] and card["software"]["pyoxigraph"]["licence"]
    assert card["models"]["embed"]["model"] == "quaternion"

    ws.write_json("run.json", MODELS)  # what the build leaves; `kg export` has no summary of its own
    for name in ("README.md", "datacard.json"):
        (out / name).unlink()
    done = subprocess.run([sys.executable, "-m", "pipeline.cli", "export", "--workspace", str(ws.root)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    again = json.loads((out / "datacard.json").read_text(encoding="utf-8"))
    assert again["models"]["embed"] == MODELS["embed"] and again["models"]["filter"] == MODELS["filter"]
    assert again["sources"] == card["sources"] and (out / "README.md").read_text(encoding="utf-8") == readme
