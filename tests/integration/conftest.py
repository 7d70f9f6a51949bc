"""A real doccano server for the integration tests, started with annotkit's own code.

The session fixture builds (once, cached per user; ``ANNOTKIT_DOCCANO_VENV`` overrides) the
server's virtualenv, starts doccano in a temporary home on a free loopback port and stops
exactly its processes at the end. Nothing here skips: without a server the tests fail.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from annotkit.sync.client import DoccanoSync
from annotkit.sync.server import load_credentials, start_server, stop_server


@dataclass(frozen=True)
class Server:
    home: Path
    url: str
    username: str
    password: str
    port: int

    def admin(self) -> DoccanoSync:
        return DoccanoSync.connect(self.url, self.username, self.password)


@pytest.fixture(scope="session")
def doccano_server(
    tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> Iterator[Server]:
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")

    def say(message: str) -> None:
        # the first run builds the server's venv (minutes): show it even under capture
        if capture is not None:
            with capture.global_and_fixture_disabled():
                print(f"\n[doccano fixture] {message}", file=sys.stderr, flush=True)
        else:
            print(f"[doccano fixture] {message}", file=sys.stderr, flush=True)

    home = tmp_path_factory.mktemp("doccano-home")
    info = start_server(home, progress=say)
    creds = load_credentials(home)
    port = int(info.url.rsplit(":", 1)[1])
    try:
        yield Server(home, creds["url"], creds["username"], creds["password"], port)
    finally:
        stop_server(home)


@pytest.fixture()
def admin(doccano_server: Server) -> DoccanoSync:
    return doccano_server.admin()


@pytest.fixture()
def project_name(request: pytest.FixtureRequest) -> str:
    return f"{request.node.name[:40]}-{uuid.uuid4().hex[:8]}"
