"""The run workspace: one folder holding every stage's tables and outputs.

Layout::

    WORKSPACE/
      tables/<name>.parquet   typed tables from pipeline.schema
      store/                  embedded Oxigraph store
      exports/                triples, RDF, vectors
      models/                 trained artefacts (FastText, KGE)
      report.html, run.json

Writes are atomic (temp file + rename) so a crash never leaves a torn table.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.errors import WorkspaceError


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
        pq.write_table(table, tmp)
        os.replace(tmp, path)
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
