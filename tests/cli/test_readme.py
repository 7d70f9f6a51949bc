"""The README is true: its examples run here and their output matches what it shows.

A ```console block is a list of ``$ command`` lines, each followed by the output the README
shows for it (stdout and stderr together, as a terminal shows them). Shown output matches
when every line matches in order; ``…`` inside a line stands for any text, and a line that
is only ``…`` stands for any number of lines (the README marks shortened output so). A
``$`` line ending with ``\\`` continues on the next line. A ```pycon block is a doctest.

All console blocks run in order in one scratch folder (so a file one example writes is there
for the next), with the repository's ``seeds/`` and ``annotations/`` copied in and the
commands of ``.venv/bin`` first on ``PATH``; each block's commands run through bash.
"""

from __future__ import annotations

import contextlib
import doctest
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

_FENCE = re.compile(r"^```(\w*)\s*$")


@dataclass(frozen=True)
class Example:
    """One ``$ command`` of a console block and the output the README shows for it."""

    line: int
    command: str
    expected: tuple[str, ...]


def _blocks(text: str) -> list[tuple[str, int, list[str]]]:
    out: list[tuple[str, int, list[str]]] = []
    lang, start, body = None, 0, []
    for number, line in enumerate(text.splitlines(), 1):
        m = _FENCE.match(line)
        if m and lang is None:
            lang, start, body = m.group(1), number + 1, []
        elif m and line.strip() == "```":
            out.append((lang or "", start, body))
            lang = None
        elif lang is not None:
            body.append(line)
    return out


def console_examples(readme: Path) -> list[Example]:
    """Every ``$ command`` of the README's console blocks, in order."""
    examples: list[Example] = []
    for lang, start, body in _blocks(readme.read_text(encoding="utf-8")):
        if lang != "console":
            continue
        i = 0
        while i < len(body):
            line = body[i]
            if not line.startswith("$ "):
                raise ValueError(f"README.md:{start + i}: console output before any `$ ` line")
            first = start + i
            command = line[2:]
            while command.endswith("\\") and i + 1 < len(body):
                i += 1
                command = command[:-1] + "\n" + body[i]
            i += 1
            expected = []
            while i < len(body) and not body[i].startswith("$ "):
                expected.append(body[i])
                i += 1
            examples.append(Example(first, command, tuple(expected)))
    return examples


def pycon_blocks(readme: Path) -> list[tuple[int, str]]:
    """The README's ```pycon blocks (doctests) with their first line number."""
    return [
        (start, "\n".join(body) + "\n")
        for lang, start, body in _blocks(readme.read_text(encoding="utf-8"))
        if lang == "pycon"
    ]


def _line_pattern(expected: str) -> re.Pattern[str]:
    parts = [re.escape(p) for p in expected.rstrip().split("…")]
    return re.compile(".*?".join(parts) + r"\Z", re.DOTALL)


def match_output(expected: tuple[str, ...], actual: list[str]) -> str | None:
    """None when ``actual`` lines show what ``expected`` says, else the first difference."""
    actual = [a.rstrip() for a in actual]

    def walk(i: int, j: int) -> int | None:  # returns None on success, else a failing index
        while i < len(expected):
            exp = expected[i].rstrip()
            if exp == "…":
                if i + 1 == len(expected):
                    return None
                for k in range(j, len(actual) + 1):
                    if walk(i + 1, k) is None:
                        return None
                return i
            if j >= len(actual) or not _line_pattern(exp).match(actual[j]):
                return i
            i, j = i + 1, j + 1
        return None if j == len(actual) else len(expected)

    failed = walk(0, 0)
    if failed is None:
        return None
    shown = expected[failed] if failed < len(expected) else "(end of the shown output)"
    return f"shown line {failed + 1} {shown!r} does not match the output:\n" + "\n".join(actual)


def run_doctest(source: str, name: str) -> doctest.TestResults:
    """Run one pycon block as a doctest; RETURNS the failure and attempt counts."""
    parser = doctest.DocTestParser()
    test = parser.get_doctest(source, {}, name, name, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    return runner.summarize(verbose=False)


# --------------------------------------------------------------------------- the tests
REPO = Path(__file__).resolve().parent.parent.parent
README = REPO / "README.md"
BIN = Path(sys.executable).parent


def test_readme_harness_matches_shortened_output() -> None:
    assert match_output(("a", "…", "z"), ["a", "b", "c", "z"]) is None
    assert match_output(("a", "…"), ["a"]) is None
    assert match_output(("x … y",), ["x 1 2 y"]) is None
    assert match_output(("a",), ["a", "b"]) is not None  # unshown output is a mismatch
    assert match_output(("a", "b"), ["a", "c"]) is not None
    assert match_output(("a", "…", "z"), ["a", "b"]) is not None


def test_readme_python_examples() -> None:
    blocks = pycon_blocks(README)
    assert blocks, "the README has a Python example"
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        for line, source in blocks:
            failed, attempted = run_doctest(source, f"README.md:{line}")
            assert attempted and not failed, f"README.md:{line}: the Python example fails"
    finally:
        os.chdir(cwd)


@pytest.mark.doccano
@pytest.mark.slow
def test_readme_console_examples(tmp_path: Path) -> None:
    """Every console example, in order, in one scratch folder (a real doccano server too)."""
    examples = console_examples(README)
    assert len(examples) >= 10
    for folder in ("seeds", "annotations"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    env = dict(
        os.environ,
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        PYTHONUNBUFFERED="1",
        PYTHONIOENCODING="utf-8",
        ANNOTKIT_MODELS_DIR=str(tmp_path / "models"),
        ANNOTKIT_DOCCANO_HOME=str(tmp_path / "doccano-home"),
        COLUMNS="100",
    )
    for key in ("ANNOTKIT_DOCCANO_URL", "ANNOTKIT_DOCCANO_USERNAME", "ANNOTKIT_DOCCANO_PASSWORD"):
        env.pop(key, None)
    try:
        for ex in examples:
            run = subprocess.run(
                ["bash", "-o", "pipefail", "-c", ex.command],
                cwd=tmp_path,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=900,
            )
            where = f"README.md:{ex.line}: `{ex.command}`"
            shows_error = any(line.startswith("error: ") for line in ex.expected)
            assert (run.returncode != 0) == shows_error, (
                f"{where} exited {run.returncode}:\n{run.stdout}"
            )
            problem = match_output(ex.expected, run.stdout.splitlines())
            assert problem is None, f"{where}: {problem}"
    finally:
        state = tmp_path / "doccano-home" / "serve.json"  # `annotkit serve &` of the README
        if state.exists():
            import json
            import signal

            with contextlib.suppress(OSError, ValueError):
                os.kill(int(json.loads(state.read_text("utf-8"))["pid"]), signal.SIGTERM)
        subprocess.run(
            [str(BIN / "annotkit"), "doccano", "server", "stop"],
            env=env,
            capture_output=True,
            timeout=120,
        )
