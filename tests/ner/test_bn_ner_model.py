"""The Bangla NER that ships in pipeline/resources/bn_ner: loads offline, finds news names, keeps its score."""

import json

from pipeline.extract.api import extract_documents
from pipeline.extract.bangla import bundled_ner_path, load_bangla_pipeline
from pipeline.extract.config import ExtractConfig


def _ents(text):
    return {(e.text, e.label_) for e in load_bangla_pipeline(None)(text).ents}


def test_shipped_model_finds_people_places_organisations_and_dates():
    ents = _ents("প্রধানমন্ত্রী শেখ হাসিনা আজ সোমবার চট্টগ্রামে এক জনসভায় বক্তব্য দেন।")
    assert {("শেখ হাসিনা", "PERSON"), ("সোমবার", "DATE"), ("চট্টগ্রামে", "GPE")} <= ents
    assert ("ঢাকা বিশ্ববিদ্যালয়ের", "ORG") in _ents("ঢাকা বিশ্ববিদ্যালয়ের অধ্যাপক আনিসুজ্জামান বৃহস্পতিবার মারা গেছেন।")


def test_extractor_cuts_case_endings_off_ner_names():
    text = "জামাল ভূইয়া কলকাতা মোহামেডানের হয়ে খেলেন। প্রধানমন্ত্রী শেখ হাসিনা আজ চট্টগ্রামে যান।"
    [extraction] = extract_documents([{"doc_id": "d", "lang": "bn", "text": text}], config=ExtractConfig())
    found = {(m["text"], m["label"]) for m in extraction.mentions}
    assert {("জামাল ভূইয়া", "PERSON"), ("কলকাতা মোহামেডান", "ORGANIZATION"), ("চট্টগ্রাম", "PLACE")} <= found
    assert all(text[m["start"] : m["end"]] == m["surface"] for m in extraction.mentions)  # the ending stays in the span


def test_shipped_model_is_small_and_reports_its_held_out_score():
    from pathlib import Path

    folder = Path(bundled_ner_path())
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    assert size < 10_000_000
    report = json.loads((folder / "training.json").read_text(encoding="utf-8"))
    assert report["seed"] == 42 and report["sentences"]["test"] == 351 and report["test"]["f1"] > 0.5
