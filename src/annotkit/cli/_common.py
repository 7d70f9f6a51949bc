"""CLI plumbing shared by every command: options, error handling, progress, output.

Commands are thin: parse, call a library function, write. Data goes to stdout or ``-o``;
messages, warnings and progress go to stderr. Exit codes: 0 ok, 1 input/data error
(:class:`~annotkit.errors.AnnotkitError`), 2 usage error, 3 finished with skipped items.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import click

from annotkit.config import Settings
from annotkit.doc import Document
from annotkit.errors import AnnotkitError, ConfigError
from annotkit.io import DUPLICATE_POLICIES, INPUT_SUFFIXES, Backups, ReadReport, read_documents

__all__ = [
    "EXIT_SKIPPED",
    "Inputs",
    "check_output",
    "current_settings",
    "finish_report",
    "force_option",
    "handle_errors",
    "include_unconfirmed_option",
    "input_options",
    "limit_torch_threads",
    "load_documents",
    "os_error_message",
    "output_backups",
    "output_option",
    "overwrite_input_option",
    "progress",
    "quiet_option",
    "report_backups",
    "reviewed_only",
    "warn",
]

EXIT_SKIPPED = 3
F = TypeVar("F", bound=Callable[..., Any])


def warn(message: str) -> None:
    """Print a message to stderr (never stdout: stdout carries data)."""
    click.echo(message, err=True)


def _debug() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.find_root().params.get("debug"))


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so the flush at exit cannot fail a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def os_error_message(err: OSError) -> str:
    """``<where>: <what>; <what to do>`` for an operating-system error nobody else named."""
    where = err.filename if err.filename is not None else "<output>"
    return (
        f"{where}: {err.strerror or err}; check that the path exists, its permissions and "
        "the free disk space"
    )


def handle_errors(func: F) -> F:
    """Turn AnnotkitError into ``error: …`` on stderr and exit 1 (``--debug`` re-raises).

    Operating-system errors nobody turned into an AnnotkitError (and running out of memory)
    get the same ``error: <where>: <what>; <what to do>`` line instead of a traceback.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except AnnotkitError as err:
            if _debug():
                raise
            click.echo(f"error: {err}", err=True)
            _quiet_stdout()
            sys.exit(1)
        except BrokenPipeError:  # `annotkit … | head`
            _quiet_stdout()
            sys.exit(0)
        except OSError as err:
            if _debug():
                raise
            click.echo(f"error: {os_error_message(err)}", err=True)
            _quiet_stdout()
            sys.exit(1)
        except MemoryError:
            if _debug():
                raise
            click.echo(
                "error: out of memory; process smaller documents (lower "
                "ANNOTKIT_MAX_DOCUMENT_CHARS) or fewer at once",
                err=True,
            )
            sys.exit(1)

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


@dataclass(frozen=True, slots=True)
class Inputs:
    """What a command reads: INPUT... and the reading options, plus the skip report."""

    paths: tuple[str, ...]
    text_column: str | None = None
    id_column: str | None = None
    skip_errors: bool = False
    on_duplicate: str = "error"
    report: ReadReport = field(default_factory=ReadReport)

    def _options(self) -> dict[str, Any]:
        return {
            "text_column": self.text_column,
            "id_column": self.id_column,
            "skip_errors": self.skip_errors,
            "report": self.report,
            "on_duplicate": self.on_duplicate,
        }

    def read(self, transform: Callable[[Any, str], Any] | None = None) -> list[Document]:
        """Every document, read before anything is written (fail fast unless skip_errors);
        texts over the ``max_document_chars`` setting are errors. ``transform``: see
        :func:`annotkit.io.read_documents`."""
        max_chars = current_settings().max_document_chars
        return load_documents(
            self.paths, max_chars=max_chars, transform=transform, **self._options()
        )

    def stream(self) -> Iterator[Document]:
        """The documents one by one as they are read (bad input raises when reached; the
        ``max_document_chars`` limit applies as in :meth:`read`)."""
        return read_documents(self.paths, **self._options())


Command = Callable[..., Any]


def input_options(func: Command) -> Command:
    """INPUT... plus --text-column, --id-column, --skip-errors, --on-duplicate, passed to the
    command as one ``source: Inputs`` argument."""
    return _input_options(func, required=True)


def optional_input_options(func: Command) -> Command:
    """:func:`input_options` with INPUT... optional (commands with another input mode)."""
    return _input_options(func, required=False)


def _input_options(func: Command, *, required: bool) -> Command:
    @functools.wraps(func)
    def wrapper(*args: Any, inputs: tuple[str, ...], text_column: str | None,
                id_column: str | None, skip_errors: bool, on_duplicate: str,
                **kwargs: Any) -> Any:  # fmt: skip
        source = Inputs(inputs, text_column, id_column, skip_errors, on_duplicate)
        return func(*args, source=source, **kwargs)

    cmd: Command = wrapper
    cmd = click.option(
        "--on-duplicate",
        type=click.Choice(DUPLICATE_POLICIES),
        default="error",
        show_default=True,
        help="A document id read twice: stop with an error, or keep the first and count.",
    )(cmd)
    cmd = click.option(
        "--skip-errors",
        is_flag=True,
        help="Report bad inputs on stderr and go on (exit 3 if any were skipped).",
    )(cmd)
    cmd = click.option("--id-column", default=None, help="Table/JSONL column with ids.")(cmd)
    cmd = click.option(
        "--text-column",
        default=None,
        help="Table/JSONL column with the text (default: text).",
    )(cmd)
    metavar = "INPUT..." if required else "[INPUT...]"
    cmd = click.argument("inputs", nargs=-1, required=required, metavar=metavar)(cmd)
    return cmd


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
    on_duplicate: str = "error",
    max_chars: int | None = None,
    transform: Callable[[Any, str], Any] | None = None,
) -> list[Document]:
    """Read every input (failing fast unless ``skip_errors``) before anything is written."""
    return list(
        read_documents(
            inputs,
            text_column=text_column,
            id_column=id_column,
            skip_errors=skip_errors,
            report=report,
            on_duplicate=on_duplicate,
            max_chars=max_chars,
            transform=transform,
        )
    )


