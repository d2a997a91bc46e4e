"""Romanisation and sound-alike matching of Bangla names to English names."""

import pytest

from pipeline.link.api import run_link
from pipeline.link.crosslingual import compatible, match_by_transliteration
from pipeline.schema import MENTIONS, RELATIONS, from_rows
from pipeline.transliterate import name_key, romanise


@pytest.mark.parametrize("bangla, latin", [
    ("রবীন্দ্রনাথ ঠাকুর", "Rabindranath Thakur"),
    ("কলকাতা", "Kalkata"),  # medial schwa deleted
    ("সত্যজিৎ রায়", "Satyajit Ray"),  # khanda ta, nukta letter, final schwa dropped
    ("পদ্মা", "Padma"),  # conjunct keeps its vowel
    ("অমর্ত্য সেন", "Amartya Sen"),
    ("চাঁদপুর", "Chandpur"),  # chandrabindu
])
def test_romanise_names(bangla, latin):
    assert romanise(bangla) == latin


def test_name_key_is_blind_to_common_spelling_variants():
    assert name_key("কাজী নজরুল ইসলাম") == name_key("Kazi Nazrul Islam")
    assert name_key("মুহাম্মদ ইউনূস") == name_key("Muhammad Yunus")
    assert name_key("Kolkata") == name_key("কলকাতা")
    assert name_key("Rabindranath Tagore") != name_key("রবীন্দ্রনাথ ঠাকুর")  # Tagore is an anglicisation, not a sound


def test_matching_pairs_names_of_compatible_types_only():
    english = {"satyajit ray": "PERSON", "sukumar ray": "PERSON", "kolkata": "PLACE", "padma river": "PLACE"}
    bangla = {"সত্যজিৎ রায়": "PERSON", "সুকুমার রায়": "PERSON", "কলকাতা": "PERSON", "পদ্মা": "PLACE"}
    pairs = {m.bangla: m.english for m in match_by_transliteration(bangla, english)}
    assert pairs == {"সত্যজিৎ রায়": "satyajit ray", "সুকুমার রায়": "sukumar ray"}  # a person is never a place
    assert compatible("PLACE", "ORGANIZATION") and not compatible("DATE", "DATE")


def test_ambiguous_names_stay_apart():
    # Two English spellings that sound the same: no clear winner, no merge.
    matches = match_by_transliteration({"আবদুল জব্বার": "PERSON"}, {"abdul jabbar": "PERSON", "abdul jabar": "PERSON"})
    assert matches == []


def _mention(doc, text, label, lang):
    return {"mention_id": f"{doc}:0-{len(text)}", "doc_id": doc, "sentence": 0, "start": 0, "end": len(text),
            "text": text, "label": label, "lang": lang, "extractor": "test", "confidence": 0.9}


def test_link_merges_by_sound_when_the_lexicon_lacks_the_name(tmp_path):
    lexicon = tmp_path / "lexicon.tsv"
    lexicon.write_text("জন্মগ্রহণ\tborn\tRELATION\n", encoding="utf-8")
    mentions = [_mention("en", "Jamal Bhuiyan", "PERSON", "en"), _mention("bn", "জামাল ভূঁইয়া", "PERSON", "bn"),
                _mention("bn2", "মোহামেডান", "ORGANIZATION", "bn")]
    result = run_link(from_rows(mentions, MENTIONS), from_rows([], RELATIONS), lexicon_path=str(lexicon))
    entities = result.entities.to_pylist()
    jamal = next(e for e in entities if e["label_en"] == "Jamal Bhuiyan")
    assert {(l["lang"], l["text"]) for l in jamal["labels"]} == {("en", "Jamal Bhuiyan"), ("bn", "জামাল ভূঁইয়া")}
    [merge] = result.merges
    assert merge["method"] == "transliteration" and 0.86 <= merge["confidence"] <= 1.0
    club = next(e for e in entities if e["label"] == "মোহামেডান")
    assert {"lang": "bn-Latn", "text": "Mohamedan"} in club["labels"]  # romanised handle for a Bangla-only name


def test_short_names_merge_only_on_an_equal_key():
    """Issue 14: Kerala merged with ক্যারাল (Caral, in Peru) at 0.91 on a bnwiki build."""
    assert not match_by_transliteration({"ক্যারাল": "PLACE", "ফিল্ড": "THING"},
                                        {"kerala": "PLACE", "feluda": "PERSON"})
    assert [m.english for m in match_by_transliteration({"পদ্মা": "PLACE"}, {"padma": "PLACE"})] == ["padma"]


def test_bangla_values_and_inflected_names_in_the_graph():
    """Numbers and dates stay values (no entity); "আমেরিকার" joins "আমেরিকা" and stays its alias."""
    mentions = [_mention("d1", "আমেরিকার", "PLACE", "bn"), _mention("d2", "আমেরিকা", "PLACE", "bn"),
                _mention("d2", "১৯৭১", "DATE", "bn"), _mention("d3", "1971", "DATE", "en")]
    result = run_link(from_rows(mentions, MENTIONS), from_rows([], RELATIONS))
    entities = {e["label"]: e for e in result.entities.to_pylist()}
    assert set(entities) == {"আমেরিকা", "1971"}
    assert entities["আমেরিকা"]["aliases"] == ["আমেরিকার"] and entities["আমেরিকা"]["frequency"] == 2
