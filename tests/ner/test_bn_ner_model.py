"""The Bangla NER tagger that ships in pipeline/resources/bn_ner: loads offline, finds news names, keeps its score."""

import json
from pathlib import Path

from pipeline.extract.api import extract_documents
from pipeline.extract.bangla import bundled_ner_path, load_bangla_pipeline
from pipeline.extract.config import ExtractConfig


def _ents(text):
    return {(e.text, e.label_) for e in load_bangla_pipeline(None)(text).ents}


def test_shipped_tagger_finds_people_places_organisations_and_dates():
    ents = _ents("প্রধানমন্ত্রী শেখ হাসিনা আজ সোমবার চট্টগ্রামে এক জনসভায় বক্তব্য দেন।")
    assert {("শেখ হাসিনা", "PERSON"), ("চট্টগ্রামে", "GPE")} <= ents
    ents = _ents("গ্রামীণ ব্যাংকের প্রতিষ্ঠাতা মুহাম্মদ ইউনূস ২০০৬ সালে নোবেল পুরস্কার পান।")
    assert {("গ্রামীণ ব্যাংকের", "ORG"), ("মুহাম্মদ ইউনূস", "PERSON")} <= ents


def test_names_it_never_saw_in_training():
    # Neither name occurs in the training data; the pretrained encoder carries them.
    ents = _ents("জাতিসংঘের মহাসচিব আন্তোনিও গুতেরেস নিউইয়র্কে বক্তব্য দেন।")
    assert {("আন্তোনিও গুতেরেস", "PERSON"), ("নিউইয়র্কে", "GPE")} <= ents
    assert ("অসলোতে", "GPE") in _ents("নরওয়ের রাজধানী অসলোতে ইয়েন্স স্টলটেনবার্গ সাংবাদিকদের সঙ্গে কথা বলেন।")


def test_extractor_cuts_case_endings_off_ner_names():
    text = "জামাল ভূইয়া কলকাতা মোহামেডানের হয়ে খেলেন। প্রধানমন্ত্রী শেখ হাসিনা আজ চট্টগ্রামে যান।"
    [extraction] = extract_documents([{"doc_id": "d", "lang": "bn", "text": text}], config=ExtractConfig())
    found = {(m["text"], m["label"]) for m in extraction.mentions}
    assert {("শেখ হাসিনা", "PERSON"), ("চট্টগ্রাম", "PLACE")} <= found
    assert all(text[m["start"] : m["end"]] == m["surface"] for m in extraction.mentions)  # the ending stays in the span


def test_a_long_document_is_tagged_past_the_encoder_window():
    sentence = "শেখ হাসিনা আজ চট্টগ্রামে এক জনসভায় বক্তব্য দেন। "
    doc = load_bangla_pipeline(None)(sentence * 60)  # ~480 words, far past 256 tokens
    people = [e for e in doc.ents if e.label_ == "PERSON"]
    assert len(people) >= 55 and people[-1].start_char > len(sentence) * 58


def test_shipped_tagger_is_small_and_reports_its_scores():
    folder = Path(bundled_ner_path())
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    assert size < 30_000_000
    info = json.loads((folder / "tagger.json").read_text(encoding="utf-8"))
    assert info["training"]["seed"] == 42
    assert info["sources"] == ["bn_ner_banglakit.jsonl", "bn_ner_rifat_train.jsonl"]
    for scores in info["training"]["datasets"].values():
        assert scores["test"]["f1"] > 0.5
