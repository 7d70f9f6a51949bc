"""`annotkit rank` and the learned `train` options through the real console script."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
TINY = str(REPO / "tests" / "data" / "ner_tiny.jsonl")


def test_rank_cli_needs_a_learned_model(run_cli, tmp_path: Path) -> None:
    r = run_cli("rank", TINY, "--models-dir", str(tmp_path))
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.startswith("error:") and "promote" in r.stderr
    r = run_cli("rank", TINY, "--model", str(tmp_path / "nothing"))
    assert r.returncode == 1 and "error:" in r.stderr


def test_rank_cli_help_and_usage(run_cli) -> None:
    for cmd in (("rank",), ("train",), ("doccano", "push")):
        r = run_cli(*cmd, "--help")
        assert r.returncode == 0 and "Examples:" in r.stdout, cmd
    assert "--order" in run_cli("doccano", "push", "--help").stdout
    assert run_cli("rank").returncode == 2
    assert run_cli("rank", TINY, "--top", "0").returncode == 2
    assert run_cli("train", "--data", TINY, "--name", "x", "--folds", "1").returncode == 2
