"""Training examples for the relation model: texts with mention spans and the relations between them.

Two public formats are read:

* WebNLG (``{"text", "triples"}``): triples name their arguments but do not
  say where they are, so each argument is *aligned* to the text
  (:func:`align`): the exact name first, then spelling variants ("25.0" is
  written "25", "Aarhus_Airport" "Aarhus Airport"), then its longest run of
  words that the text contains ("Aarhus Airport" -> "Aarhus"). Arguments that do not
  align are left out, with the triples that need them.
* CoNLL04 (``{"text", "entities": [[start, end, type]], "triples"}``): spans
  are given; triples name their arguments by the span text.

Every example carries its dataset's relation names as its schema: the model
learns to choose among the names it is offered, so a user's schema works the same way.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import SourceError

_WORD = re.compile(r"[^\W_]+(?:[.'’][^\W_]+)*", re.UNICODE)
_STOP = {"the", "of", "a", "an", "and", "in", "on", "at", "to", "for", "by", "is", "de", "la", "le"}


@dataclass
class Example:
    text: str
    mentions: list[tuple[int, int]]  # character spans, sorted, non-overlapping
    relations: list[tuple[int, int, str]]  # (subject mention index, object mention index, relation name)
    schema: tuple[str, ...]  # the names this example's relations are chosen from
    source: str = ""
    dropped: int = 0  # triples whose arguments did not align
    meta: dict = field(default_factory=dict)


def _variants(name: str) -> list[str]:
    """Ways a WebNLG argument is written in text, most literal first."""
    name = name.replace("_", " ").strip().strip('"')
    out = [name]
    number = re.fullmatch(r"([+-]?\d+)\.0+", name)
    if number:
        out.append(number.group(1))  # "25.0" -> "25"
    if re.fullmatch(r"[+-]?\d{4,}(\.\d+)?", name):
        whole, _, frac = name.partition(".")
        grouped = f"{int(whole):,}" + (f".{frac}" if frac and frac.strip("0") else "")
        out.append(grouped)  # "2702" -> "2,702"
    bare = re.sub(r"\s*\([^)]*\)", "", name).strip()
    if bare and bare != name:
        out.append(bare)  # "Alcobendas (Spain)" -> "Alcobendas"
    date = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", name)
    if date:
        out.append(date.group(1))  # "1950-01-01": the year at least
    return out


def _find(text: str, needle: str, taken: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The first whole-word, case-insensitive occurrence of ``needle`` that overlaps nothing taken."""
    return _find_pattern(text, re.escape(needle), taken) if needle else None


def align(text: str, name: str, taken: list[tuple[int, int]]) -> tuple[int, int] | None:
    """Character span of argument ``name`` in ``text`` (see the module docstring), or None."""
    for variant in _variants(name):
        span = _find(text, variant, taken)
        if span:
            return span
    words = _WORD.findall(name.replace("_", " "))
    # The longest run of the name's words found in the text.
    for size in range(len(words), 0, -1):
        for at in range(len(words) - size + 1):
            run = words[at:at + size]
            # A run starts and ends on content words ("airport", not "airport of").
            if run[0].casefold() in _STOP or run[-1].casefold() in _STOP or (size == 1 and len(run[0]) < 3):
                continue
            span = _find_words(text, run, taken)
            if span:
                return span
    return None


def _find_words(text: str, run: list[str], taken: list[tuple[int, int]]) -> tuple[int, int] | None:
    pattern = r"\W+".join(re.escape(w) for w in run)
    return _find_pattern(text, pattern, taken)


def _find_pattern(text: str, pattern: str, taken: list[tuple[int, int]]) -> tuple[int, int] | None:
    # Accents are folded on both sides ("Gérard" is written "Gerard"); folding keeps the text's length.
    for m in re.finditer(r"(?<![^\W_])" + _fold(pattern) + r"(?![^\W_])", _fold(text), re.IGNORECASE):
        if not any(m.start() < e and s < m.end() for s, e in taken):
            return m.start(), m.end()
    return None


def _fold(text: str) -> str:
    """Each Latin character without its accent, one character for one ("é" -> "e")."""
    return "".join(unicodedata.normalize("NFD", ch)[0] if ch.isascii() is False and ch.isalpha() and
                   unicodedata.normalize("NFD", ch)[0].isascii() else ch for ch in text)


def webnlg_example(row: dict, schema: tuple[str, ...], source: str = "") -> Example:
    """Align every triple argument of a WebNLG row; longer names claim their span first.

    A name written again later in the text ("Tagore ... Tagore") is a mention there too, and its
    relations hold from every occurrence: at inference each occurrence is a mention like any other.
    """
    text = row["text"]
    names = sorted({n for s, _, o in row["triples"] for n in (s, o)}, key=len, reverse=True)
    spans: dict[str, list[tuple[int, int]]] = {}
    taken: list[tuple[int, int]] = []
    for name in names:
        span = align(text, name, taken)
        if span:
            spans[name] = [span]
            taken.append(span)
    for name, found in spans.items():
        surface = text[found[0][0]:found[0][1]]
        while (again := _find_pattern(text, re.escape(surface), taken)) is not None:
            found.append(again)
            taken.append(again)
    return _example(text, spans, row["triples"], schema, source)


def conll_example(row: dict, schema: tuple[str, ...], source: str = "") -> Example:
    text = row["text"]
    spans: dict[str, list[tuple[int, int]]] = {}
    for start, end, _label in row["entities"]:
        spans.setdefault(text[start:end], []).append((start, end))
    return _example(text, spans, row["triples"], schema, source)


def _example(text: str, spans: dict[str, list[tuple[int, int]]], triples: list, schema: tuple[str, ...],
             source: str) -> Example:
    ordered = sorted({span for found in spans.values() for span in found})
    index = {span: i for i, span in enumerate(ordered)}
    relations, dropped = [], 0
    for s, p, o in triples:
        if s in spans and o in spans and s != o and p in schema:
            relations += [(index[a], index[b], p) for a in spans[s] for b in spans[o] if a != b]
        else:
            dropped += 1
    return Example(text, ordered, relations, schema, source, dropped)


def read_examples(path: str | Path, schema: tuple[str, ...] | None = None,
                  verbalisations: int | None = None) -> list[Example]:
    """Examples of a WebNLG or CoNLL04 JSONL file (told apart by an ``entities`` field).

    ``schema`` defaults to every relation name the file uses; ``verbalisations`` keeps only the first N
    texts of each WebNLG entry (``lid`` "Id1", "Id2", ...).
    """
    path = Path(path)
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as err:
            raise SourceError(f"{path}:{number}", f"malformed JSON ({err.msg})") from None
    if schema is None:
        schema = tuple(sorted({p for row in rows for _, p, _ in row.get("triples", [])}))
    if verbalisations is not None:
        rows = [row for row in rows if int(str(row.get("lid", "Id1")).removeprefix("Id") or 1) <= verbalisations]
    make = conll_example if rows and "entities" in rows[0] else webnlg_example
    return [make(row, schema, f"{path.name}:{n}") for n, row in enumerate(rows, start=1)]
