"""Cross-lingual linking on the multilingual encoder (issue 14), with the real multilingual-e5-small."""

import pytest

from pipeline.encoders import load_encoder
from pipeline.link.api import run_link
from pipeline.link.config import LinkConfig
from pipeline.schema import MENTIONS, RELATIONS, from_rows


@pytest.fixture(scope="module", autouse=True)
def encoder():
    return load_encoder()  # once per module: run_link gets the same cached encoder


@pytest.fixture
def no_names(tmp_path):
    """A lexicon without names, so that every merge must come from sound or the encoder."""
    path = tmp_path / "relations_only.tsv"
    path.write_text("জন্মগ্রহণ\tborn\tRELATION\n", encoding="utf-8")
    return str(path)


def _link(pairs, lexicon, **config):
    mentions = [{"mention_id": f"{lang}{n}:0-{len(text)}", "doc_id": f"{lang}{n}", "sentence": 0, "start": 0,
                 "end": len(text), "text": text, "label": label, "lang": lang, "extractor": "test", "confidence": 0.9}
                for n, (text, label, lang) in enumerate(pairs)]
    return run_link(from_rows(mentions, MENTIONS), from_rows([], RELATIONS), lexicon_path=lexicon,
                    config=LinkConfig(**config))


def _merged(result):
    return {m["bangla"]: (m["english"], m["method"]) for m in result.merges}


def test_translations_and_names_spelled_apart_merge_via_the_encoder(no_names):
    result = _link([("Government of Bangladesh", "ORGANIZATION", "en"), ("University of Dhaka", "ORGANIZATION", "en"),
                    ("Delhi", "PLACE", "en"), ("Bangladesh", "PLACE", "en"), ("Dhaka", "PLACE", "en"),
                    ("বাংলাদেশ সরকার", "ORGANIZATION", "bn"), ("ঢাকা বিশ্ববিদ্যালয়", "ORGANIZATION", "bn"),
                    ("দিল্লি", "PLACE", "bn"), ("বাংলাদেশ", "PLACE", "bn"), ("ঢাকা", "PLACE", "bn")], no_names)
    merged = _merged(result)
    assert merged["বাংলাদেশ"] == ("bangladesh", "transliteration")  # sound first; the encoder takes the rest
    assert merged["বাংলাদেশ সরকার"] == ("government of bangladesh", "encoder")
    assert merged["ঢাকা বিশ্ববিদ্যালয়"] == ("university of dhaka", "encoder")
    assert merged["দিল্লি"] == ("delhi", "encoder")
    evidence = next(m for m in result.merges if m["bangla"] == "দিল্লি")
    assert 0.9 <= evidence["confidence"] <= 1 and evidence["cosine"] >= 0.9 and evidence["transliteration"] < 0.7
    government = next(e for e in result.entities.to_pylist() if e["label_en"] == "Government of Bangladesh")
    assert {"lang": "bn", "text": "বাংলাদেশ সরকার"} in government["labels"]


def test_sound_backs_the_encoder_on_half_translated_names(no_names):
    merged = _merged(_link([("Meghna River", "PLACE", "en"), ("মেঘনা নদী", "PLACE", "bn")], no_names))
    assert merged == {"মেঘনা নদী": ("meghna river", "encoder+transliteration")}


@pytest.mark.parametrize("bangla, english", [
    (("বাংলাদেশ সরকার", "ORGANIZATION"), ("Bangladesh", "PLACE")),  # a country is not its government
    (("ভারত সরকার", "ORGANIZATION"), ("India", "PLACE")),
    (("ক্যারাল", "PLACE"), ("Kerala", "PLACE")),  # Caral (Peru) sounds like Kerala, and is not it
    (("ঢাকা কলেজ", "ORGANIZATION"), ("Dhaka Medical College", "ORGANIZATION")),  # cosine 0.93: a longer, other name
    (("সাখাওয়াত হোসেন", "PERSON"), ("Rokeya Sakhawat Hossain", "PERSON")),  # her husband
    (("রবীন্দ্রনাথ ঠাকুর", "PERSON"), ("Rabindranath Tagore Museum", "PLACE")),
])
def test_different_entities_stay_apart(no_names, bangla, english):
    assert _link([(*english, "en"), (*bangla, "bn")], no_names).merges == []


def test_an_english_name_keeps_its_own_bangla_name_over_a_closer_stranger(no_names):
    """বাংলাদেশ already names Bangladesh, so গ্রামীণ বাংলাদেশ (rural Bangladesh) does not join it too."""
    merged = _merged(_link([("Bangladesh", "PLACE", "en"), ("বাংলাদেশ", "PLACE", "bn"),
                            ("গ্রামীণ বাংলাদেশ", "PLACE", "bn")], no_names))
    assert merged == {"বাংলাদেশ": ("bangladesh", "transliteration")}


def test_the_switch_turns_encoder_linking_off(no_names):
    pairs = [("Government of Bangladesh", "ORGANIZATION", "en"), ("বাংলাদেশ সরকার", "ORGANIZATION", "bn")]
    assert _merged(_link(pairs, no_names)) == {"বাংলাদেশ সরকার": ("government of bangladesh", "encoder")}
    assert _link(pairs, no_names, encoder_linking=False).merges == []
