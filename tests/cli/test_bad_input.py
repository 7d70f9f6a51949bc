"""Big and bad input through the real console script (issue 11).

Every case of the bad-input corpus (``tests/data/bad_corpus.json``) runs ``annotkit`` in a
fresh folder: a case with exit code 1 must print ``error: <where>: <what>; <what to do>``
naming its file/line (or setting, model, output), never a traceback, and write nothing;
the other cases are documented results (skips with exit 3, usage errors with exit 2, round
trips). Then: SIGTERM mid-run, temp files of killed runs, backups of replaced outputs.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

CORPUS = Path(__file__).resolve().parent.parent / "data" / "bad_corpus.json"
CASES: list[dict[str, Any]] = json.loads(CORPUS.read_text("utf-8"))["cases"]
ANNOTKIT = str(Path(sys.executable).with_name("annotkit"))


def _release_fifo(path: Path) -> None:
    """Unblock a writer thread whose reader never came (the command failed first)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return
    os.close(fd)


def materialise(files: dict[str, Any], folder: Path) -> list[Path]:
    """Write a case's files; RETURNS the FIFOs made (their writers run in threads)."""
    fifos = []
    for name, spec in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(spec, str):
            path.write_bytes(spec.encode("utf-8"))
        elif "latin1" in spec:
            path.write_bytes(spec["latin1"].encode("latin-1"))
        elif "repeat" in spec:
            text = spec.get("before", "") + spec["repeat"] * spec["times"] + spec.get("then", "")
            path.write_bytes(text.encode("utf-8"))
        elif "symlink" in spec:
            path.symlink_to(spec["symlink"])
        elif "fifo" in spec:
            os.mkfifo(path)
            data = spec["fifo"].encode("utf-8")

            def feed(p: Path = path, payload: bytes = data) -> None:
                with open(p, "wb") as fh:
                    fh.write(payload)

            threading.Thread(target=feed, daemon=True).start()
            fifos.append(path)
        else:
            raise ValueError(f"unknown file spec {spec!r}")
    return fifos


def run_case(case: dict[str, Any], folder: Path) -> subprocess.CompletedProcess[bytes]:
    fifos = materialise(case["files"], folder)
    env = dict(os.environ, PYTHONIOENCODING="utf-8", **case.get("env", {}))
    close = [fd for fd, key in ((0, "stdin_closed"), (1, "stdout")) if case.get(key) in (True,
             "closed")]  # fmt: skip
    stdin: Any = subprocess.DEVNULL
    if "stdin_latin1" in case:
        stdin = None
    stdout: Any = subprocess.PIPE
    full = open("/dev/full", "wb") if case.get("stdout") == "/dev/full" else None  # noqa: SIM115
    if full is not None:
        stdout = full
    try:
        return subprocess.run(
            [ANNOTKIT, *case["args"]],
            cwd=folder,
            env=env,
            input=case["stdin_latin1"].encode("latin-1") if "stdin_latin1" in case else None,
            stdin=stdin,
            stdout=stdout,
            stderr=subprocess.PIPE,
            preexec_fn=(lambda: [os.close(fd) for fd in close]) if close else None,  # noqa: PLW1509
            timeout=300,
        )
    finally:
        if full is not None:
            full.close()
        for fifo in fifos:
            _release_fifo(fifo)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_bad_input_case(case: dict[str, Any], tmp_path: Path) -> None:
    result = run_case(case, tmp_path)
    stderr = result.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr, stderr
    assert result.returncode == case["rc"], stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    if case["rc"] == 1:
        assert errors, stderr
        assert case["where"] in errors[0], errors[0]
        assert re.match(r"error: \S.*;", errors[0]), f"no '; what to do' in {errors[0]!r}"
        assert not (tmp_path / "out.jsonl").exists(), "a failed run wrote its output"
    elif case["rc"] == 2:
        assert "Error:" in stderr or "Usage:" in stderr
    if "where" in case and case["rc"] == 3:
        assert any(case["where"] in line for line in stderr.splitlines() if "skipped" in line)
    if "out_lines" in case:
        lines = (tmp_path / "out.jsonl").read_text("utf-8").split("\n")
        assert len([x for x in lines if x]) == case["out_lines"]
    if "stderr" in case:
        assert case["stderr"] in stderr
    if "same_text" in case:
        want = json.loads((tmp_path / case["same_text"]).read_text("utf-8"))["text"]
        line = (tmp_path / "out.jsonl").read_text("utf-8").split("\n")[0]
        assert json.loads(line)["text"] == want
        assert not any(ch in line for ch in "\u2028\u2029\x85")  # written escaped
    if "unchanged" in case:
        name = case["unchanged"]
        assert (tmp_path / name).read_text("utf-8") == case["files"][name], f"{name} changed"
    assert not list(tmp_path.rglob(".*.tmp")), "temporary files were left behind"


