"""``annotkit align``: pre-split files -> beads on stdout; documents -> JSONL."""

from __future__ import annotations

import json
import re
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "align"
SEEDS = Path(__file__).resolve().parent.parent.parent / "seeds"
BEAD = re.compile(r"\[(\d+(,\d+)*)?\]:\[(\d+(,\d+)*)?\]")


def test_align_cli_files_print_beads(run_cli) -> None:
    result = run_cli(
        "align", "--src", str(DATA / "small.zh"), "--tgt", str(DATA / "small.en"),
        "--src-lang", "zh", "--tgt-lang", "en", "--quiet",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert all(BEAD.fullmatch(line) for line in lines)
    assert lines == (DATA / "small.align").read_text(encoding="utf-8").splitlines()
    assert result.stderr == ""


def test_align_cli_files_detect_languages_and_write_output(run_cli, tmp_path: Path) -> None:
    out = tmp_path / "beads.txt"
    result = run_cli(
        "align", "--src", str(DATA / "small.de"), "--tgt", str(DATA / "small.fr"), "-o", str(out)
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert out.read_text(encoding="utf-8").splitlines() == (
        (DATA / "small.defr").read_text(encoding="utf-8").splitlines()
    )


def test_align_cli_empty_source_file_gives_null_beads(run_cli, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    result = run_cli(
        "align", "--src", str(empty), "--tgt", str(DATA / "small.en"),
        "--src-lang", "zh", "--tgt-lang", "en", "--quiet",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"[]:[{j}]" for j in range(9)]


def test_align_cli_documents_to_jsonl(run_cli, tmp_path: Path) -> None:
    out = tmp_path / "pairs.jsonl"
    result = run_cli("align", str(SEEDS), "-o", str(out), "--quiet", "--with-text")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == len(list(SEEDS.glob("*.txt")))
    paired = [r for r in records if r["pairs"]]
    assert [r["id"] for r in paired] == ["004_2ac9ad6098cbbf61"]
    pair = paired[0]["pairs"][0]
    text = paired[0]["text"]
    assert text[pair["src"][0] : pair["src"][1]].startswith("BACKGROUND")
    export = run_cli("export", str(out), "--format", "tmx", "-o", str(tmp_path / "tmx"))
    assert export.returncode == 0, export.stderr
    assert (tmp_path / "tmx" / "all.tmx").exists()


def test_align_cli_usage_errors(run_cli, tmp_path: Path) -> None:
    assert run_cli("align").returncode == 2
    assert run_cli("align", "--src", str(DATA / "small.zh")).returncode == 2
    assert run_cli("align", str(SEEDS), "--src", "a", "--tgt", "b").returncode == 2
    missing = run_cli("align", "--src", str(tmp_path / "nope"), "--tgt", str(DATA / "small.en"))
    assert missing.returncode == 1 and "nope" in missing.stderr
    bad_scorer = run_cli(
        "align", "--src", str(DATA / "small.de"), "--tgt", str(DATA / "small.fr"),
        "--scorer", "no_such_module_xyz:f",
    )  # fmt: skip
    assert bad_scorer.returncode == 1 and "scorer" in bad_scorer.stderr
