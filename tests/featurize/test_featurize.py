import numpy as np
import pytest
from pydantic import ValidationError

from pipeline.featurize.api import run_featurize
from pipeline.featurize.config import FeaturizeConfig
from pipeline.schema import (
    DOCUMENTS,
    ENTITIES,
    ENTITY_TYPES,
    MENTION_LINKS,
    MENTIONS,
    from_rows,
)


def _entity(eid, label, lang, label_en, kind):
    return {"entity_id": eid, "label": label, "lang": lang, "label_en": label_en, "type": kind, "aliases": [],
            "labels": [{"lang": lang, "text": label}], "frequency": 1}


ENTITY_ROWS = from_rows([
    _entity("a", "ঢাকা", "bn", "Dhaka", "PLACE"),
    _entity("b", "Dhaka", "en", "Dhaka", "PLACE"),
    _entity("c", "Grameen Bank", "en", "Grameen Bank", "ORGANIZATION"),
], ENTITIES)
BN_TEXT, EN_TEXT = "ঢাকা বাংলাদেশের রাজধানী। ঢাকায় অনেক মানুষ।", "Dhaka is big. Grameen Bank is in Dhaka."
DOCUMENT_ROWS = from_rows([{"doc_id": "1", "source": "s", "lang": "bn", "text": BN_TEXT},
                           {"doc_id": "2", "source": "s", "lang": "en", "text": EN_TEXT}], DOCUMENTS)


def _mentions():
    found = [("1", BN_TEXT, "ঢাকা", "a"), ("2", EN_TEXT, "Dhaka", "b"), ("2", EN_TEXT, "Grameen Bank", "c")]
    rows, links = [], []
    for doc, text, surface, entity in found:
        start = text.index(surface)
        mid = f"{doc}:{start}-{start + len(surface)}"
        rows.append({"mention_id": mid, "doc_id": doc, "sentence": 0, "start": start, "end": start + len(surface),
                     "text": surface, "surface": surface, "label": "PLACE", "lang": "en", "extractor": "t",
                     "confidence": 1.0})
        links.append({"mention_id": mid, "entity_id": entity})
    return from_rows(rows, MENTIONS), from_rows(links, MENTION_LINKS)


def test_bangla_entities_are_encoded_through_their_english_equivalent():
    config = FeaturizeConfig(parts=("sentence", "fasttext", "types"), fasttext_dim=8, fasttext_epochs=2)
    result = run_featurize(ENTITY_ROWS, DOCUMENT_ROWS, config=config)
    vectors = np.array(result.features.column("vector").to_pylist())
    assert vectors.shape == (3, 384 + 8 + len(ENTITY_TYPES))
    sentence = vectors[:, :384]
    assert np.allclose(sentence[0], sentence[1], atol=1e-5)  # same English equivalent
    assert sentence[0] @ sentence[2] < 0.9
    assert np.any(vectors[0, 384:392] != vectors[1, 384:392])  # FastText sees the native label
    again = run_featurize(ENTITY_ROWS, DOCUMENT_ROWS, config=config)
    assert again.features.equals(result.features)  # seeded, deterministic


def test_the_multilingual_encoder_reads_bangla_and_english_mentions_alike():
    mentions, links = _mentions()
    config = FeaturizeConfig(parts=("encoder",))
    vectors = np.array(run_featurize(ENTITY_ROWS, DOCUMENT_ROWS, config=config, mentions=mentions,
                                     mention_links=links).features.column("vector").to_pylist())
    assert vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    # ঢাকা in a Bangla sentence lies closer to Dhaka in an English one than Grameen Bank does.
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    # Without mentions the labels are embedded alone: still one unit vector per entity.
    labels_only = np.array(run_featurize(ENTITY_ROWS, DOCUMENT_ROWS, config=config).features.column("vector").to_pylist())
    assert labels_only.shape == (3, 384) and not np.allclose(labels_only, vectors)


def test_feature_parts_are_checked():
    with pytest.raises(ValidationError, match=r"unknown or no feature parts \['bert'\]"):
        FeaturizeConfig(parts=("bert",))
    assert FeaturizeConfig(parts=["types", "encoder"]).parts == ("encoder", "types")  # canonical order
