"""`annotkit train` and `annotkit models` through the real console script (trains a model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent
TINY = str(REPO / "tests" / "data" / "ner_tiny.jsonl")


@pytest.mark.model
def test_train_cli_train_list_show_promote(run_cli, tmp_path: Path) -> None:
    d = str(tmp_path)
    r = run_cli(
        "train", "--data", TINY, "--name", "cli", "--stanza", "--max-steps", "40", "--models-dir", d
    )
    assert r.returncode == 0, r.stderr[-2000:]
    card = json.loads(r.stdout)
    assert card["name"] == "cli" and card["version"] == "v1"
    assert "step" in r.stderr  # stanza's progress goes to stderr
    r = run_cli("models", "list", "--models-dir", d)
    assert r.returncode == 0 and "cli/v1" in r.stdout and not r.stdout.startswith("*")
    r = run_cli("models", "promote", "cli/v1", "--models-dir", d)
    assert r.returncode == 0, r.stderr
    assert run_cli("models", "list", "--models-dir", d).stdout.startswith("* cli/v1")
    shown = json.loads(run_cli("models", "show", "cli", "--models-dir", d).stdout)
    assert shown["version"] == "v1" and Path(shown["path"], "ner.pt").is_file()


def test_train_cli_errors(run_cli, tmp_path: Path) -> None:
    d = str(tmp_path)
    r = run_cli("models", "show", "nothing/v1", "--models-dir", d)
    assert r.returncode == 1 and "error:" in r.stderr
    r = run_cli("models", "promote", "nothing/v1", "--models-dir", d)
    assert r.returncode == 1
    r = run_cli("train", "--name", "x")
    assert r.returncode == 2
    r = run_cli("train", "--data", TINY, "--name", "../x", "--models-dir", d)
    assert r.returncode == 1 and "invalid model name" in r.stderr


def test_train_cli_help_has_examples(run_cli) -> None:
    for cmd in (("train",), ("models",), ("models", "list"), ("models", "promote")):
        r = run_cli(*cmd, "--help")
        assert r.returncode == 0 and "Examples:" in r.stdout, cmd
