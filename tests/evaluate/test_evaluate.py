import numpy as np
import pytest

from pipeline.evaluate.extraction import evaluate_extraction, evaluate_ner
from pipeline.evaluate.filter_eval import average_precision
from pipeline.evaluate.matching import entity_match, relation_match


def test_fuzzy_entity_and_relation_matching():
    assert entity_match("Aarhus Airport", "Aarhus")  # containment
    assert entity_match("Jacob Bundsgaard", "jacob bundsgaard")
    assert not entity_match("Aarhus", "Denmark")
    assert entity_match("AC Lumezzane", "A.C. Lumezzane")  # a dotted initialism is one word
    assert entity_match("AEK Athens F.C", "AEK Athens F.C.")  # also when the sentence took its last dot
    assert not entity_match("J. Smith", "JS Smithers")
    assert relation_match("leader", "leaderName")
    assert relation_match("born in", "birthPlace") is False  # no shared word: honest, not lenient
    assert not relation_match("of", "capitalOf")  # stop words never match alone


def test_extraction_scores(write_jsonl):
    gold = write_jsonl("gold.jsonl", [
        {"id": "1", "text": "...", "triples": [["Aarhus", "leaderName", "Jacob Bundsgaard"], ["Aarhus", "country", "Denmark"]]},
        {"id": "2", "text": "...", "triples": [["Aarhus Airport", "runwayLength", "2702.0"]]},
    ])
    pred = write_jsonl("pred.jsonl", [
        {"id": "1", "triples": [["Aarhus", "leader", "Jacob Bundsgaard"], ["Aarhus", "mayor", "Denmark"], ["x", "y", "z"]]},
        {"id": "2", "triples": []},
    ])
    scores = evaluate_extraction(gold, pred)
    assert scores["pair"]["tp"] == 2 and scores["triple"]["tp"] == 1
    assert scores["pair"]["precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert scores["pair"]["recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert scores["triple"]["f1"] == pytest.approx(1 / 3, abs=1e-4)


def test_ner_scores_compare_coarse_types(write_jsonl):
    gold = write_jsonl("g.jsonl", [{"id": 1, "text": "ab", "entities": [[0, 5, "GPE"], [6, 9, "PERSON"]]}])
    pred = write_jsonl("p.jsonl", [{"id": 1, "entities": [[0, 5, "PLACE", "x"], [6, 8, "PERSON", "y"]]}])
    scores = evaluate_ner(gold, pred)
    assert (scores["tp"], scores["pred"], scores["gold"]) == (1, 2, 2)


def test_average_precision_matches_definition():
    labels = np.array([1, 0, 1, 0], dtype=bool)
    assert average_precision(np.array([0.9, 0.8, 0.7, 0.1]), labels) == pytest.approx((1 + 2 / 3) / 2)
    assert average_precision(np.array([0.1, 0.9, 0.2, 0.8]), labels) == pytest.approx((1 / 3 + 2 / 4) / 2)
