"""``annotkit detect`` through the real console script."""

from __future__ import annotations

import json
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "lid"


def test_detect_seeds_stdout_jsonl_one_record_per_document(run_cli) -> None:
    result = run_cli("detect", "seeds", "--quiet")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 5
    for rec in records:
        assert {"id", "lang", "langs", "segments", "sentences"} <= set(rec)
        assert all(s[0] < s[1] and len(s) == 4 for s in rec["segments"])
    seed4 = next(r for r in records if r["id"].startswith("004"))
    assert {s[2] for s in seed4["segments"]} >= {"en", "zh"}
    assert seed4["zh_script"] == "Hans"
    assert seed4["text"].startswith("Centeno-Schultz")  # the whole record, text included


def test_detect_output_file_summary_on_stderr(run_cli, tmp_path: Path) -> None:
    out = tmp_path / "d.jsonl"
    result = run_cli("detect", str(DATA / "traditional.txt"), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "1 document(s)" in result.stderr
    rec = json.loads(out.read_text("utf-8"))
    assert rec["lang"] == "zh" and rec["langs"] == {"zh": 1.0}
    assert rec["zh_script"] == "Hant"


def test_detect_stdin_jsonl(run_cli) -> None:
    doc = {"id": "x", "text": "Results improved.\n结果改善。"}
    result = run_cli("detect", "-", "--quiet", input=json.dumps(doc, ensure_ascii=False) + "\n")
    assert result.returncode == 0, result.stderr
    rec = json.loads(result.stdout)
    assert rec["id"] == "x"
    assert [s[2] for s in rec["segments"]] == ["en", "zh"]
    assert rec["segments"][1][:2] == [18, 23]


def test_detect_same_output_on_every_run(run_cli) -> None:
    first = run_cli("detect", "seeds", "--quiet").stdout
    assert first and run_cli("detect", "seeds", "--quiet").stdout == first


def test_detect_langdetect_backend(run_cli) -> None:
    result = run_cli("detect", "seeds", "--quiet", "--backend", "langdetect")
    assert result.returncode == 0, result.stderr
    assert all(json.loads(x)["lang"] == "en" for x in result.stdout.splitlines())


def test_detect_bad_input_exit_1_and_skip_errors_exit_3(run_cli, tmp_path: Path) -> None:
    bad = str(DATA / "malformed.jsonl")
    result = run_cli("detect", bad, "-o", str(tmp_path / "x.jsonl"))
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and "malformed.jsonl" in result.stderr
    assert not (tmp_path / "x.jsonl").exists()
    out = tmp_path / "y.jsonl"
    result = run_cli("detect", bad, str(DATA / "traditional.txt"), "--skip-errors", "-o", str(out))
    assert result.returncode == 3
    assert "skipped" in result.stderr
    assert len(out.read_text("utf-8").splitlines()) >= 1


def test_detect_stanza_segmenter_without_models_is_a_clear_error(
    run_cli, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("ANNOTKIT_STANZA_DIR", str(tmp_path))
    result = run_cli("detect", "seeds", "--segmenter", "stanza")
    assert result.returncode == 1
    assert "--segmenter rules" in result.stderr and "Traceback" not in result.stderr


def test_detect_usage_errors_exit_2(run_cli) -> None:
    assert run_cli("detect").returncode == 2
    assert run_cli("detect", "seeds", "--segmenter", "nltk").returncode == 2
