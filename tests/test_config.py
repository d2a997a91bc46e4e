"""PipelineConfig: TOML in, frozen settings out; the example file documents the defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config import PipelineConfig
from pipeline.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def test_example_config_spells_out_the_defaults() -> None:
    assert PipelineConfig.from_file(ROOT / "kg.example.toml") == PipelineConfig()


def test_empty_file_is_valid_and_values_override(tmp_path) -> None:
    path = tmp_path / "kg.toml"
    path.write_text("")
    assert PipelineConfig.from_file(path) == PipelineConfig()
    path.write_text("[embed]\nmodel = 'dihedron'\nepochs = 3\n[store]\nbase_iri = 'https://example.com/kg/'\n")
    config = PipelineConfig.from_file(path)
    assert (config.embed.model, config.embed.epochs, config.store.base_iri) == ("dihedron", 3, "https://example.com/kg/")
    assert config.filter == PipelineConfig().filter


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[embed\nmodel = 1", "is not valid TOML"),
        ("[embed]\nepochs = 0\n", "epochs"),
        ("[nonsense]\nx = 1\n", "nonsense"),
    ],
)
def test_bad_files_raise_config_errors_naming_the_file(tmp_path, text, message) -> None:
    path = tmp_path / "kg.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as info:
        PipelineConfig.from_file(path)
    assert str(path) in str(info.value)


def test_config_round_trips_through_json() -> None:
    """Prefect stores flow parameters as JSON: a deployment's config must survive it."""
    config = PipelineConfig.from_file(ROOT / "kg.example.toml")
    assert PipelineConfig.model_validate_json(config.model_dump_json()) == config


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[store]\nbackend = "nosuch"\n', "[store] backend 'nosuch' is unknown; available: oxigraph, remote"),
        ("[ingest]\nmax_chars = -5\n", "[ingest.max_chars] Input should be greater than 0 (got -5)"),
        ("[ingest]\nbatch_size = 0\n", "[ingest.batch_size]"),
        ('[orchestration]\ntask_runner = "dsak"\n', "'threads', 'dask', 'ray' or 'sequential' (got 'dsak')"),
        ("[build]\nmax_removal_share = 1.5\n", "[build.max_removal_share]"),
    ],
    ids=["unknown-backend", "negative-max-chars", "zero-batch", "unknown-runner", "share-over-1"],
)
def test_issue17_bad_values_are_rejected_up_front_on_one_line(tmp_path, text, message) -> None:
    path = tmp_path / "kg.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        PipelineConfig.from_file(path)
    assert message in str(info.value) and "\n" not in str(info.value)
