"""The LLM extractor against a local server speaking the real /v1/chat/completions protocol."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pipeline.config import PipelineConfig
from pipeline.extract.api import extract_documents, run_extract
from pipeline.extract.config import ExtractConfig
from pipeline.extract.llm import LLMExtractor, ReplyError, parse_reply
from pipeline.incremental import plan_extraction, record_extraction, up_to_date
from pipeline.schema import DOCUMENTS, EXTRACT_FAILURES, MENTIONS, RELATIONS, from_rows
from pipeline.workspace import Workspace

EN_TEXT = "Aarhus Airport serves the city of Aarhus. Its runway length is 2702.0."
BN_TEXT = "রবীন্দ্রনাথ ঠাকুর কলকাতায় জন্মগ্রহণ করেন।"
GOOD = {"entities": [{"text": "Aarhus Airport", "type": "FAC"}, {"text": "Aarhus", "type": "GPE"}],
        "triples": [{"subject": "Aarhus Airport", "predicate": "city served", "object": "Aarhus"},
                    {"subject": "Aarhus Airport", "predicate": "runway length", "object": "2702.0"},
                    {"subject": "Aarhus Airport", "predicate": "owner", "object": "Invented Corp"}]}


class ChatServer(ThreadingHTTPServer):
    """Replies per document text with scripted message contents (one per attempt)."""

    def __init__(self, script: dict[str, list]):
        super().__init__(("127.0.0.1", 0), ChatHandler)
        self.script = script
        self.requests: list[dict] = []


class ChatHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass

    def do_POST(self):
        if self.path != "/v1/chat/completions":
            self.send_error(404)
            return
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(body)
        text = body["messages"][1]["content"]
        attempt = sum(1 for r in self.server.requests if r["messages"][1]["content"] == text) - 1
        replies = self.server.script[text]
        reply = replies[min(attempt, len(replies) - 1)]
        if isinstance(reply, (int, float)):  # a delay longer than the client's timeout
            time.sleep(reply)
            reply = json.dumps(GOOD)
        payload = {"id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": body["model"],
                   "choices": [{"index": 0, "finish_reason": "stop",
                                "message": {"role": "assistant", "content": reply}}],
                   "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
        data = json.dumps(payload).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except BrokenPipeError:  # the client timed out and hung up, as intended
            pass


@pytest.fixture
def chat_server():
    servers = []

    def start(script):
        server = ChatServer(script)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server, f"http://127.0.0.1:{server.server_address[1]}/v1"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _triples(extraction):
    text = {m["mention_id"]: m["text"] for m in extraction.mentions}
    return {(text[r["subject_mention"]], r["predicate"], text[r["object_mention"]]) for r in extraction.relations}


def test_registered_extractor_sends_json_schema_and_grounds_arguments(chat_server):
    server, url = chat_server({EN_TEXT: [json.dumps(GOOD)]})
    config = ExtractConfig(extractors={"en": "llm"}, llm_endpoint=url, llm_model="qwen-test")
    [extraction] = extract_documents([{"doc_id": "d", "lang": "en", "text": EN_TEXT}], config=config)
    assert _triples(extraction) == {("Aarhus Airport", "city served", "Aarhus"),
                                    ("Aarhus Airport", "runway length", "2702.0")}  # "Invented Corp" rejected
    for m in extraction.mentions:
        assert EN_TEXT[m["start"] : m["end"]] == m["text"]
    [request] = server.requests
    assert request["model"] == "qwen-test" and request["response_format"]["type"] == "json_schema"
    assert request["messages"][0]["role"] == "system" and request["messages"][1]["content"] == EN_TEXT


def test_fenced_reply_with_trailing_commas_is_repaired():
    content = '```json\n{"entities": [], "triples": [{"subject": "Aarhus", "predicate": "in", "object": "Denmark",},],}\n```'
    assert parse_reply(content, "Aarhus is in Denmark.")["triples"] == [
        {"subject": "Aarhus", "predicate": "in", "object": "Denmark"}]
    with pytest.raises(ReplyError, match="malformed triple"):
        parse_reply('{"triples": [{"subject": "Aarhus"}]}', "Aarhus")


def test_invalid_reply_is_retried_then_rejected(chat_server, caplog):
    server, url = chat_server({EN_TEXT: ["Sure! Here are the facts.", json.dumps(GOOD)], "Bad text.": ["no json"]})
    extractor = LLMExtractor(endpoint=url, retries=1, timeout_s=5)
    good, bad = extractor.extract([{"doc_id": "a", "text": EN_TEXT}, {"doc_id": "b", "text": "Bad text."}])
    assert ("Aarhus Airport", "city served", "Aarhus") in _triples(good)
    retry = [r for r in server.requests if r["messages"][1]["content"] == EN_TEXT][1]
    assert "rejected" in retry["messages"][-1]["content"]  # the error goes back to the model
    assert bad.relations == [] and "document b" in caplog.text and "after 2 attempts" in caplog.text
    assert good.error is None and url in bad.error and "after 2 attempts" in bad.error


def test_timeout_is_retried(chat_server):
    _, url = chat_server({EN_TEXT: [2.0, json.dumps(GOOD)]})
    extraction = LLMExtractor(endpoint=url, retries=1, timeout_s=0.5).extract_one({"doc_id": "a", "text": EN_TEXT})
    assert ("Aarhus Airport", "runway length", "2702.0") in _triples(extraction)


def test_bangla_prompt_keeps_surface_forms(chat_server):
    reply = {"entities": [{"text": "রবীন্দ্রনাথ ঠাকুর", "type": "PERSON"}],
             "triples": [{"subject": "রবীন্দ্রনাথ ঠাকুর", "predicate": "born in", "object": "কলকাতা"},
                         {"subject": "Rabindranath Tagore", "predicate": "born in", "object": "Kolkata"}]}
    server, url = chat_server({BN_TEXT: [json.dumps(reply, ensure_ascii=False)]})
    extraction = LLMExtractor(lang="bn", endpoint=url).extract_one({"doc_id": "a", "text": BN_TEXT})
    assert _triples(extraction) == {("রবীন্দ্রনাথ ঠাকুর", "born in", "কলকাতা")}  # translations are not in the text
    system = server.requests[0]["messages"][0]["content"]
    assert "Bangla" in system and "original script" in system


def test_a_document_the_endpoint_failed_on_is_retried_by_the_next_build(chat_server, tmp_path):
    second = "Aarhus is in Denmark."
    reply = {"entities": [{"text": "Aarhus", "type": "GPE"}, {"text": "Denmark", "type": "GPE"}],
             "triples": [{"subject": "Aarhus", "predicate": "country", "object": "Denmark"}]}
    _, url = chat_server({EN_TEXT: [json.dumps(GOOD)], second: ["503 overloaded", json.dumps(reply)]})
    config = PipelineConfig.model_validate({"extract": {"extractors": {"en": "llm"}, "llm_endpoint": url,
                                                        "llm_retries": 0}})
    workspace = Workspace(tmp_path)
    workspace.write("documents", from_rows([{"doc_id": "d1", "source": "news.jsonl:1", "lang": "en", "text": EN_TEXT},
                                            {"doc_id": "d2", "source": "news.jsonl:2", "lang": "en", "text": second}],
                                           DOCUMENTS), DOCUMENTS)

    def extraction_stage():  # what build-kg's extract tasks do, without Prefect
        pending = plan_extraction(workspace, config)
        result = run_extract(pending, config=config.extract)
        for name, table, schema in (("mentions", result.mentions, MENTIONS), ("relations", result.relations, RELATIONS),
                                    ("extract_failures", result.failures, EXTRACT_FAILURES)):
            workspace.write_part(name, 1, table, schema)
        return pending["doc_id"].to_pylist(), *record_extraction(workspace, config)

    pending, _, relations, failures = extraction_stage()
    assert pending == ["d1", "d2"] and failures["doc_id"].to_pylist() == ["d2"]
    assert set(relations["doc_id"].to_pylist()) == {"d1"}
    [quarantined] = workspace.read("quarantine").to_pylist()
    assert quarantined["source"] == "news.jsonl:2" and quarantined["stage"] == "extract" and url in quarantined["reason"]
    workspace.write_json("run.json", {"fingerprint": "same", "extraction": {"failed": failures.num_rows}})
    assert up_to_date(workspace, "same", embedded_store=False) is None  # a build with failures is never skipped

    pending, _, relations, failures = extraction_stage()  # the endpoint answers now
    assert pending == ["d2"] and failures.num_rows == 0
    assert set(relations["doc_id"].to_pylist()) == {"d1", "d2"}
    assert plan_extraction(workspace, config).num_rows == 0
    workspace.write_json("run.json", {"fingerprint": "same", "extraction": {"failed": 0}})
    assert up_to_date(workspace, "same", embedded_store=False) is not None
