"""The run workspace: one folder holding every stage's tables and outputs.

Layout::

    WORKSPACE/
      tables/<name>.parquet   typed tables from pipeline.schema
      store/                  embedded Oxigraph store
      exports/                triples, RDF, vectors
      models/                 trained artefacts (ARTEFACTS: the corpus FastText model)
      report.html, run.json
      build.lock              held (flock) by the build running here

Writes are atomic (temp file + rename) so a crash never leaves a torn table.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.errors import WorkspaceBusyError, WorkspaceError


#: Files a stage leaves beside the tables, by name, under ``models/``: featurize writes the corpus
#: FastText model, the export reads it (DKPLM semantic importance).
ARTEFACTS = {"fasttext": "fasttext.model"}


class Workspace:
    """A folder of named Parquet tables plus stage outputs."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root).expanduser().resolve()
        for sub in ("tables", "exports", "models"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    @property
    def store_dir(self) -> Path:
        return self.root / "store"

    @property
    def exports_dir(self) -> Path:
        return self.root / "exports"

    @property
    def models_dir(self) -> Path:
        return self.root / "models"

    def artefact(self, name: str) -> Path:
        """Where the artefact ``name`` of :data:`ARTEFACTS` lives (it may not exist yet)."""
        return self.models_dir / ARTEFACTS[name]

    def table_path(self, name: str) -> Path:
        return self.root / "tables" / f"{name}.parquet"

    def has(self, name: str) -> bool:
        return self.table_path(name).exists()

    def write(self, name: str, table: pa.Table, schema: pa.Schema | None = None) -> Path:
        """Write ``table`` atomically; cast to ``schema`` when given."""
        if schema is not None:
            table = table.select(schema.names).cast(schema)
        path = self.table_path(name)
        tmp = path.with_suffix(".parquet.tmp")
        try:
            pq.write_table(table, tmp)
            os.replace(tmp, path)
        except OSError as err:  # a full disk, a lost mount: say which table, on one line
            tmp.unlink(missing_ok=True)
            raise WorkspaceError(f"Cannot write table {name!r} to {path} ({err}). Free disk space or fix the "
                                 f"workspace, then re-run `kg build`.") from err
        return path

    def read(self, name: str) -> pa.Table:
        path = self.table_path(name)
        if not path.exists():
            raise WorkspaceError(
                f"Table {name!r} is missing from workspace {self.root}. Run the stage that writes it first "
                f"(`kg build` runs them all)."
            )
        return pq.read_table(path)

    def write_part(self, name: str, index: int, table: pa.Table, schema: pa.Schema) -> Path:
        """Write one batch's share of table ``name`` (``name.part00003``)."""
        return self.write(f"{name}.part{index:05d}", table, schema)

    def clear_parts(self, name: str) -> None:
        """Remove parts of ``name`` left behind by an interrupted run."""
        for part in (self.root / "tables").glob(f"{name}.part*.parquet"):
            part.unlink()

    def collect_parts(self, name: str, schema: pa.Schema) -> pa.Table:
        """Concatenate the parts of ``name`` in batch order into one table ``name``, removing the parts."""
        parts = sorted((self.root / "tables").glob(f"{name}.part*.parquet"))
        table = pa.concat_tables([pq.read_table(p).cast(schema) for p in parts]) if parts else schema.empty_table()
        self.write(name, table, schema)
        for part in parts:
            part.unlink()
        return table

    def write_json(self, name: str, data: Any) -> Path:
        path = self.root / name
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
        os.replace(tmp, path)
        return path

    def read_json(self, name: str) -> Any:
        return json.loads((self.root / name).read_text(encoding="utf-8"))

    def remove(self, name: str) -> None:
        """Delete the file ``name`` (such as ``run.json``) if it is there."""
        (self.root / name).unlink(missing_ok=True)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold ``build.lock`` for the duration; another process that tries gets :class:`WorkspaceBusyError`.

        An OS lock (flock), so it dies with its holder, even under SIGKILL. The
        file names the holder's pid. Re-entrant within one process (``kg build``
        takes it before Prefect starts, the flow takes it again inside).
        """
        path = self.root / "build.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                holder = None
            except OSError as err:
                if err.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                    raise
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            if holder == str(os.getpid()):  # this process holds it already, through another descriptor
                yield
                return
            if holder is not None:
                raise WorkspaceBusyError(
                    f"Workspace {self.root} is in use by another build (pid {holder or 'unknown'}). Wait for it "
                    f"to finish, or use another --workspace."
                )
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
            try:
                yield
            finally:
                os.ftruncate(fd, 0)  # a stale pid must never look like ours to a later process
        finally:
            os.close(fd)  # releases the flock
