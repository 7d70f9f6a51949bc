"""`annotkit report`: writes one HTML file, same bytes every run, clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from annotkit.cli import cli

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "annotations" / "gold" / "seeds.jsonl"
ANNOTKIT = str(Path(sys.executable).with_name("annotkit"))


def test_report_cli_writes_the_page(tmp_path: Path) -> None:
    out = tmp_path / "r" / "report.html"
    res = CliRunner().invoke(cli, ["report", str(GOLD), "--gold", str(GOLD), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert res.stdout == ""  # messages go to stderr
    assert "5 of 5 documents shown" in res.stderr
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert html.count("data-label=") == 96


def test_report_cli_same_bytes_under_any_hash_seed(tmp_path: Path) -> None:
    pages = []
    for seed in ("0", "12345"):
        out = tmp_path / f"r{seed}.html"
        env = dict(os.environ, PYTHONHASHSEED=seed)
        proc = subprocess.run(
            [ANNOTKIT, "report", str(GOLD), "--gold", str(GOLD), "-o", str(out), "-q"],
            capture_output=True, text=True, env=env, timeout=300, cwd=ROOT,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        pages.append(out.read_bytes())
    assert pages[0] == pages[1]


def test_report_cli_stdout_with_dash() -> None:
    res = CliRunner().invoke(cli, ["report", str(GOLD), "-o", "-", "-q"])
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("<!DOCTYPE html>")


def test_report_cli_usage_and_input_errors(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["report", str(GOLD)])
    assert res.exit_code == 2  # -o is required
    one = tmp_path / "one.jsonl"
    one.write_text(GOLD.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    out = tmp_path / "r.html"
    res = CliRunner().invoke(cli, ["report", str(one), "--gold", str(GOLD), "-o", str(out)])
    assert res.exit_code == 1
    assert res.stderr.startswith("error: ") and "--intersection" in res.stderr
    assert not out.exists()  # nothing half-written
    res = CliRunner().invoke(
        cli, ["report", str(one), "--gold", str(GOLD), "--intersection", "-o", str(out)]
    )
    assert res.exit_code == 0 and out.exists()
    res = CliRunner().invoke(cli, ["report", str(one), "-o", str(one)])
    assert res.exit_code == 1 and "one of the inputs" in res.stderr
    assert json.loads(one.read_text(encoding="utf-8"))["id"]  # the input is untouched


def test_report_cli_into_its_run_folder_as_make_demo_does(tmp_path: Path) -> None:
    run = tmp_path / "pre"
    res = CliRunner().invoke(cli, ["run", str(ROOT / "seeds"), "-o", str(run), "-q"])
    assert res.exit_code == 0, res.output
    page = run / "report.html"
    for _ in range(2):  # a second `make demo` replaces the page it wrote
        res = CliRunner().invoke(cli, ["report", str(run), "--gold", str(GOLD), "-o", str(page)])
        assert res.exit_code == 0, res.output
        assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    annotate = (run / "annotate.jsonl").read_bytes()
    res = CliRunner().invoke(cli, ["report", str(run), "-o", str(run / "annotate.jsonl")])
    assert res.exit_code == 1 and "one of the inputs" in res.stderr  # the file it reads
    assert (run / "annotate.jsonl").read_bytes() == annotate


def test_report_cli_bad_record_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "text": "MSCs", "label": [[0, 9, "CELL_TYPE"]]}\n', "utf-8")
    res = CliRunner().invoke(cli, ["report", str(bad), "-o", str(tmp_path / "r.html")])
    assert res.exit_code == 1
    assert f"{bad}:1" in res.stderr and "out of range" in res.stderr
