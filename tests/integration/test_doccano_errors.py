"""Issue 11: every doccano error path ends in ``error: <where>: <what> ; <what to do>``.

Through the real console script; each asserts exit 1 and no traceback (the ``cli``
fixture checks stderr for one).
"""

from __future__ import annotations

import http.server
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from annotkit.sync.server import free_port

pytestmark = pytest.mark.doccano


def _env(url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANNOTKIT_DOCCANO_")}
    env.update(
        ANNOTKIT_DOCCANO_URL=url,
        ANNOTKIT_DOCCANO_USERNAME="admin",
        ANNOTKIT_DOCCANO_PASSWORD="x",
        **extra,
    )
    return env


def _error(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.startswith("error: ")]
    assert len(lines) == 1, stderr
    assert " ; " in lines[0], lines[0]  # what failed ; what to do
    return lines[0]


@pytest.fixture()
def silent_port() -> Iterator[int]:
    """A server that accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]


@pytest.fixture()
def other_http_server() -> Iterator[int]:
    """A web server that is not doccano."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_doccano_url_without_scheme(cli: Any) -> None:
    r = cli(["doccano", "pull", "--project", "p"], env=_env("localhost:8000"))
    assert r.returncode == 1
    line = _error(r.stderr)
    assert line.startswith("error: ANNOTKIT_DOCCANO_URL: 'localhost:8000'")
    assert "http://localhost:8000" in line


def test_doccano_server_that_never_answers_times_out(cli: Any, silent_port: int) -> None:
    started = time.monotonic()
    r = cli(
        ["doccano", "pull", "--project", "p"],
        env=_env(f"http://127.0.0.1:{silent_port}", ANNOTKIT_DOCCANO_TIMEOUT="2"),
    )
    assert r.returncode == 1 and time.monotonic() - started < 30
    line = _error(r.stderr)
    assert f"http://127.0.0.1:{silent_port}" in line and "no answer within 2 s" in line
    assert "ANNOTKIT_DOCCANO_TIMEOUT" in line


def test_doccano_https_to_a_plain_port_says_try_http(cli: Any, silent_port: int) -> None:
    started = time.monotonic()
    src = Path(__file__).parents[1] / "data" / "inputs"
    some = src / "docs.jsonl"
    r = cli(
        ["doccano", "push", str(some), "--project", "p"],
        env=_env(f"https://127.0.0.1:{silent_port}", ANNOTKIT_DOCCANO_TIMEOUT="2"),
    )
    assert r.returncode == 1 and time.monotonic() - started < 30
    assert "try http://" in _error(r.stderr)


def test_doccano_server_that_is_not_doccano(cli: Any, other_http_server: int) -> None:
    r = cli(
        ["doccano", "pull", "--project", "p"], env=_env(f"http://127.0.0.1:{other_http_server}")
    )
    assert r.returncode == 1
    assert "is not a doccano server" in _error(r.stderr)


def test_doccano_nothing_listening(cli: Any) -> None:
    r = cli(["doccano", "pull", "--project", "p"], env=_env(f"http://127.0.0.1:{free_port()}"))
    assert r.returncode == 1
    line = _error(r.stderr)
    assert "cannot connect" in line and "server status" in line


def test_doccano_bad_timeout_setting(cli: Any) -> None:
    r = cli(
        ["doccano", "pull", "--project", "p"],
        env=_env("http://127.0.0.1:1", ANNOTKIT_DOCCANO_TIMEOUT="soon"),
    )
    assert r.returncode == 1 and "ANNOTKIT_DOCCANO_TIMEOUT" in _error(r.stderr)


def test_doccano_server_start_on_a_taken_port(
    cli: Any, doccano_server: Any, silent_port: int, tmp_path: Path
) -> None:
    """Issue 11: start reported success when the port belonged to another server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANNOTKIT_DOCCANO_")}
    for port in (silent_port, doccano_server.port):  # any program; another doccano
        home = tmp_path / f"home-{port}"
        r = cli(["doccano", "server", "start", "--home", str(home), "--port", str(port)], env=env)
        assert r.returncode == 1
        line = _error(r.stderr)
        assert f"127.0.0.1:{port}: the port is taken" in line and "--port" in line
        assert not (home / "credentials.json").exists()
        r = cli(["doccano", "server", "status", "--home", str(home)], env=env)
        assert r.returncode == 1


def test_doccano_push_without_the_suggestion_password(
    cli: Any, doccano_server: Any, project_name: str, tmp_path: Path
) -> None:
    """Another machine without the suggestion account's password: say where to get it."""
    src = tmp_path / "pre.jsonl"
    src.write_text('{"id": "a", "text": "5 mL of MSCs", "label": [[0, 4, "DOSE"]]}\n')
    env = doccano_server.env()
    elsewhere = tmp_path / "elsewhere"
    r = cli(
        [
            "doccano",
            "push",
            str(src),
            "--project",
            project_name,
            "--create",
            "--home",
            str(elsewhere),
        ],
        env=env,
    )
    assert r.returncode == 1
    line = _error(r.stderr)
    assert "'annotkit'" in line and "suggesters.json" in line


def test_doccano_push_with_an_empty_guidelines_file(
    cli: Any, doccano_server: Any, tmp_path: Path
) -> None:
    src = tmp_path / "pre.jsonl"
    src.write_text('{"id": "a", "text": "5 mL", "label": [[0, 4, "DOSE"]]}\n')
    empty = tmp_path / "g.md"
    empty.write_text("\n")
    r = cli(
        [
            "doccano",
            "push",
            str(src),
            "--project",
            "p",
            "--guidelines",
            str(empty),
            "--home",
            str(doccano_server.home),
        ],
        env=doccano_server.env(),
    )
    assert r.returncode == 1 and str(empty) in _error(r.stderr)
