"""CLI plumbing shared by every command: options, error handling, progress, output.

Commands are thin: parse, call a library function, write. Data goes to stdout or ``-o``;
messages, warnings and progress go to stderr. Exit codes: 0 ok, 1 input/data error
(:class:`~annotkit.errors.AnnotkitError`), 2 usage error, 3 finished with skipped items.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import click

from annotkit.errors import AnnotkitError
from annotkit.io import ReadReport, read_documents

__all__ = [
    "EXIT_SKIPPED",
    "finish_report",
    "handle_errors",
    "input_options",
    "limit_torch_threads",
    "load_documents",
    "output_option",
    "progress",
    "quiet_option",
    "warn",
]

EXIT_SKIPPED = 3
F = TypeVar("F", bound=Callable[..., Any])


def warn(message: str) -> None:
    """Print a message to stderr (never stdout: stdout carries data)."""
    click.echo(message, err=True)


def handle_errors(func: F) -> F:
    """Turn AnnotkitError into ``error: …`` on stderr and exit 1 (``--debug`` re-raises)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except AnnotkitError as err:
            ctx = click.get_current_context(silent=True)
            if ctx is not None and ctx.find_root().params.get("debug"):
                raise
            click.echo(f"error: {err}", err=True)
            sys.exit(1)
        except BrokenPipeError:  # `annotkit … | head`
            sys.stderr.close()
            sys.exit(0)

    return wrapper  # type: ignore[return-value]


def quiet_option(func: F) -> F:
    return click.option("--quiet", "-q", is_flag=True, help="No progress bar or summary.")(func)


def output_option(func: F) -> F:
    return click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, allow_dash=True),
        default=None,
        help="Write JSONL here (atomically) instead of stdout.",
    )(func)


def input_options(func: F) -> F:
    """INPUT... plus --text-column, --id-column, --skip-errors."""
    func = click.option(
        "--skip-errors",
        is_flag=True,
        help="Report bad inputs on stderr and go on (exit 3 if any were skipped).",
    )(func)
    func = click.option("--id-column", default=None, help="Table/JSONL column with document ids.")(
        func
    )
    func = click.option(
        "--text-column", default=None, help="Table/JSONL column holding the text (default: text)."
    )(func)
    func = click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")(func)
    return func


def progress(items: Iterable[Any], *, quiet: bool, desc: str, unit: str = "doc") -> Iterator[Any]:
    """A tqdm bar on stderr; hidden with --quiet or when stderr is not a terminal."""
    from tqdm import tqdm

    disable = quiet or not sys.stderr.isatty()
    yield from tqdm(items, desc=desc, unit=unit, disable=disable, file=sys.stderr, leave=False)


def load_documents(
    inputs: Iterable[str],
    *,
    text_column: str | None,
    id_column: str | None,
    skip_errors: bool,
    report: ReadReport,
) -> list[Any]:
    """Read every input (failing fast unless ``skip_errors``) before anything is written."""
    return list(
        read_documents(
            inputs,
            text_column=text_column,
            id_column=id_column,
            skip_errors=skip_errors,
            report=report,
        )
    )


def finish_report(report: ReadReport, *, quiet: bool) -> None:
    """Print skipped inputs to stderr and exit 3 if any were skipped."""
    if report.skipped:
        for line in report.errors or []:
            warn(f"skipped: {line}")
        warn(f"{report.skipped} input(s) skipped, {report.read} processed.")
        sys.exit(EXIT_SKIPPED)


def limit_torch_threads(threads: int) -> None:
    """Cap torch's intra-op threads for the model engine (one per process scales best here)."""
    try:
        import torch
    except ImportError:  # the model engine reports the missing extra itself
        return
    torch.set_num_threads(threads)
