"""`kg train ner`: data checks, the fixed split, the gazetteer feature, and a tiny real training run."""

import json

import pytest
import spacy

from pipeline.cli import main
from pipeline.errors import SourceError
from pipeline.lexicon import bangla_stem, use_stem_norms
from pipeline.ner.train import (
    BUNDLED_DATA,
    gazetteer,
    read_gold,
    ruler_patterns,
    split,
    swap_mentions,
)


def test_bundled_data_reads_and_splits_reproducibly():
    rows = read_gold(BUNDLED_DATA["bn"])
    assert len(rows) == 3513
    train, dev, test = split(rows, seed=42)
    assert (len(train), len(dev), len(test)) == (2811, 351, 351)
    assert split(rows, seed=42)[2] == test and split(rows, seed=7)[2] != test


def test_bad_gold_line_names_the_source(tmp_path):
    path = tmp_path / "gold.jsonl"
    path.write_text('{"text": "ঢাকা", "entities": [[0, 4, "GPE"]]}\n{"text": 1, "entities": [[0]]}\n', encoding="utf-8")
    with pytest.raises(SourceError, match="gold.jsonl:2"):
        read_gold(path)


def test_stem_norms_and_gazetteer_marks_meet_inflected_names():
    assert bangla_stem("চট্টগ্রামের") == "চট্টগ্রাম" and bangla_stem("ঢাকায়") == "ঢাকা"
    nlp = spacy.blank("bn")
    use_stem_norms(nlp)
    names = gazetteer(nlp, [{"text": "শেখ হাসিনা এলেন।", "entities": [[0, 10, "PERSON"]]}], {"ঢাকা": "GPE"})
    assert names == {("শেখ", "হাসিনা"): "PERSON", ("ঢাকা",): "GPE"}
    ruler = nlp.add_pipe("attribute_ruler")
    ruler.add_patterns(ruler_patterns(names))
    doc = nlp("শেখ হাসিনার সঙ্গে ঢাকায়")
    assert [t.tag_ for t in doc] == ["B-PERSON", "I-PERSON", "", "B-GPE"]


def test_swapped_copies_keep_label_and_case_ending():
    import random

    def row(text, person, place):
        return {"text": text, "entities": [[0, len(person), "PERSON"], [text.index(place), text.index(place) + len(place), "GPE"]]}

    rows = [row("রহিম আজ ঢাকায় এলেন।", "রহিম", "ঢাকায়"), row("করিম কাল রাজশাহীতে যাবেন।", "করিম", "রাজশাহীতে"),
            {"text": "কোনো নাম নেই।", "entities": []}]
    copies = swap_mentions(rows, random.Random(0))
    assert len(copies) == 2  # a sentence without names gets no copy
    for copy in copies:
        names = {copy["text"][s:e]: label for s, e, label in copy["entities"]}
        assert set(names.values()) == {"PERSON", "GPE"}
        assert set(names) <= {"রহিম", "করিম", "ঢাকায়", "রাজশাহীতে"}
        # "-য়" and "-তে" are different endings, so each place keeps its own
        assert copy["text"].split()[2] in names and names[copy["text"].split()[2]] == "GPE"


def test_tiny_training_run_writes_a_loadable_pipeline(tmp_path, capsys):
    rows = read_gold(BUNDLED_DATA["bn"])[:60]
    data = tmp_path / "gold.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "model"
    assert main(["train", "ner", "--lang", "bn", "--data", str(data), "--output", str(out), "--epochs", "1"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["sentences"] == {"train": 48, "dev": 6, "test": 6}
    assert set(result["test"]) >= {"p", "r", "f1", "per_label"} and result["epochs_run"] == 1
    nlp = spacy.load(out)
    assert nlp.pipe_names == ["gazetteer", "ner", "names"] and nlp.meta["performance"]["seed"] == 42


def test_tiny_run_with_fasttext_vectors_keys_them_by_stem(tmp_path, capsys):
    from pipeline.extract.bangla import load_bangla_pipeline

    rows = read_gold(BUNDLED_DATA["bn"])[:40]
    data = tmp_path / "gold.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("ঢাকা বাংলাদেশের রাজধানী।\nচট্টগ্রাম একটি বন্দর নগর।\n", encoding="utf-8")
    out = tmp_path / "model"
    args = ["train", "ner", "--lang", "bn", "--data", str(data), "--output", str(out), "--epochs", "1", "--corpus", str(corpus)]
    assert main(args) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["vectors"]["rows"] > 100 and result["vectors"]["corpus"] == ["corpus.txt"]
    nlp = load_bangla_pipeline(str(out))
    # the table is keyed by the stem: an inflected form the corpus never had still gets its stem's vector
    doc = nlp.make_doc("চট্টগ্রামের রাজধানীতে")
    assert all(t.has_vector for t in doc) and (doc[0].vector == nlp.make_doc("চট্টগ্রাম")[0].vector).all()
