"""`annotkit evaluate` through click's CliRunner (stdout = data, stderr = messages)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from annotkit.cli import cli

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "annotations" / "gold" / "seeds.jsonl"


def _write_pred(path: Path, drop_label: str | None = None, only: int | None = None) -> Path:
    lines = GOLD.read_text(encoding="utf-8").splitlines()[:only]
    with path.open("w", encoding="utf-8") as handle:
        for line in lines:
            rec = json.loads(line)
            rec["label"] = [s for s in rec["label"] if s[2] != drop_label]
            handle.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return path


def test_evaluate_cli_table_on_stdout(tmp_path: Path) -> None:
    pred = _write_pred(tmp_path / "pred.jsonl", drop_label="DOSE")
    res = CliRunner().invoke(cli, ["evaluate", "--gold", str(GOLD), "--pred", str(pred)])
    assert res.exit_code == 0, res.output
    rows = {line.split()[0]: line.split() for line in res.stdout.splitlines() if line.strip()}
    assert rows["DOSE"][1:3] == ["5", "0"]  # gold 5, predicted 0
    assert rows["CELL_TYPE"][4] == "1.000"  # strict recall
    assert rows["micro"][1:3] == ["96", "91"]


def test_evaluate_cli_json_and_output_file(tmp_path: Path) -> None:
    pred = _write_pred(tmp_path / "pred.jsonl", drop_label="SCALE")
    out = tmp_path / "eval.json"
    args = ["evaluate", "--gold", str(GOLD), "--pred", str(pred), "--format", "json"]
    res = CliRunner().invoke(cli, [*args, "--by-lang", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert res.stdout == ""
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["strict"]["per_label"]["SCALE"]["recall"] == 0.0
    assert result["strict"]["micro"]["tp"] == 56
    assert set(result["by_lang"]) == {"en", "zh"}


def test_evaluate_cli_compares_named_systems(tmp_path: Path) -> None:
    full = _write_pred(tmp_path / "full.jsonl")
    nodose = _write_pred(tmp_path / "nodose.jsonl", drop_label="DOSE")
    res = CliRunner().invoke(
        cli,
        [
            "evaluate",
            "--gold",
            str(GOLD),
            "--pred",
            f"all={full}",
            "--pred",
            f"partial={nodose}",
            "--format",
            "json",
        ],
    )
    assert res.exit_code == 0, res.output
    systems = json.loads(res.stdout)["systems"]
    assert list(systems) == ["all", "partial"]
    assert systems["all"]["strict"]["micro"]["f1"] == 1.0
    assert systems["partial"]["strict"]["per_label"]["DOSE"]["recall"] == 0.0


def test_evaluate_cli_missing_documents_exit_1_unless_intersection(tmp_path: Path) -> None:
    pred = _write_pred(tmp_path / "two.jsonl", only=2)
    base = ["evaluate", "--gold", str(GOLD), "--pred", str(pred)]
    res = CliRunner().invoke(cli, base)
    assert res.exit_code == 1
    assert res.stdout == "" and "002_bc5dc1ed787636a3" in res.stderr
    res2 = CliRunner().invoke(cli, [*base, "--intersection", "--format", "json"])
    assert res2.exit_code == 0, res2.output
    assert json.loads(res2.stdout)["documents"] == 2


def test_evaluate_cli_usage_errors_exit_2(tmp_path: Path) -> None:
    pred = _write_pred(tmp_path / "p.jsonl")
    res = CliRunner().invoke(cli, ["evaluate", "--gold", str(GOLD)])
    assert res.exit_code == 2
    dup = ["evaluate", "--gold", str(GOLD), "--pred", f"a={pred}", "--pred", f"a={pred}"]
    assert CliRunner().invoke(cli, dup).exit_code == 2
