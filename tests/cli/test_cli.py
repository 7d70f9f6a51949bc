"""The console script end to end: help, version, exit codes, stdout carries data only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotkit import __version__
from annotkit.cli import COMMANDS, cli

DATA = Path(__file__).resolve().parent.parent / "data"


def test_cli_help_lists_subcommands_with_descriptions(run_cli) -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for name in cli.list_commands(None):  # type: ignore[arg-type]
        assert name in result.stdout
        assert COMMANDS[name][2] in result.stdout


def test_cli_version(run_cli) -> None:
    result = run_cli("--version")
    assert result.returncode == 0 and __version__ in result.stdout


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_cli_every_subcommand_help_has_an_example(run_cli, name: str) -> None:
    if name not in cli.list_commands(None):  # type: ignore[arg-type]
        pytest.fail(f"command {name!r} is registered but its module does not exist")
    result = run_cli(name, "--help")
    assert result.returncode == 0, result.stderr
    assert "Examples:" in result.stdout
    assert "annotkit " in result.stdout.split("Examples:", 1)[1]


def test_cli_convert_writes_jsonl_to_stdout_only(run_cli) -> None:
    result = run_cli("convert", "seeds", "--quiet")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 5
    assert all(set(r) >= {"id", "text", "label", "meta"} for r in records)
    assert result.stderr == ""


def test_cli_convert_output_file_and_summary_on_stderr(run_cli, tmp_path: Path) -> None:
    out = tmp_path / "c.jsonl"
    result = run_cli("convert", str(DATA / "encodings"), "-o", str(out))
    assert result.returncode == 0
    assert result.stdout == ""
    assert "5 document(s)" in result.stderr
    encodings = {json.loads(x)["meta"]["encoding"] for x in out.read_text("utf-8").splitlines()}
    assert encodings == {"utf-8", "utf-8-sig", "utf-16", "gb18030", "big5"}


def test_cli_stdin(run_cli) -> None:
    result = run_cli("convert", "-", "--quiet", input='{"id": "x", "text": "MSCs"}\n')
    assert result.returncode == 0
    assert json.loads(result.stdout)["id"] == "x"


@pytest.mark.parametrize(
    "name",
    [
        "empty.txt",
        "binary.txt",
        "undecodable.txt",
        "malformed.jsonl",
        "missing_text.jsonl",
        "out_of_range.jsonl",
        "overlap.jsonl",
    ],
)
def test_cli_bad_input_exit_1_names_file_writes_nothing(run_cli, tmp_path: Path, name: str) -> None:
    out = tmp_path / "out.jsonl"
    result = run_cli(
        "convert", str(DATA / "inputs" / "docs.jsonl"), str(DATA / "bad" / name), "-o", str(out)
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: ")
    assert name in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()  # nothing partially written


def test_cli_skip_errors_reports_and_exits_3(run_cli, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    result = run_cli(
        "convert",
        str(DATA / "bad"),
        str(DATA / "inputs" / "docs.jsonl"),
        "--skip-errors",
        "-o",
        str(out),
    )
    assert result.returncode == 3
    assert "7 input(s) skipped" in result.stderr
    assert len(out.read_text("utf-8").splitlines()) == 3


def test_cli_usage_error_exit_2(run_cli) -> None:
    assert run_cli("convert").returncode == 2
    assert run_cli("no-such-command").returncode == 2
    assert run_cli("convert", "seeds", "--no-such-flag").returncode == 2


def test_stdin_plain_text_is_told_that_dash_reads_jsonl(run_cli) -> None:
    r = run_cli("detect", "-", input="Plain text, not a record.\n")
    assert r.returncode == 1
    assert "<stdin>:1" in r.stderr and "save plain text as a .txt file" in r.stderr
    r = run_cli("detect", "-", input='{"id": 1, "text": }\n')  # a broken record: no such hint
    assert r.returncode == 1 and "malformed JSON" in r.stderr and ".txt" not in r.stderr
