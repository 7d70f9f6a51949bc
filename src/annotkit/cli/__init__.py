"""The ``annotkit`` command line: one click group, one module per command (loaded lazily)."""

from __future__ import annotations

import errno
import importlib
import importlib.util
import io
import logging
import signal
import sys
from typing import Any

import click

from annotkit import __version__
from annotkit.cli._signals import Terminated, install_signal_handlers
from annotkit.config import Settings
from annotkit.errors import AnnotkitError

__all__ = ["cli", "main"]

# command name -> (module under annotkit.cli, attribute, one-line help shown in `annotkit --help`)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "run": ("run", "run_cli", "Run the whole pipeline (detect, align, annotate) into a folder."),
    "convert": (
        "convert",
        "convert_cli",
        "Read txt/JSONL/CSV/TSV/Parquet into JSONL documents.",
    ),
    "detect": ("detect", "detect_cli", "Detect languages of documents, blocks and sentences."),
    "align": ("align", "align_cli", "Find and align parallel EN/ZH passages and sentences."),
    "annotate": ("annotate", "annotate_cli", "Pre-annotate CELL_TYPE, DOSE and SCALE entities."),
    "evaluate": (
        "evaluate",
        "evaluate_cli",
        "Score predicted spans against gold.",
    ),
    "export": ("export", "export_cli", "Export NER or parallel corpora (CoNLL, HF, TMX, …)."),
    "report": ("report", "report_cli", "Write an HTML report of entities, alignments, reviews."),
    "doccano": ("doccano", "doccano_cli", "Run a local doccano server; push and pull annotations."),
    "train": ("train", "train_cli", "Learn from corrected annotations (a model folder)."),
    "models": ("models", "models_cli", "List, show and promote trained models."),
    "rank": ("rank", "rank_cli", "Order documents by the value of correcting them next."),
    "serve": ("serve", "serve_cli", "Serve live pre-annotations to doccano's auto-labelling."),
}


class LazyGroup(click.Group):
    """A group that imports a command's module only when that command is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in COMMANDS if self._available(name)]

    def _available(self, name: str) -> bool:
        module = COMMANDS[name][0]
        return importlib.util.find_spec(f"annotkit.cli.{module}") is not None

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS or not self._available(cmd_name):
            return None
        module, attr, _ = COMMANDS[cmd_name]
        mod = importlib.import_module(f"annotkit.cli.{module}")
        command: click.Command = getattr(mod, attr)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="annotkit")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def cli(debug: bool) -> None:
    """annotkit: build bilingual (English/Chinese) biomedical training corpora.

    \b
    Examples:
      annotkit detect seeds/ -o detect.jsonl
      annotkit annotate seeds/ -o pre.jsonl
      annotkit run seeds/ -o annotations/pre
    """
    # The CLI owns logging: keep third-party start-up chatter (jieba's dictionary load)
    # off stderr unless --debug. A filter, because jieba resets its level when imported.
    if not debug:
        logging.getLogger("jieba").addFilter(_warnings_only)
    ctx = click.get_current_context()
    try:
        ctx.obj = Settings.load()  # the one place settings are read; commands pass them down
    except AnnotkitError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(1)


def _warnings_only(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING


class _ClosedStream(io.TextIOBase):
    """Stands in for a closed stdout/stderr (``annotkit … >&-``): writing is an error."""

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "standard output is closed")


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point.

    SIGTERM, SIGHUP and Ctrl-C end the run cleanly: temporary outputs are removed, nothing
    half-written replaces an output, and the exit code is 128 + the signal number.
    """
    if sys.stdout is None:
        sys.stdout = _ClosedStream()
    if sys.stderr is None:
        sys.stderr = _ClosedStream()
    install_signal_handlers()
    try:
        return cli.main(args=argv, prog_name="annotkit")
    except Terminated as stop:
        name = signal.Signals(stop.signum).name
        try:
            click.echo(
                f"error: <run>: stopped by {name}; unfinished outputs were removed and existing "
                f"ones left as they were: {stop.advice}",
                err=True,
            )
        except (OSError, ValueError):
            pass
        sys.exit(128 + stop.signum)
