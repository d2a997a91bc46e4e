"""The encoder NER tagger: word segmentation, BIO round trips, a tiny real training run, the spaCy component."""

from __future__ import annotations

import json

import pytest
import spacy
from hypothesis import given
from hypothesis import strategies as st

from pipeline.ner.tagger import bio_tags, decode, first_tokens, load_tagger, words
from pipeline.ner.train import BUNDLED, map_labels, train_tagger


def test_words_split_punctuation_but_keep_hyphens_and_dots():
    text = "‘ঝলম ইউনিয়ন, দক্ষিণ-পূর্ব (ওসি) ড. ইউনূস।"
    assert [text[s:e] for s, e in words(text)] == ["‘", "ঝলম", "ইউনিয়ন", ",", "দক্ষিণ-পূর্ব", "(", "ওসি", ")", "ড.",
                                                   "ইউনূস", "।"]


@given(st.lists(st.sampled_from(["ঢাকা", "শেখ", "হাসিনা", "এলেন", ",", "।", "Dhaka"]), min_size=1, max_size=12),
       st.data())
def test_bio_tags_decode_back_to_the_same_entities(tokens, data):
    text = " ".join(tokens)
    spans = words(text)
    # Non-overlapping entities over whole words.
    cuts = sorted(set(data.draw(st.lists(st.integers(0, len(spans)), max_size=6))))
    entities = [(spans[a][0], spans[b - 1][1], data.draw(st.sampled_from(["PERSON", "GPE"])))
                for a, b in zip(cuts[::2], cuts[1::2]) if b > a]
    tags, missed = bio_tags(spans, entities)
    assert missed == 0
    assert decode(spans, tags) == entities


def test_an_entity_inside_a_word_is_counted_as_unlearnable():
    spans = words("ঢাকার পথে")
    assert bio_tags(spans, [(0, 4, "GPE")]) == (["O", "O"], 1)


def test_first_tokens_skip_bare_metaspaces():
    # "▁" (empty, at the space), "," ... : the comma word reads its own token.
    assert first_tokens([(0, 4), (4, 4), (5, 6)], [(0, 4), (5, 6)]) == [0, 2]


def test_labels_map_onto_the_products_types():
    rows = map_labels([{"text": "x", "entities": [(0, 1, "PER"), (0, 1, "TIM"), (0, 1, "LOC"), (0, 1, "LAW")]}])
    assert rows[0]["entities"] == [(0, 1, "PERSON"), (0, 1, "DATE"), (0, 1, "GPE")]


@pytest.fixture(scope="module")
def tiny_tagger(tmp_path_factory):
    """A real training run on 60 sentences per dataset, one epoch, one tuned block."""
    out = tmp_path_factory.mktemp("tagger")
    result = train_tagger(BUNDLED["bn"], out, frozen=2, tuned=1, epochs=1, limit=60, batch_size=8)
    return out, result


def test_training_saves_a_tagger_that_loads_and_predicts_inside_the_text(tiny_tagger):
    out, result = tiny_tagger
    assert set(result["datasets"]) == {"bn_ner_banglakit", "bn_ner_rifat_train"}
    assert result["history"][0]["loss"] > 0
    meta = json.loads((out / "tagger.json").read_text(encoding="utf-8"))
    assert meta["config"]["frozen"] == 2 and meta["config"]["tuned"] == 1
    tagger = load_tagger(out)
    text = "শেখ হাসিনা ঢাকায় এলেন।"
    for start, end, label in tagger.predict([text])[0]:
        assert 0 <= start < end <= len(text) and label in {"PERSON", "ORG", "GPE", "DATE"}


def test_the_spacy_component_sets_entities_in_batches(tiny_tagger):
    import pipeline.ner.component  # noqa: F401  (registers the factory)

    out, _ = tiny_tagger
    nlp = spacy.blank("bn")
    nlp.add_pipe("kg_encoder_ner", config={"path": str(out)})
    texts = ["শেখ হাসিনা ঢাকায় এলেন।", "", "রবীন্দ্রনাথ ঠাকুর কলকাতায় জন্মগ্রহণ করেন।"]
    docs = list(nlp.pipe(texts, batch_size=2))
    assert [d.text for d in docs] == texts
    for doc in docs:
        assert all(ent.label_ in {"PERSON", "ORG", "GPE", "DATE"} for ent in doc.ents)
