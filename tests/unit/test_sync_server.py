"""Server bookkeeping that needs no doccano: credentials, pid files, the venv marker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from annotkit.errors import ConfigError
from annotkit.sync.server import (
    ensure_server_venv,
    load_credentials,
    server_status,
    stop_server,
)


def test_sync_server_credentials_missing_or_incomplete(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="server start"):
        load_credentials(tmp_path)
    (tmp_path / "credentials.json").write_text(json.dumps({"url": "http://x"}))
    with pytest.raises(ConfigError):
        load_credentials(tmp_path)


def test_sync_server_stop_leaves_foreign_processes_alone(tmp_path: Path) -> None:
    # a live process that is not from the recorded venv (e.g. a reused pid) is not killed
    proc = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True
    )
    try:
        (tmp_path / "server.pids.json").write_text(
            json.dumps(
                {
                    "url": "http://127.0.0.1:9",
                    "venv": str(tmp_path / "no-such-venv"),
                    "pids": {"gunicorn": proc.pid},
                }
            )
        )
        assert server_status(tmp_path).pids == ()
        assert not server_status(tmp_path).healthy
        assert stop_server(tmp_path, grace=0.1) == 0
        assert proc.poll() is None
        assert not (tmp_path / "server.pids.json").exists()
    finally:
        proc.kill()
        proc.wait()


def test_sync_server_stop_ends_its_own_process_group(tmp_path: Path) -> None:
    venv = str(Path(sys.executable).parent.parent)
    proc = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True
    )
    (tmp_path / "server.pids.json").write_text(
        json.dumps({"url": "", "venv": venv, "pids": {"celery": proc.pid}})
    )
    assert server_status(tmp_path).pids == (proc.pid,)
    assert stop_server(tmp_path, grace=5) == 1
    proc.wait(timeout=5)  # ended (stop_server may already have reaped it)
    assert server_status(tmp_path).pids == ()


def test_sync_server_venv_marker_skips_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    venv = tmp_path / "venv"
    venv.mkdir()
    (venv / ".annotkit-complete").write_text("{}")
    monkeypatch.setenv("ANNOTKIT_DOCCANO_VENV", str(venv))
    assert ensure_server_venv() == venv
    assert os.listdir(venv) == [".annotkit-complete"]
