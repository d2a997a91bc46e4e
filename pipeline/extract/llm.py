"""Optional extraction with an LLM behind any OpenAI-compatible chat endpoint (vLLM, Ollama, ...).

Off by default; turn it on per language (``extract.extractors = {en = "llm"}``)
and point ``extract.llm_endpoint`` / ``llm_model`` at the server. Each
document is one ``POST {endpoint}/chat/completions`` that asks for JSON
following :data:`OUTPUT_SCHEMA` (``response_format`` ``json_schema``). The
reply is validated: code fences and trailing commas are repaired, entity and
triple arguments must occur in the text (so nothing is invented), and a reply
that still fails is retried with the error, then rejected with a logged error
naming the document. Bangla (and any non-English) text gets a prompt that
keeps names in their original script.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterable

from pipeline.extract.base import Extraction, Extractor, extractors
from pipeline.schema import coarse_type

log = logging.getLogger(__name__)

OUTPUT_SCHEMA = {
    "type": "object",
    "properties": {
        "entities": {"type": "array", "items": {
            "type": "object",
            "properties": {"text": {"type": "string"}, "type": {"type": "string"}},
            "required": ["text", "type"], "additionalProperties": False}},
        "triples": {"type": "array", "items": {
            "type": "object",
            "properties": {"subject": {"type": "string"}, "predicate": {"type": "string"},
                           "object": {"type": "string"}},
            "required": ["subject", "predicate", "object"], "additionalProperties": False}},
    },
    "required": ["entities", "triples"],
    "additionalProperties": False,
}

PROMPT = (
    "You extract a knowledge graph from text. Return only JSON matching the given schema: "
    '{"entities": [{"text", "type"}], "triples": [{"subject", "predicate", "object"}]}. '
    "Entity types: PERSON, PLACE, ORGANIZATION, EVENT, WORK, DATE, QUANTITY, THING. "
    "Every entity text and every triple subject and object must be copied exactly from the text "
    "(names, numbers, dates, codes). Predicates are short lower-case English phrases such as "
    '"born in", "capital", "leader", "located in"; the subject is the entity the fact is about.'
)
KEEP_SCRIPT = (
    " The text is in {language}. Copy names exactly as they are written in the text, in their original script: "
    "do not translate or transliterate them, and drop case endings only if the bare name also occurs in the text."
)
LANGUAGES = {"bn": "Bangla (Bengali)", "hi": "Hindi", "ar": "Arabic", "zh": "Chinese", "ru": "Russian"}
CONFIDENCE = 0.7


class ReplyError(ValueError):
    """The endpoint's reply is not a usable extraction."""


def system_prompt(lang: str) -> str:
    if lang == "en":
        return PROMPT
    return PROMPT + KEEP_SCRIPT.format(language=LANGUAGES.get(lang, f"the language with code {lang!r}"))


def _repair(content: str) -> str:
    """Strip code fences and prose around the JSON object; drop trailing commas."""
    content = re.sub(r"^```(?:json)?\s*|\s*```$", "", content.strip())
    start, end = content.find("{"), content.rfind("}")
    if start == -1 or end < start:
        raise ReplyError("no JSON object in the reply")
    return re.sub(r",\s*([}\]])", r"\1", content[start : end + 1])


def parse_reply(content: str, text: str) -> dict:
    """The validated {"entities", "triples"} of a reply; arguments must occur in ``text``."""
    try:
        data = json.loads(_repair(content))
    except json.JSONDecodeError as err:
        raise ReplyError(f"invalid JSON ({err.msg})") from None
    if not isinstance(data, dict) or not isinstance(data.get("triples"), list):
        raise ReplyError('expected an object with a "triples" list')
    entities = [e for e in data.get("entities") or [] if isinstance(e, dict) and isinstance(e.get("text"), str)]
    triples = []
    for t in data["triples"]:
        if isinstance(t, list) and len(t) == 3:
            t = dict(zip(("subject", "predicate", "object"), t))
        if not isinstance(t, dict) or not all(isinstance(t.get(k), str) and t[k].strip()
                                              for k in ("subject", "predicate", "object")):
            raise ReplyError(f"malformed triple {t!r}")
        triple = {k: t[k].strip() for k in ("subject", "predicate", "object")}
        if triple["subject"] in text and triple["object"] in text:
            triples.append(triple)  # ungrounded arguments are dropped, not invented
    return {"entities": [{"text": e["text"].strip(), "type": str(e.get("type", "THING"))} for e in entities
                         if e["text"].strip() in text], "triples": triples}


