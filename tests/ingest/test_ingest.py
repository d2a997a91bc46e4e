import pyarrow as pa

from pipeline.ingest.api import document_id, run_ingest
from pipeline.ingest.config import IngestConfig
from pipeline.ingest.langid import detect_language
from tests.conftest import EXAMPLE_CORPUS


def _ingest(inputs, **config):
    errors = []
    batches = list(run_ingest(inputs, config=IngestConfig(**config), on_error=errors.append))
    table = pa.concat_tables(batches) if batches else None
    return table, errors


def test_language_identification():
    assert detect_language("Dhaka is the capital of Bangladesh and its largest city.") == "en"
    assert detect_language("ঢাকা বাংলাদেশের রাজধানী ও বৃহত্তম শহর।") == "bn"
    assert detect_language("Die Stadt liegt an dem Fluss und ist die Hauptstadt des Landes.") == "de"
    assert detect_language("La ville est la capitale du pays et elle est très grande.") == "fr"
    assert detect_language("१२३ नमस्ते दुनिया") == "hi"
    assert detect_language("1234 5678") == "und"


def test_formats_text_as_given_and_content_ids(tmp_path, write_jsonl):
    decomposed = "Cafe\u0301 in Dhaka."
    (tmp_path / "a.txt").write_text(decomposed, encoding="utf-8")
    (tmp_path / "b.md").write_text("# Title\n\nSatyajit Ray was born in Kolkata.", encoding="utf-8")
    (tmp_path / "c.csv").write_text('id,text\n1,"Tagore wrote Gitanjali."\n', encoding="utf-8")
    write_jsonl("d.jsonl", [{"id": "x", "text": "ঢাকা বাংলাদেশের রাজধানী।"}])
    table, errors = _ingest([tmp_path])
    assert not errors
    rows = {r["source"].split("/")[-1]: r for r in table.to_pylist()}
    assert set(rows) == {"a.txt", "b.md", "c.csv:2", "d.jsonl:1"}
    # Issue 14: the text stays as given (offsets index it); the id is the NFC content's.
    assert rows["a.txt"]["text"] == decomposed
    assert rows["a.txt"]["doc_id"] == document_id("Café in Dhaka.")
    assert rows["d.jsonl:1"]["lang"] == "bn"
    assert rows["c.csv:2"]["doc_id"] == document_id("Tagore wrote Gitanjali.")


def test_bad_inputs_are_reported_with_their_source_and_the_run_goes_on(tmp_path, write_jsonl):
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9".encode("latin-1"))
    (tmp_path / "empty.txt").write_text("   \n", encoding="utf-8")
    (tmp_path / "huge.txt").write_text("word " * 100, encoding="utf-8")
    (tmp_path / "good.txt").write_text("Muhammad Yunus founded Grameen Bank.", encoding="utf-8")
    path = write_jsonl("mixed.jsonl", [{"id": 1, "text": "Dhaka is a city."}])
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"id": 2, "text": \n{"id": 3}\n')
    table, errors = _ingest([tmp_path], max_chars=200)
    reasons = {e.source.split("/")[-1]: e.reason for e in errors}
    assert "binary" in reasons["binary.txt"]
    assert "UTF-8" in reasons["latin1.txt"]
    assert reasons["empty.txt"] == "empty document"
    assert "too large" in reasons["huge.txt"]
    assert "malformed JSON" in reasons["mixed.jsonl:2"]
    assert "text" in reasons["mixed.jsonl:3"]
    assert sorted(r["text"] for r in table.to_pylist()) == ["Dhaka is a city.", "Muhammad Yunus founded Grameen Bank."]


def test_duplicates_kept_once_and_batches_stream(tmp_path):
    for i in range(5):
        (tmp_path / f"{i}.txt").write_text(f"Document number {i % 3} about Dhaka.", encoding="utf-8")
    batches = list(run_ingest([tmp_path], config=IngestConfig(batch_size=2)))
    assert [b.num_rows for b in batches] == [2, 1]


def test_example_corpus_has_both_languages():
    table, errors = _ingest([EXAMPLE_CORPUS])
    langs = table.column("lang").to_pylist()
    assert not errors
    assert langs.count("en") >= 20 and langs.count("bn") >= 20


def test_a_folder_says_which_files_it_skips(tmp_path, caplog):
    (tmp_path / "photo.PNG").write_bytes(b"\x89PNG\r\n")
    (tmp_path / "notes.docx").write_bytes(b"PK\x03\x04")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "good.md").write_text("Dhaka is a city.", encoding="utf-8")
    with caplog.at_level("WARNING", logger="pipeline.ingest.readers"):
        table, errors = _ingest([tmp_path])
    assert [r["text"] for r in table.to_pylist()] == ["Dhaka is a city."] and not errors
    [record] = caplog.records
    assert "skipped 2 file(s)" in record.getMessage() and "notes.docx" in record.getMessage()
    assert "HEAD" not in record.getMessage()
