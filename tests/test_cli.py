"""The `kg` command line: every command teaches through --help, errors are one clear line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pipeline.cli import build_parser, main

COMMANDS = ["build", "query", "serve", "extract", "embed", "export", "eval", "train"]


def _kg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], capture_output=True, text=True, timeout=120)


def test_top_level_help_lists_every_command_with_examples() -> None:
    result = _kg("--help")
    assert result.returncode == 0
    for command in COMMANDS:
        assert command in result.stdout
    assert "examples:" in result.stdout and "kg build examples/corpus" in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_has_a_description_and_an_example(command, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args([command, "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith(f"usage: kg {command}")
    assert "example" in text, f"`kg {command} --help` shows no example"


def test_help_does_not_import_heavy_libraries() -> None:
    code = "import sys; from pipeline.cli import build_parser; build_parser(); print(sorted(m for m in ('torch', 'spacy', 'prefect') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "[]"


def test_bad_config_is_one_line_naming_the_file(tmp_path, capsys) -> None:
    bad = tmp_path / "kg.toml"
    bad.write_text("[filter]\nmethod = 'gae'\nnot_a_setting = 1\n")
    assert main(["export", "--workspace", str(tmp_path), "--config", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("kg export: ") and str(bad) in err and "not_a_setting" in err


def test_kg_config_environment_variable_is_used(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("KG_CONFIG", str(tmp_path / "missing.toml"))
    assert main(["export", "--workspace", str(tmp_path)]) == 1
    assert "missing.toml does not exist" in capsys.readouterr().err


def test_query_on_a_missing_store_says_what_to_do(tmp_path) -> None:
    result = _kg("query", "ASK { ?s ?p ?o }", "--store", str(tmp_path / "nowhere"))
    assert result.returncode == 1
    assert result.stderr.startswith("kg query: ") and "nowhere" in result.stderr
    assert "Traceback" not in result.stderr


def test_eval_extract_prints_json(tmp_path) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"id": "1", "text": "Ada Lovelace was born in London.",
                                "triples": [["Ada Lovelace", "birthPlace", "London"]]}) + "\n")
    pred = tmp_path / "pred.jsonl"
    pred.write_text(json.dumps({"id": "1", "lang": "en", "entities": [],
                                "triples": [["Ada Lovelace", "born in", "London"]]}) + "\n")
    result = _kg("eval", "extract", "--gold", str(gold), "--pred", str(pred))
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout.strip().splitlines()[-1])
    assert scores["pair"]["f1"] == pytest.approx(1.0)
