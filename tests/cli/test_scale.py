"""The batch options of run/detect/align/annotate: --workers, --scheduler, --resume, progress."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ANNOTKIT = str(Path(sys.executable).with_name("annotkit"))


def _corpus(path: Path, n: int) -> Path:
    seeds = sorted((REPO / "seeds").glob("*.txt"))
    with open(path, "w", encoding="utf-8") as out:
        for i in range(n):
            text = seeds[i % len(seeds)].read_text("utf-8") + f"\nGroup {i}: {i + 2} mL MSCs.\n"
            out.write(json.dumps({"id": f"d{i:03d}", "text": text}, ensure_ascii=False) + "\n")
    return path


def _on_a_terminal(*args: str) -> tuple[int, str]:
    """Run the CLI with stderr on a pseudo-terminal; RETURNS (exit code, what it showed)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    proc = subprocess.Popen([ANNOTKIT, *args], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=slave, cwd=REPO)  # fmt: skip
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    return proc.wait(timeout=300), shown.decode("utf-8", "replace")


def test_scale_progress_bar_has_a_total_and_eta_on_a_terminal(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "c.jsonl", 60)
    code, shown = _on_a_terminal("detect", str(corpus), "-o", str(tmp_path / "d.jsonl"),
                                 "--partition-size", "4")  # fmt: skip
    assert code == 0, shown
    frames = re.findall(r"detect:\s+(\d+)%\|[^|]*\| (\d+)/60 \[\d+:\d+<([\d:?]+)", shown)
    assert frames and frames[0][:2] == ("0", "0"), shown  # the total is known from the start
    later = [(int(done), eta) for _, done, eta in frames if done != "0"]
    assert later and all(done % 4 == 0 for done, _ in later), shown  # a partition at a time
    assert all(eta != "?" for _, eta in later)  # an ETA once documents are done
    code, shown = _on_a_terminal("detect", str(corpus), "-o", str(tmp_path / "q.jsonl"), "-q")
    assert code == 0 and shown == ""


def test_scale_off_a_terminal_no_bar(run_cli, tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "c.jsonl", 6)
    res = run_cli("detect", str(corpus), "-o", str(tmp_path / "d.jsonl"), "--partition-size", "2")
    assert res.returncode == 0 and res.stderr == "detected 6 document(s)\n"


def test_scale_usage_errors(run_cli, tmp_path: Path) -> None:
    seeds = str(REPO / "seeds")
    for args in (
        ("annotate", seeds, "--resume"),  # stdout cannot resume
        ("detect", seeds, "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"),
        ("detect", seeds, "--workers", "0"),
        ("annotate", seeds, "--partition-size", "0"),
    ):
        res = run_cli(*args)
        assert res.returncode == 2, (args, res.stderr)
        assert res.stdout == ""
    src = tmp_path / "a.txt"
    src.write_text("One.\n", "utf-8")
    res = run_cli("align", "--src", str(src), "--tgt", str(src), "--workers", "2")
    assert res.returncode == 2 and "INPUT" in res.stderr


def test_scale_bad_settings_are_config_errors(tmp_path: Path) -> None:
    seeds = str(REPO / "seeds")
    for env in ({"ANNOTKIT_WORKERS": "0"},
                {"ANNOTKIT_WORKERS": "2", "ANNOTKIT_SCHEDULER": "tcp://127.0.0.1:1"}):  # fmt: skip
        res = subprocess.run([ANNOTKIT, "detect", seeds, "-q"], capture_output=True, text=True,
                             env={**os.environ, **env}, timeout=120, check=False)  # fmt: skip
        assert res.returncode == 1 and res.stderr.startswith("error: ") and res.stdout == ""


def test_scale_resume_with_nothing_to_resume_runs_everything(run_cli, tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "c.jsonl", 4)
    out = tmp_path / "d.jsonl"
    res = run_cli("detect", str(corpus), "-o", str(out), "--resume")
    assert res.returncode == 0 and "resuming: 0 partition(s)" in res.stderr
    plain = run_cli("detect", str(corpus), "--quiet")
    assert out.read_text("utf-8") == plain.stdout
    assert not (tmp_path / ".d.jsonl.parts").exists()


@pytest.mark.dask
def test_scale_detect_and_align_on_local_workers(run_cli, tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "c.jsonl", 12)
    for command in ("detect", "align"):
        single = run_cli(command, str(corpus), "--quiet")
        env = dict(os.environ, ANNOTKIT_WORKERS="2")  # the setting, not the option
        res = subprocess.run([ANNOTKIT, command, str(corpus), "--partition-size", "5"],
                             capture_output=True, text=True, env=env, timeout=300,
                             check=False)  # fmt: skip
        assert res.returncode == 0, res.stderr
        assert res.stdout == single.stdout and res.stdout.count("\n") == 12
        assert "Dask dashboard: http://127.0.0.1:" in res.stderr
        assert "jieba" not in res.stderr and "Building prefix dict" not in res.stderr
