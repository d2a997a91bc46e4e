"""Read .txt/.md/.jsonl/.csv sources into raw records, one source at a time.

Every problem is reported as a :class:`~pipeline.errors.SourceError` that
names the file (and line or row), so one bad input never stops the run:
undecodable bytes, NUL characters, lone surrogates (JSON ``\ud800``), text
that is empty once whitespace and invisible characters are set aside, and
an empty file. A file name that is not valid UTF-8 is read, under its name
with the odd bytes written ``\xff``. A ``lang`` field that is not a language
code is ignored (with a warning) and the language detected.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import SourceError

SUFFIXES = (".txt", ".md", ".jsonl", ".csv")

log = logging.getLogger(__name__)

#: ISO 639 language code, optionally with BCP 47 subtags ("en", "bn", "yue", "pt-BR", "sr-Latn").
_LANG_CODE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")


@dataclass(frozen=True)
class RawRecord:
    source: str  # "path" or "path:line"
    text: str
    given_id: str | None = None
    lang: str | None = None


def iter_files(inputs: list[str | Path], *, log_skipped: bool = False) -> Iterator[Path]:
    """Expand files and folders (recursively) into readable files, sorted.

    A folder's files of other types are skipped; with ``log_skipped`` the log
    says how many (hidden files and folders, such as ``.git``, never count).
    """
    for item in inputs:
        path = Path(item)
        if not path.is_dir():
            yield path
            continue
        files = [p for p in path.rglob("*") if p.is_file() and not any(part.startswith(".") for part in
                                                                          p.relative_to(path).parts)]
        other = sorted(p for p in files if p.suffix.lower() not in SUFFIXES)
        if other and log_skipped:
            log.warning("%s: skipped %d file(s) that are not %s, e.g. %s", path, len(other), "/".join(SUFFIXES),
                        ", ".join(source_name(Path(p.name)) for p in other[:3]))
        yield from sorted(p for p in files if p.suffix.lower() in SUFFIXES)


def source_name(path: Path) -> str:
    """``path`` as text that is valid UTF-8: bytes of the file name that are not UTF-8 show as ``\\xff``."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _decode(path: Path, max_chars: int) -> str:
    name = source_name(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise SourceError(name, "file does not exist") from None
    except OSError as err:
        raise SourceError(name, f"cannot be read ({err.strerror or err})") from None
    if size == 0:
        raise SourceError(name, "empty file (0 bytes)")
    # UTF-8 needs at most 4 bytes per character; a bigger file cannot fit.
    if path.suffix.lower() not in (".jsonl", ".csv") and size > 4 * max_chars:
        raise SourceError(name, f"document too large ({size} bytes > limit of {max_chars} characters)")
    try:
        data = path.read_bytes()
    except OSError as err:
        raise SourceError(name, f"cannot be read ({err.strerror or err})") from None
    if (nul := data.find(b"\x00")) >= 0:  # anywhere, not only near the start
        raise SourceError(name, f"binary file (NUL byte at offset {nul}); expected UTF-8 text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise SourceError(name, f"not valid UTF-8 (byte {err.start}: {err.reason}); re-encode the file as UTF-8") from None


def check_text(source: str, text: str) -> SourceError | None:
    """Why one record's text cannot become a document, or None when it can."""
    if (nul := text.find("\x00")) >= 0:
        return SourceError(source, f"NUL character at position {nul}; expected text")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:  # only lone surrogates (JSON "\ud800") fail to encode
        return SourceError(source, f"lone surrogate U+{ord(text[err.start]):04X} at position {err.start}; "
                                   f"not valid Unicode text")
    # Zero-width spaces, joiners, BOMs, soft hyphens (category Cf) carry no text of their own.
    if all(char.isspace() or unicodedata.category(char) == "Cf" for char in text):
        return SourceError(source, "empty document" if not text.strip() else
                           "empty document (only invisible characters such as U+200B)")
    return None


def _lang(value: object, source: str) -> str | None:
    """A language code given with a record, or None (detect it) when absent or not a code."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and _LANG_CODE.fullmatch(value.strip()):
        primary, _, rest = value.strip().partition("-")
        return primary.lower() + (f"-{rest}" if rest else "")
    log.warning("%s: lang %r is not a language code such as 'en' or 'bn'; ignored, the language is detected",
                source, value if len(str(value)) < 40 else str(value)[:40] + "...")
    return None


def read_source(path: Path, *, text_field: str, id_field: str, max_chars: int) -> Iterator[RawRecord | SourceError]:
    """Yield records from one file, and a SourceError for each bad part of it."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        yield SourceError(source_name(path), f"unsupported file type {suffix!r}; supported: {', '.join(SUFFIXES)}")
        return
    try:
        content = _decode(path, max_chars)
    except SourceError as err:
        yield err
        return
    if suffix in (".txt", ".md"):
        items = iter([RawRecord(source_name(path), content)])
    elif suffix == ".jsonl":
        items = _read_jsonl(path, content, text_field, id_field)
    else:
        items = _read_csv(path, content, text_field, id_field)
    seen = 0
    for item in items:
        seen += 1
        if isinstance(item, RawRecord):
            item = check_text(item.source, item.text) or item
        yield item
    if not seen:  # blank lines only: say so rather than add nothing in silence
        yield SourceError(source_name(path), "no records (the file holds no lines or rows)")


def _read_jsonl(path: Path, content: str, text_field: str, id_field: str) -> Iterator[RawRecord | SourceError]:
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        source = f"{source_name(path)}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            yield SourceError(source, f"malformed JSON ({err.msg} at column {err.colno})")
            continue
        if not isinstance(row, dict) or not isinstance(row.get(text_field), str):
            yield SourceError(source, f"expected an object with a string field {text_field!r}")
            continue
        given = row.get(id_field)
        yield RawRecord(source, row[text_field], None if given is None else str(given), _lang(row.get("lang"), source))


def _read_csv(path: Path, content: str, text_field: str, id_field: str) -> Iterator[RawRecord | SourceError]:
    name = source_name(path)
    try:
        reader = csv.DictReader(io.StringIO(content))
        if not reader.fieldnames or text_field not in reader.fieldnames:
            yield SourceError(name, f"CSV has no column {text_field!r} (columns: {reader.fieldnames})")
            return
        for number, row in enumerate(reader, start=2):
            text = row.get(text_field)
            if text is None:
                yield SourceError(f"{name}:{number}", "row is shorter than the header")
                continue
            source = f"{name}:{number}"
            yield RawRecord(source, text, row.get(id_field) or None, _lang(row.get("lang"), source))
    except csv.Error as err:
        yield SourceError(name, f"malformed CSV: {err}")
