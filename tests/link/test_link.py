from pipeline.link.api import run_link
from pipeline.link.ids import entity_id, normalise_key
from pipeline.schema import MENTIONS, RELATIONS, from_rows


def _mention(doc, start, text, label, lang):
    return {"mention_id": f"{doc}:{start}-{start + len(text)}", "doc_id": doc, "sentence": 0, "start": start,
            "end": start + len(text), "text": text, "label": label, "lang": lang, "extractor": "test", "confidence": 0.9}


def _link(mentions, relations=()):
    return run_link(from_rows(list(mentions), MENTIONS), from_rows(list(relations), RELATIONS))


def test_normalise_key_trims_articles_titles_and_possessives():
    assert normalise_key("The University of Dhaka") == "university of dhaka"
    assert normalise_key("Dr. Muhammad Yunus") == "muhammad yunus"
    assert normalise_key("Tagore's") == "tagore"


def test_bangla_and_english_mentions_become_one_entity_with_both_labels():
    result = _link([_mention("en1", 0, "Rabindranath Tagore", "PERSON", "en"),
                    _mention("bn1", 0, "রবীন্দ্রনাথ ঠাকুর", "PERSON", "bn")])
    [entity] = result.entities.to_pylist()
    assert {(l["lang"], l["text"]) for l in entity["labels"]} == {("en", "Rabindranath Tagore"), ("bn", "রবীন্দ্রনাথ ঠাকুর")}
    assert entity["label_en"] == "Rabindranath Tagore" and entity["type"] == "PERSON"
    assert entity["entity_id"] == entity_id("rabindranath tagore", "PERSON")


def test_partial_person_names_merge_but_places_do_not():
    result = _link([
        _mention("d", 0, "Marie Curie", "PERSON", "en"), _mention("d", 20, "Curie", "PERSON", "en"),
        _mention("d", 40, "University of Dhaka", "ORGANIZATION", "en"), _mention("d", 70, "Dhaka", "PLACE", "en"),
    ])
    labels = sorted(e["label"] for e in result.entities.to_pylist())
    assert labels == ["Dhaka", "Marie Curie", "University of Dhaka"]


def test_edges_use_entity_ids_and_skip_self_loops():
    mentions = [_mention("d", 0, "Muhammad Yunus", "PERSON", "en"), _mention("d", 23, "Grameen Bank", "ORGANIZATION", "en"),
                _mention("d", 40, "Yunus", "PERSON", "en")]
    relation = {"doc_id": "d", "sentence": 0, "predicate": "found", "start": 0, "end": 36, "extractor": "t", "confidence": 0.8}
    result = _link(mentions, [
        {**relation, "subject_mention": mentions[0]["mention_id"], "object_mention": mentions[1]["mention_id"]},
        {**relation, "subject_mention": mentions[0]["mention_id"], "object_mention": mentions[2]["mention_id"]},
    ])
    [edge] = result.edges.to_pylist()
    ids = {e["label"]: e["entity_id"] for e in result.entities.to_pylist()}
    assert (edge["subject_id"], edge["object_id"]) == (ids["Muhammad Yunus"], ids["Grameen Bank"])
    # Same input, same ids: a re-run mints the same IRIs.
    assert _link(mentions).entities.column("entity_id").to_pylist() == result.entities.column("entity_id").to_pylist()
