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
