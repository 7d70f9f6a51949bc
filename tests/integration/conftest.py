"""A real doccano server for the integration tests, started with annotkit's own code.

The session fixture builds (once, cached per user; ``ANNOTKIT_DOCCANO_VENV`` overrides) the
server's virtualenv, starts doccano in a temporary home on a free loopback port and stops
exactly its processes at the end. With ``ANNOTKIT_TEST_DOCCANO_URL`` (and
``ANNOTKIT_TEST_DOCCANO_USERNAME`` / ``_PASSWORD``, a superuser's) the tests run against
that server instead, with ``ANNOTKIT_TEST_DOCCANO_HOME`` (else a temporary folder) as the
home of annotkit's local files: keep one there across runs, since it holds the password of
the ``annotkit`` user the first run creates. The few tests that kill or start servers then
use a local server of their own. Nothing here skips: without a
server the tests fail.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from annotkit.sync.client import DoccanoSync
from annotkit.sync.ledger import SuggestionLedger, ledger_for
from annotkit.sync.server import load_credentials, start_server, stop_server

#: The console script of the environment running the tests (``annotkit = annotkit.cli:main``).
ANNOTKIT = str(Path(sys.executable).with_name("annotkit"))


@dataclass(frozen=True)
class Server:
    home: Path
    url: str
    username: str
    password: str
    local: bool

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1].split("/")[0])

    def admin(self) -> DoccanoSync:
        return DoccanoSync.connect(self.url, self.username, self.password, home=self.home)

    def env(self) -> dict[str, str]:
        """Environment for the console script: this server's admin, no other settings."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("ANNOTKIT_DOCCANO_")}
        env.update(
            ANNOTKIT_DOCCANO_URL=self.url,
            ANNOTKIT_DOCCANO_USERNAME=self.username,
            ANNOTKIT_DOCCANO_PASSWORD=self.password,
        )
        return env


def run_cli(
    args: list[str], *, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run the real ``annotkit`` console script; stderr never shows a traceback."""
    proc = subprocess.run(
        [ANNOTKIT, *args], capture_output=True, text=True, env=env, timeout=timeout
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def _say(pytestconfig: pytest.Config, message: str) -> None:
    # the first run builds the server's venv (minutes): show it even under capture
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")
    if capture is not None:
        with capture.global_and_fixture_disabled():
            print(f"\n[doccano fixture] {message}", file=sys.stderr, flush=True)
    else:
        print(f"[doccano fixture] {message}", file=sys.stderr, flush=True)


def _local(home: Path, pytestconfig: pytest.Config) -> Server:
    start_server(home, progress=lambda m: _say(pytestconfig, m))
    creds = load_credentials(home)
    return Server(home, creds["url"], creds["username"], creds["password"], local=True)


@pytest.fixture(scope="session")
def doccano_server(
    tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("doccano-home")
    external = os.environ.get("ANNOTKIT_TEST_DOCCANO_URL")
    if external:
        home = Path(os.environ.get("ANNOTKIT_TEST_DOCCANO_HOME") or home)
        user = os.environ.get("ANNOTKIT_TEST_DOCCANO_USERNAME", "admin")
        password = os.environ.get("ANNOTKIT_TEST_DOCCANO_PASSWORD", "")
        _say(pytestconfig, f"using the doccano server at {external} as {user!r}")
        yield Server(home, external.rstrip("/"), user, password, local=False)
        return
    server = _local(home, pytestconfig)
    try:
        yield server
    finally:
        stop_server(home)


@pytest.fixture(scope="session")
def local_server(
    doccano_server: Server, tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> Iterator[Server]:
    """A server this session started itself (tests that kill or restart it)."""
    if doccano_server.local:
        yield doccano_server
        return
    home = tmp_path_factory.mktemp("doccano-local-home")
    try:
        yield _local(home, pytestconfig)
    finally:
        stop_server(home)


@pytest.fixture()
def cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """:func:`run_cli`: the real console script, asserting no traceback on stderr."""
    return run_cli


@pytest.fixture()
def annotkit_exe() -> str:
    """Path of the ``annotkit`` console script (for tests that run several at once)."""
    return ANNOTKIT


@pytest.fixture()
def admin(doccano_server: Server) -> DoccanoSync:
    return doccano_server.admin()


@pytest.fixture()
def ledger(doccano_server: Server) -> SuggestionLedger:
    return ledger_for(doccano_server.home)


@pytest.fixture()
def project_name(request: pytest.FixtureRequest) -> str:
    return f"{request.node.name[:40]}-{uuid.uuid4().hex[:8]}"