@extractors.register("llm")
class LLMExtractor(Extractor):
    """Entities and triples from a chat-completions endpoint, validated against the text."""

    name = "llm"

    def __init__(self, lang: str = "en", endpoint: str = "http://localhost:8000/v1", model: str = "default",
                 api_key_env: str = "KG_LLM_API_KEY", timeout_s: float = 60.0, retries: int = 2, **_: object) -> None:
        self.lang = lang
        self.url = endpoint.rstrip("/") + "/chat/completions"
        self.model = model
        self.api_key = os.environ.get(api_key_env, "")
        self.timeout_s = timeout_s
        self.retries = retries

    def extract(self, documents: Iterable[dict]) -> Iterable[Extraction]:
        for doc in documents:
            yield self.extract_one(doc)

    def extract_one(self, doc: dict) -> Extraction:
        out = Extraction(doc["doc_id"])
        try:
            reply = self._ask(doc["text"])
        except ReplyError as err:
            log.error("LLM extraction rejected for document %s (%s): %s", doc["doc_id"], self.url, err)
            out.error = f"LLM endpoint {self.url}: {err}"
            return out
        text = doc["text"]
        types = {e["text"]: coarse_type(e["type"]) for e in reply["entities"]}
        ids = {}
        for name in [e["text"] for e in reply["entities"]] + [t[k] for t in reply["triples"] for k in ("subject", "object")]:
            if name not in ids:
                start = text.find(name)
                ids[name] = out.add_mention(sentence=0, start=start, end=start + len(name), text=name,
                                            label=types.get(name, "THING"), lang=self.lang, extractor=self.name,
                                            confidence=CONFIDENCE)
        for t in reply["triples"]:
            out.add_relation(subject=ids[t["subject"]], predicate=t["predicate"].lower(), obj=ids[t["object"]],
                             sentence=0, start=0, end=len(text), extractor=self.name, confidence=CONFIDENCE)
        return out

    def _ask(self, text: str) -> dict:
        messages = [{"role": "system", "content": system_prompt(self.lang)}, {"role": "user", "content": text}]
        error = "no attempt"
        for attempt in range(self.retries + 1):
            try:
                return parse_reply(self._post(messages), text)
            except ReplyError as err:
                error = str(err)
                # Tell the model what was wrong; the next attempt may fix it.
                messages = messages[:2] + [{"role": "user", "content": f"Your last reply was rejected: {error}. "
                                                                       "Reply with JSON only, following the schema."}]
            except (urllib.error.URLError, TimeoutError, OSError) as err:
                error = f"request failed: {getattr(err, 'reason', err)}"
                time.sleep(min(0.2 * 2**attempt, 2.0))
        raise ReplyError(f"{error} (after {self.retries + 1} attempts)")

    def _post(self, messages: list[dict]) -> str:
        body = {"model": self.model, "messages": messages, "temperature": 0,
                "response_format": {"type": "json_schema",
                                    "json_schema": {"name": "kg_extraction", "schema": OUTPUT_SCHEMA, "strict": True}}}
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(self.url, data=json.dumps(body).encode("utf-8"), headers=headers)
        with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
            raw = response.read().decode("utf-8", errors="replace")
        try:
            payload = json.loads(raw)
        except json.JSONDecodeError:
            raise ReplyError("reply body is not JSON") from None
        try:
            return payload["choices"][0]["message"]["content"] or ""
        except (KeyError, IndexError, TypeError):
            raise ReplyError("reply is not a chat completion (no choices[0].message.content)") from None
