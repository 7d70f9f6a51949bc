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
