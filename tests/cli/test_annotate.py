"""``annotkit annotate``: documents -> doccano JSONL with entities."""

from __future__ import annotations

import json
from pathlib import Path

SEEDS = Path(__file__).resolve().parent.parent.parent / "seeds"


def _records(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_annotate_cli_seeds_to_file(run_cli, tmp_path: Path) -> None:
    out = tmp_path / "pre.jsonl"
    result = run_cli("annotate", str(SEEDS), "-o", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    recs = _records(out.read_text(encoding="utf-8"))
    assert len(recs) == 5
    for rec in recs:
        assert set(rec) >= {"id", "text", "label", "meta"}
        last = 0
        for start, end, label in rec["label"]:
            assert last <= start < end <= len(rec["text"])
            assert label in {"CELL_TYPE", "DOSE", "SCALE"}
            last = end
        ents = rec["spans"]  # details, one per label entry (docs/record.md)
        assert [[e["start"], e["end"], e["label"]] for e in ents] == rec["label"]
        for e in ents:
            assert rec["text"][e["start"] : e["end"]] == e["text"]
            assert set(e) >= {"source", "score", "status"} and e["status"] == "suggested"
    doses = {e["text"]: e["norm"] for r in recs for e in r["spans"] if e["label"] == "DOSE"}
    assert doses["87 million"] == {"value": 87000000.0, "unit": "cells"}
    assert doses["5 mL"] == {"value": 5.0, "unit": "mL"}


def test_annotate_cli_stdin_jsonl_to_stdout(run_cli) -> None:
    line = json.dumps({"id": "x", "text": "5 mL of MSCs; VAS"}) + "\n"
    result = run_cli("annotate", "-", "--quiet", input=line)
    assert result.returncode == 0, result.stderr
    (rec,) = _records(result.stdout)
    assert rec["id"] == "x"
    assert [rec["text"][s:e] for s, e, _ in rec["label"]] == ["5 mL", "MSCs", "VAS"]
    assert rec["spans"][0]["norm"] == {"value": 5.0, "unit": "mL"}


def test_annotate_cli_text_column_and_summary(run_cli, tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text("id,abstract\na,10 million BM-MSCs were injected\n", encoding="utf-8")
    result = run_cli("annotate", str(table), "--text-column", "abstract")
    assert result.returncode == 0, result.stderr
    (rec,) = _records(result.stdout)
    assert [rec["text"][s:e] for s, e, _ in rec["label"]] == ["10 million", "BM-MSCs"]
    assert "annotated 1 document" in result.stderr


def test_annotate_cli_skip_errors_exit_3(run_cli, tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text("40 mg daily", encoding="utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"")
    result = run_cli("annotate", str(good), str(bad), "--skip-errors", "--quiet")
    assert result.returncode == 3
    assert len(_records(result.stdout)) == 1
    assert "skipped" in result.stderr
    failed = run_cli("annotate", str(good), str(bad), "--quiet")
    assert failed.returncode == 1 and failed.stderr.startswith("error:")


def test_annotate_cli_usage_errors(run_cli) -> None:
    result = run_cli("annotate", "seeds", "--engine", "magic")
    assert result.returncode == 2
    assert result.stdout == ""


def test_annotate_cli_help_has_examples(run_cli) -> None:
    result = run_cli("annotate", "--help")
    assert result.returncode == 0
    assert "Examples:" in result.stdout and "--no-project" in result.stdout


def test_annotate_cli_missing_model_is_an_error(run_cli, tmp_path: Path) -> None:
    result = run_cli(
        "annotate", str(SEEDS), "--engine", "model", "--model", str(tmp_path / "none"), "--quiet"
    )
    assert result.returncode == 1
    assert result.stdout == "" and result.stderr.startswith("error:")