def current_settings() -> Settings:
    """The :class:`~annotkit.config.Settings` the ``annotkit`` group built for this run."""
    ctx = click.get_current_context(silent=True)
    root = ctx.find_root() if ctx is not None else None
    if root is not None and isinstance(root.obj, Settings):
        return root.obj
    settings = Settings.load()
    if root is not None:
        root.obj = settings
    return settings


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_output(output: str | None, inputs: Sequence[str], *, overwrite_input: bool) -> None:
    """Refuse an output path that is one of the input files (or inside an input folder),
    unless ``overwrite_input``."""
    if output in (None, "-") or overwrite_input:
        return
    for item in inputs:
        if item == "-":
            continue
        same = Path(item).is_file() and _same_file(str(output), item)
        inside = Path(item).is_dir() and _inside(str(output), item)
        if same or inside:
            what = "one of the inputs" if same else f"inside the input folder {item!r}"
            raise ConfigError(
                f"{output}: the output is {what}; writing it would replace what is being read "
                "(human annotations included). Write elsewhere, or pass --overwrite-input if "
                "you mean it"
            )


def _inside(path: str, folder: str) -> bool:
    """``path`` is an existing file under ``folder`` that a folder read would pick up (an
    input suffix, no hidden folder on the way: :func:`annotkit.io.iter_input_files`)."""
    target = Path(path)
    if not target.is_file() or target.suffix.lower() not in INPUT_SUFFIXES:
        return False
    try:
        rel = target.resolve().relative_to(Path(folder).resolve())
    except ValueError:
        return False
    return not any(part.startswith(".") for part in rel.parts)


def force_option(
    func: F,
    *,
    help: str = "Replace an existing -o file without keeping a timestamped .bak of it.",  # noqa: A002
) -> F:
    return click.option("--force", is_flag=True, help=help)(func)


def output_backups(force: bool) -> Backups | None:
    """What a command passes as ``backups=`` to ``write_jsonl``/``atomic_writer``: an
    existing output whose content changes is kept as ``<name>.<UTC stamp>.bak``, unless
    ``--force``. Report what was kept with :func:`report_backups`."""
    return None if force else Backups()


def report_backups(backups: Backups | None) -> None:
    """Say on stderr which replaced outputs were kept, and where."""
    for output, backup in backups.kept if backups is not None else ():
        warn(f"note: {output} existed with other content; kept it as {backup} (--force: no backup)")


def overwrite_input_option(func: F) -> F:
    return click.option(
        "--overwrite-input",
        is_flag=True,
        help="Allow -o to name one of the input files (its old content is replaced).",
    )(func)


_NOT_AN_ANSWER = frozenset({"reject", "ignore"})


def _prodigy_answer(doc: Document) -> str | None:
    answer = doc.extra.get("answer") if doc.extra else None
    return answer if isinstance(answer, str) else None


def reviewed_only(
    docs: Sequence[Document], *, include_unconfirmed: bool, what: str
) -> list[Document]:
    """Leave out documents pulled from doccano without being confirmed, saying how many.

    Records with no review state (gold files, hand-made data) count as reviewed. Prodigy
    records answered ``reject`` or ``ignore`` are always left out (their spans are what the
    annotator turned down or skipped, not an answer), also saying how many.
    """
    answered = [d for d in docs if _prodigy_answer(d) not in _NOT_AN_ANSWER]
    if len(answered) < len(docs):
        warn(
            f"{what}: left out {len(docs) - len(answered)} Prodigy record(s) answered "
            "'reject' or 'ignore' (their spans are not the annotator's answer)"
        )
        docs = answered
    unconfirmed = [d for d in docs if not d.reviewed]
    if not unconfirmed:
        return list(docs)
    if include_unconfirmed:
        warn(
            f"{what}: including {len(unconfirmed)} unconfirmed document(s) pulled from doccano "
            "(--include-unconfirmed)"
        )
        return list(docs)
    warn(
        f"{what}: left out {len(unconfirmed)} of {len(docs)} document(s) pulled from doccano "
        "but not confirmed there (their spans may be unreviewed suggestions); pass "
        "--include-unconfirmed to use them"
    )
    return [d for d in docs if d.reviewed]


def include_unconfirmed_option(func: F) -> F:
    return click.option(
        "--include-unconfirmed",
        is_flag=True,
        help="Also use documents pulled from doccano that nobody confirmed.",
    )(func)


def finish_report(report: ReadReport | Inputs, *, quiet: bool) -> None:
    """Print skipped inputs to stderr and exit 3 if any were skipped."""
    if isinstance(report, Inputs):
        report = report.report
    if report.duplicates:
        warn(f"{report.duplicates} document(s) with an id read before were left out (keep-first).")
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
