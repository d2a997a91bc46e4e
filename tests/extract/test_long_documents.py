"""Issue 19: extraction stays linear in document length (bench/long_document.py times it)."""

from pipeline.extract.base import Extraction
from pipeline.extract.models import load_spacy, sentence_ents

TEXT = ("Aarhus Airport is in Tirstrup, Denmark. The leader of Aarhus is Jacob Bundsgaard. "
        "Muhammad Yunus founded Grameen Bank in Bangladesh. It is in Dhaka, and Sheikh Hasina visited it in 2009.")


def test_sentence_ents_are_spacys_span_ents():
    doc = load_spacy("en", ())(TEXT)
    assert doc.ents  # the check means something only with entities in several sentences
    for sent in doc.sents:
        assert [(e.start, e.end, e.label_) for e in sentence_ents(sent)] == \
            [(e.start, e.end, e.label_) for e in sent.ents]


def test_an_extraction_keeps_each_mention_and_relation_once():
    out = Extraction("d", mentions=[{"mention_id": "d:0-5", "subject_mention": None}])
    fields = dict(sentence=0, text="Dhaka", label="GPE", lang="en", extractor="spacy", confidence=0.9)
    assert out.add_mention(start=0, end=5, **fields) == "d:0-5" and len(out.mentions) == 1
    other = out.add_mention(start=10, end=15, **fields)
    for _ in range(2):
        out.add_relation(subject="d:0-5", predicate="capital", obj=other, sentence=0, start=0, end=15,
                         extractor="spacy", confidence=0.5)
    assert len(out.mentions) == 2 and len(out.relations) == 1
