import numpy as np

from pipeline.featurize.api import run_featurize
from pipeline.featurize.config import FeaturizeConfig
from pipeline.schema import DOCUMENTS, ENTITIES, ENTITY_TYPES, from_rows


def _entity(eid, label, lang, label_en, kind):
    return {"entity_id": eid, "label": label, "lang": lang, "label_en": label_en, "type": kind, "aliases": [],
            "labels": [{"lang": lang, "text": label}], "frequency": 1}


def test_bangla_entities_are_encoded_through_their_english_equivalent():
    entities = from_rows([
        _entity("a", "ঢাকা", "bn", "Dhaka", "PLACE"),
        _entity("b", "Dhaka", "en", "Dhaka", "PLACE"),
        _entity("c", "Grameen Bank", "en", "Grameen Bank", "ORGANIZATION"),
    ], ENTITIES)
    documents = from_rows([{"doc_id": "1", "source": "s", "lang": "bn", "text": "ঢাকা বাংলাদেশের রাজধানী। ঢাকায় অনেক মানুষ।"},
                           {"doc_id": "2", "source": "s", "lang": "en", "text": "Dhaka is big. Grameen Bank is in Dhaka."}], DOCUMENTS)
    config = FeaturizeConfig(fasttext_dim=8, fasttext_epochs=2)
    result = run_featurize(entities, documents, config=config)
    vectors = np.array(result.features.column("vector").to_pylist())
    assert vectors.shape == (3, 384 + 8 + len(ENTITY_TYPES))
    sentence = vectors[:, :384]
    assert np.allclose(sentence[0], sentence[1], atol=1e-5)  # same English equivalent
    assert sentence[0] @ sentence[2] < 0.9
    assert np.any(vectors[0, 384:392] != vectors[1, 384:392])  # FastText sees the native label
    again = run_featurize(entities, documents, config=config)
    assert again.features.equals(result.features)  # seeded, deterministic
