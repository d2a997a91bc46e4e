"""Canonical mention strings, schema argument order and the evaluation matcher."""

from __future__ import annotations

import json

from pipeline.evaluate.matching import entity_match, relation_match
from pipeline.extract.canonicalise import Canonicaliser, clean_surface, person_merges
from pipeline.extract.config import RULE_EXTRACTORS, ExtractConfig
from pipeline.extract.english.places import is_country
from pipeline.extract.jsonl import extract_jsonl
from pipeline.extract.schema_mapping import SchemaMapper, reads_reversed, refined_type


def _mention(mid: str, text: str, label: str) -> dict:
    return {"mention_id": mid, "text": text, "label": label}


def test_clean_surface_trims_articles_titles_possessives_and_digit_groups():
    assert clean_surface("the Dr. Marie Curie's") == "Marie Curie"
    assert clean_surface("1,873") == "1873"
    assert clean_surface("The Hague") == "Hague"  # articles go, even in names: one key per entity


def test_short_person_names_take_the_full_name_within_and_across_documents():
    canon = Canonicaliser()
    first = canon.document([_mention("a", "Marie Curie", "PERSON"), _mention("b", "Curie", "PERSON"),
                            _mention("c", "University of Dhaka", "ORGANIZATION"), _mention("d", "Dhaka", "PLACE")])
    assert first == {"a": "Marie Curie", "b": "Marie Curie", "c": "University of Dhaka", "d": "Dhaka"}
    assert canon.document([_mention("e", "Curie", "PERSON")]) == {"e": "Marie Curie"}
    assert Canonicaliser(across_documents=False).document([_mention("e", "Curie", "PERSON")]) == {"e": "Curie"}


def test_name_variants_of_one_person_meet():
    got = Canonicaliser(across_documents=False).document([
        _mention("a", "President John F. Kennedy", "PERSON"), _mention("b", "President Kennedy", "PERSON"),
        _mention("c", "Kennedy", "PERSON"), _mention("d", "Sirhan B. Sirhan", "PERSON"),
        _mention("e", "Sirhan Sirhan", "PERSON"), _mention("f", "John Smith", "PERSON"),
        _mention("g", "John", "PERSON")])
    assert got == {"a": "John F. Kennedy", "b": "John F. Kennedy", "c": "John F. Kennedy", "d": "Sirhan B. Sirhan",
                   "e": "Sirhan B. Sirhan", "f": "John Smith", "g": "John"}  # two Johns: "John" stays


def test_link_and_extract_share_the_canonical_key():
    from pipeline.link.ids import normalise_key

    assert normalise_key("the Dr. Marie Curie's") == clean_surface("the Dr. Marie Curie's").casefold()
    assert person_merges(["Curie", "Marie Curie", "Dhaka"], lambda n: n != "Dhaka") == {"Curie": "Marie Curie"}


def test_argument_order_follows_the_schema_name():
    assert reads_reversed("operate", "operatingOrganisation")  # Y operates X: X's operating organisation is Y
    assert reads_reversed("lead", "leaderName")
    assert reads_reversed("capital of", "capital")
    assert not reads_reversed("operated by", "operatingOrganisation")
    assert not reads_reversed("leader", "leaderName")
    assert not reads_reversed("part of", "isPartOf")
    assert not reads_reversed("number", "numberOfMembers")


def test_matcher_contains_whole_words_only():
    assert entity_match("Aarhus", "Aarhus Airport")
    assert entity_match("1873", "1873.0")  # token Jaccard 0.5
    assert not entity_match("Aar", "Aarhus")
    assert not entity_match("70", "2702.0")  # a substring, but no word in common
    assert relation_match("runwayLength", "runway length")


def test_kg_extract_maps_by_type_in_context_and_keeps_confidences(tmp_path, write_jsonl):
    source = write_jsonl("in.jsonl", [
        {"id": "1", "text": "Alan Shepard was born on November 18, 1923 in New Hampshire."},
        {"id": "2", "text": "Turkmenistan Airlines operates Ashgabat International Airport."},
    ])
    schema = tmp_path / "relations.txt"
    schema.write_text("birthDate\nbirthPlace\noperatingOrganisation\ncountry\n")
    out = tmp_path / "out.jsonl"
    extract_jsonl(source, out, lang="en", schema_path=str(schema), config=ExtractConfig(extractors=RULE_EXTRACTORS))
    first, second = [json.loads(line) for line in out.read_text().splitlines()]
    assert ["Alan Shepard", "birthDate", "November 18, 1923"] in first["triples"]
    assert ["Alan Shepard", "birthPlace", "New Hampshire"] in first["triples"]
    assert ["Ashgabat International Airport", "operatingOrganisation", "Turkmenistan Airlines"] in second["triples"]
    assert len(first["confidences"]) == len(first["triples"])


def test_countries_are_typed_apart_from_other_places():
    assert is_country("Spain") and is_country("United Kingdom") and is_country("the Netherlands")
    assert not is_country("Dhaka") and not is_country("Texas")
    assert refined_type("PLACE", "Indonesia") == "COUNTRY"
    assert refined_type("PLACE", "Jakarta") == "PLACE"
    assert refined_type("PERSON", "Jordan") == "PERSON"  # only places and untyped names


def test_mapper_embeds_schema_once_and_skips_the_encoder_for_exact_names():
    names = ["country", "location", "birthPlace", "capital", "runwayLength"]
    mapper = SchemaMapper(names)
    assert SchemaMapper(names).matrix is mapper.matrix  # relation words embedded once per process
    exact = mapper.map_many([("capital", "THING", "PLACE"), ("runway length", "THING", "QUANTITY")])
    assert [(m.relation, m.score) for m in exact] == [("capital", 1.0), ("runwayLength", 1.0)]
    # the object's type picks the relation: a dish from a country -> country
    assert mapper.map("come from", "THING", "COUNTRY") == "country"
    # the float encoder agrees on clear cases
    assert SchemaMapper(names, int8=False).map("come from", "THING", "COUNTRY") == "country"
