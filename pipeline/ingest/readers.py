"""Read .txt/.md/.jsonl/.csv sources into raw records, one source at a time.

Every problem is reported as a :class:`~pipeline.errors.SourceError` that
names the file (and line or row), so one bad input never stops the run.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import SourceError

SUFFIXES = (".txt", ".md", ".jsonl", ".csv")

log = logging.getLogger(__name__)


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
                        ", ".join(p.name for p in other[:3]))
        yield from sorted(p for p in files if p.suffix.lower() in SUFFIXES)


def _decode(path: Path, max_chars: int) -> str:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise SourceError(str(path), "file does not exist") from None
    # UTF-8 needs at most 4 bytes per character; a bigger file cannot fit.
    if path.suffix.lower() not in (".jsonl", ".csv") and size > 4 * max_chars:
        raise SourceError(str(path), f"document too large ({size} bytes > limit of {max_chars} characters)")
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise SourceError(str(path), "binary file (NUL bytes); expected UTF-8 text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise SourceError(str(path), f"not valid UTF-8 (byte {err.start}: {err.reason}); re-encode the file as UTF-8") from None


def read_source(path: Path, *, text_field: str, id_field: str, max_chars: int) -> Iterator[RawRecord | SourceError]:
    """Yield records from one file, and a SourceError for each bad part of it."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        yield SourceError(str(path), f"unsupported file type {suffix!r}; supported: {', '.join(SUFFIXES)}")
        return
    try:
        content = _decode(path, max_chars)
    except SourceError as err:
        yield err
        return
    if suffix in (".txt", ".md"):
        yield RawRecord(str(path), content)
    elif suffix == ".jsonl":
        yield from _read_jsonl(path, content, text_field, id_field)
    else:
        yield from _read_csv(path, content, text_field, id_field)


def _read_jsonl(path: Path, content: str, text_field: str, id_field: str) -> Iterator[RawRecord | SourceError]:
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        source = f"{path}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            yield SourceError(source, f"malformed JSON ({err.msg} at column {err.colno})")
            continue
        if not isinstance(row, dict) or not isinstance(row.get(text_field), str):
            yield SourceError(source, f"expected an object with a string field {text_field!r}")
            continue
        given = row.get(id_field)
        lang = row.get("lang") if isinstance(row.get("lang"), str) else None
        yield RawRecord(source, row[text_field], None if given is None else str(given), lang)


def _read_csv(path: Path, content: str, text_field: str, id_field: str) -> Iterator[RawRecord | SourceError]:
    try:
        reader = csv.DictReader(io.StringIO(content))
        if not reader.fieldnames or text_field not in reader.fieldnames:
            yield SourceError(str(path), f"CSV has no column {text_field!r} (columns: {reader.fieldnames})")
            return
        for number, row in enumerate(reader, start=2):
            text = row.get(text_field)
            if text is None:
                yield SourceError(f"{path}:{number}", "row is shorter than the header")
                continue
            yield RawRecord(f"{path}:{number}", text, row.get(id_field) or None, row.get("lang") or None)
    except csv.Error as err:
        yield SourceError(str(path), f"malformed CSV: {err}")