def test_bad_input_corpus_ids_unique_and_described() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids))
    assert all(c.get("why") for c in CASES)
    assert sum(c["rc"] == 1 for c in CASES) >= 43


def _long_input(path: Path) -> None:
    """Documents that take annotkit a minute or so (written here, not shared data): many of
    them, so the output's temporary file exists for most of the run, however fast it is."""
    para = (
        "Bone marrow-derived mesenchymal stem cells (BM-MSCs) were injected at 1 x 10^6 "
        "cells/kg; VAS pain scores fell.\n骨髓间充质干细胞（BM-MSCs）以每公斤1×10^6个细胞注射。\n"
    )
    with path.open("w", encoding="utf-8") as f:
        for i in range(400):
            f.write(json.dumps({"id": f"big-{i}", "text": para * 200}, ensure_ascii=False) + "\n")


def test_bad_input_sigterm_removes_temp_and_keeps_output(tmp_path: Path) -> None:
    _long_input(tmp_path / "big.jsonl")
    out = tmp_path / "out.jsonl"
    out.write_text("old content\n")
    proc = subprocess.Popen(
        [ANNOTKIT, "annotate", "big.jsonl", "-o", "out.jsonl", "--quiet"],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        env=dict(os.environ, PYTHONIOENCODING="utf-8"),
    )
    deadline = time.monotonic() + 120
    # a temporary output, or a finished partition of a partitioned run (input of many docs)
    manifest = tmp_path / ".out.jsonl.parts" / "manifest.jsonl"
    while not list(tmp_path.glob(".out.jsonl.*.tmp")) and not (
        manifest.exists() and '"part"' in manifest.read_text()
    ):
        assert proc.poll() is None, "finished before it could be stopped; make the input longer"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    stderr = err.decode("utf-8")
    assert proc.returncode == 128 + signal.SIGTERM
    assert "Traceback" not in stderr
    assert stderr.startswith("error: ") and "SIGTERM" in stderr
    assert not list(tmp_path.glob(".*.tmp")) and not list(tmp_path.glob(".*/*.tmp"))
    assert out.read_text() == "old content\n"
    if (tmp_path / ".out.jsonl.parts").exists():  # finished partitions are kept for --resume
        assert "--resume" in stderr


def test_bad_input_stale_temp_of_killed_run_cleaned_at_next_run(run_cli, tmp_path: Path) -> None:
    (tmp_path / "in.jsonl").write_text('{"id": "a", "text": "5 mL MSCs"}\n')
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a pid that no longer runs
    stale = tmp_path / f".out.jsonl.{dead.pid}.abcd.tmp"
    stale.write_bytes(b"x" * 1000)
    alive = tmp_path / f".out.jsonl.{os.getpid()}.abcd.tmp"  # a live writer: kept
    alive.write_bytes(b"y")
    result = run_cli("convert", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "out.jsonl"))
    assert result.returncode == 0, result.stderr
    assert not stale.exists()
    assert alive.exists()


def test_bad_input_changed_output_kept_as_backup_unless_force(run_cli, tmp_path: Path) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text('{"id": "a", "text": "5 mL MSCs"}\n')
    out.write_text('{"id": "a", "text": "5 mL MSCs", "label": [[0, 4, "DOSE"]]}\n')
    human = out.read_bytes()
    result = run_cli("annotate", str(src), "-o", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    backups = list(tmp_path.glob("out.jsonl.*.bak"))
    assert len(backups) == 1 and backups[0].read_bytes() == human
    assert str(backups[0]) in result.stderr
    again = run_cli("annotate", str(src), "-o", str(out), "--quiet")  # same content: no backup
    assert again.returncode == 0 and len(list(tmp_path.glob("out.jsonl.*.bak"))) == 1
    out.write_text("changed by hand\n")
    forced = run_cli("annotate", str(src), "-o", str(out), "--quiet", "--force")
    assert forced.returncode == 0 and len(list(tmp_path.glob("out.jsonl.*.bak"))) == 1
    assert out.read_text("utf-8").startswith('{"id": "a"')


def test_bad_input_overwrite_input_when_asked(run_cli, tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"id": "a", "text": "5 mL MSCs", "label": [[0, 4, "DOSE"]]}\n')
    result = run_cli("detect", str(gold), "-o", str(gold), "--overwrite-input", "--quiet")
    assert result.returncode == 0, result.stderr
    rec = json.loads(gold.read_text("utf-8"))
    assert rec["label"] == [[0, 4, "DOSE"]] and rec["lang"] == "en"
