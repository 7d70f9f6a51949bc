"""Shared fixtures: tiny documents with emoji, astral CJK, combining marks and CRLF."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from annotkit.doc import Document, Span

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
ANNOTKIT = str(Path(sys.executable).with_name("annotkit"))


@pytest.fixture(autouse=True, scope="session")
def _user_folders_sandboxed(tmp_path_factory: pytest.TempPathFactory):
    """No test writes into the user's own models folder or doccano home: both point into the
    session's temporary folder unless a test sets them itself."""
    names = ("ANNOTKIT_MODELS_DIR", "ANNOTKIT_DOCCANO_HOME")
    saved = {name: os.environ.get(name) for name in names}
    for name in names:
        os.environ.setdefault(name, str(tmp_path_factory.mktemp(name.lower())))
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture()
def tricky_doc() -> Document:
    """Emoji, CJK Extension B (𠀀), a combining accent and CRLF around real spans."""
    text = "😀 MSCs\r\n𠀀 5 mL of cafe\u0301 cells; VAS 👍🏽 骨髓间充质干细胞"
    spans = [
        Span(text.index("MSCs"), text.index("MSCs") + 4, "CELL_TYPE"),
        Span(text.index("5 mL"), text.index("5 mL") + 4, "DOSE"),
        Span(text.index("VAS"), text.index("VAS") + 3, "SCALE"),
        Span(text.index("骨髓"), len(text), "CELL_TYPE"),
    ]
    return Document(id="tricky", text=text, spans=tuple(spans))


@pytest.fixture()
def run_cli():
    """Run the real console script; returns CompletedProcess with text stdout/stderr."""

    def run(*args: str, input: str | None = None, cwd: Path | None = None):
        env = dict(os.environ, PYTHONIOENCODING="utf-8")
        return subprocess.run(
            [ANNOTKIT, *args],
            input=input,
            capture_output=True,
            text=True,
            cwd=cwd or REPO,
            env=env,
            timeout=600,
        )

    return run


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory):
    """A real headless Chromium (Debian's chromium + chromium-driver, `make tools`),
    driven by selenium; console messages are kept (``browser.get_log("browser")``).

    Fails (never skips) when Chromium is missing: the browser tests are part of the suite.
    """
    import shutil

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if not (Path(chromium).exists() and Path(driver_path).exists()):
        pytest.fail("Chromium/ChromeDriver not installed: run `make tools` (Debian packages)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1400,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):  # fmt: skip
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


class ServiceProcess:
    """A real ``annotkit serve`` process on a free loopback port (start, stop, restart)."""

    def __init__(self, home: Path, models_dir: Path, *, port: int | None = None,
                 engine: str = "auto") -> None:  # fmt: skip
        from annotkit.sync.server import free_port

        self.home, self.models_dir, self.engine = home, models_dir, engine
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = home / "serve.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def token(self) -> str:
        return (self.home / "serve.token").read_text().strip()

    def start(self, timeout: float = 90.0) -> ServiceProcess:
        import time
        import urllib.request

        self.home.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, ANNOTKIT_MODELS_DIR=str(self.models_dir), PYTHONIOENCODING="utf-8")
        cmd = [sys.executable, "-m", "annotkit", "serve", "--home", str(self.home), "--port",
               str(self.port), "--engine", self.engine]  # fmt: skip
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"annotkit serve exited {self.proc.returncode}: {self.log_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        pytest.fail(f"annotkit serve did not answer /health in {timeout} s: {self.log_text()}")

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        code, self.proc = self.proc.returncode, None
        return code

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def post(self, body: object, *, token: str | None = "", **params: str):
        """POST /annotate (``token=""``: the real token; ``None``: no Authorization header)."""
        import requests

        headers = {} if token is None else {"Authorization": f"Bearer {token or self.token}"}
        return requests.post(f"{self.url}/annotate", json=body, headers=headers,
                             params=params, timeout=120)  # fmt: skip


@pytest.fixture(scope="module")
def start_service(tmp_path_factory: pytest.TempPathFactory):
    """Factory: ``start_service(home, models_dir, port=None, engine="auto")`` -> a running
    :class:`ServiceProcess`; every process it started is stopped at the end of the module."""
    started: list[ServiceProcess] = []

    def start(home: Path | None = None, models_dir: Path | None = None, **kw: object):
        base = tmp_path_factory.mktemp("serve")
        service = ServiceProcess(home or base / "home", models_dir or base / "models", **kw)
        started.append(service)
        return service.start()

    yield start
    for service in started:
        service.stop()
