"""Issue 20: every command takes --config (else $KG_CONFIG), and what it reads from it takes effect."""

from __future__ import annotations

import argparse

from pipeline.cli import _embed_defaults, _load_config, build_parser


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def test_issue20_every_command_takes_config() -> None:
    missing = [name for name, p in _subcommands().items()
               if not any("--config" in a.option_strings for a in p._actions)]
    assert missing == []


def test_issue20_kg_config_is_read_when_no_flag_is_given(tmp_path, monkeypatch) -> None:
    path = tmp_path / "kg.toml"
    path.write_text("[embed]\ndim = 8\nepochs = 3\ndevice = 'cpu'\n[store]\nresult_limit = 7\n")
    monkeypatch.setenv("KG_CONFIG", str(path))
    assert _load_config(None).store.result_limit == 7
    args = build_parser().parse_args(["embed", "--dataset", "nations", "--epochs", "5"])
    _embed_defaults(args, _load_config(args.config).embed)
    assert (args.dim, args.epochs, args.device, args.lr) == (8, 5, "cpu", None)  # the flag wins; unset keys stay
