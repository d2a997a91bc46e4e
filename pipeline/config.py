"""The whole pipeline's configuration: one frozen model per stage.

Load it from TOML (``kg build --config kg.toml``) or build it in Python;
the same object is the ``build-kg`` flow's parameter. Every setting has a
default, so an empty file is a valid config. See ``kg.example.toml``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pipeline.embed.config import EmbedConfig
from pipeline.errors import ConfigError
from pipeline.export.config import ExportConfig
from pipeline.extract.config import ExtractConfig
from pipeline.featurize.config import FeaturizeConfig
from pipeline.filter.config import FilterConfig
from pipeline.ingest.config import IngestConfig
from pipeline.link.config import LinkConfig
from kg_store.config import StoreConfig


class OrchestrationConfig(BaseModel):
    """How ``build-kg`` runs its tasks."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: "threads" (default), "dask" (a local or remote Dask cluster), "ray" (needs prefect-ray) or "sequential".
    task_runner: Literal["threads", "dask", "ray", "sequential"] = "threads"
    max_workers: int = Field(default=2, gt=0)
    #: Dask scheduler address; None starts a LocalCluster whose dashboard binds 127.0.0.1.
    dask_address: str | None = None
    #: Ray cluster address ("ray://head:10001"); None starts a local Ray without its dashboard.
    ray_address: str | None = None



class BuildConfig(BaseModel):
    """Safety rails of ``kg build`` and the ``build-kg`` flow."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: A build that would remove more than this share of the graph's documents
    #: stops before touching the store, unless ``--allow-removals`` is given.
    #: 1.0 turns the guard off.
    max_removal_share: float = Field(default=0.2, ge=0.0, le=1.0)


class PipelineConfig(BaseModel):
    """Settings for every stage of ``build-kg``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ingest: IngestConfig = Field(default_factory=IngestConfig)
    extract: ExtractConfig = Field(default_factory=ExtractConfig)
    link: LinkConfig = Field(default_factory=LinkConfig)
    featurize: FeaturizeConfig = Field(default_factory=FeaturizeConfig)
    filter: FilterConfig = Field(default_factory=FilterConfig)
    embed: EmbedConfig = Field(default_factory=EmbedConfig)
    store: StoreConfig = Field(default_factory=StoreConfig)
    export: ExportConfig = Field(default_factory=ExportConfig)
    orchestration: OrchestrationConfig = Field(default_factory=OrchestrationConfig)
    build: BuildConfig = Field(default_factory=BuildConfig)

    @field_validator("store")
    @classmethod
    def _known_store_backend(cls, value: StoreConfig) -> StoreConfig:
        # Checked here, not when the store stage runs after all the other work.
        import kg_store.backends  # noqa: F401  (registers the backends)
        from kg_store.base import store_backends

        if value.backend not in store_backends:
            raise ValueError(f"backend {value.backend!r} is unknown; available: {', '.join(store_backends)}")
        return value

    @classmethod
    def from_file(cls, path: str | Path) -> "PipelineConfig":
        """Read a TOML file; unknown keys and bad values raise :class:`ConfigError`."""
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"Config file {path} does not exist.") from None
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(f"{path} is not valid TOML: {err}") from None
        try:
            return cls.model_validate(data)
        except ValidationError as err:
            raise ConfigError(f"{path} has invalid settings: {one_line(err)}") from None


def one_line(err: ValidationError) -> str:
    """Each problem as ``[section.key] message (got value)``, joined on one line."""
    problems = []
    for item in err.errors():
        where = ".".join(str(part) for part in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        got = "" if item["type"] == "extra_forbidden" or isinstance(item["input"], dict) else f" (got {item['input']!r})"
        problems.append(f"[{where}] {message}{got}")
    return "; ".join(problems)

