"""``annotkit doccano``: a local doccano server, push pre-annotations, pull corrections."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from annotkit.cli._common import handle_errors, quiet_option, warn
from annotkit.io import ReadReport, read_documents

__all__ = ["doccano_cli"]

_HOME = click.option(
    "--home",
    type=click.Path(file_okay=False),
    default=None,
    help="Local server directory (default: the per-user data directory).",
)


def _bar(total: int, quiet: bool, desc: str) -> Any:
    from tqdm import tqdm

    return tqdm(
        total=total,
        desc=desc,
        unit="doc",
        file=sys.stderr,
        leave=False,
        disable=quiet or not sys.stderr.isatty(),
    )


@click.group("doccano", no_args_is_help=True)
def doccano_cli() -> None:
    """Run a local doccano server; push pre-annotations and pull corrections.

    Credentials come from ANNOTKIT_DOCCANO_URL, ANNOTKIT_DOCCANO_USERNAME and
    ANNOTKIT_DOCCANO_PASSWORD, else from the local server's credentials.json.

    \b
    Examples:
      annotkit doccano server start
      annotkit doccano push pre.jsonl --project cells --create
      annotkit doccano pull --project cells -o annotations/cells.jsonl
    """


@doccano_cli.group("server", no_args_is_help=True)
def server_cli() -> None:
    """Start, stop or check the local doccano server (127.0.0.1 only).

    \b
    Examples:
      annotkit doccano server start --port 8000
      annotkit doccano server status
      annotkit doccano server stop
    """


@server_cli.command("start")
@_HOME
@click.option("--port", type=int, default=None, help="Port on 127.0.0.1 (default: a free one).")
@handle_errors
def server_start_cli(home: str | None, port: int | None) -> None:
    """Start the server (building its virtualenv the first time) and wait until healthy.

    \b
    Examples:
      annotkit doccano server start --home ~/doccano-cells --port 8000
    """
    from annotkit.sync.server import start_server

    info = start_server(home, port=port, progress=warn)
    warn(f"doccano is running at {info.url}; credentials in {info.home / 'credentials.json'}")


@server_cli.command("stop")
@_HOME
@handle_errors
def server_stop_cli(home: str | None) -> None:
    """Stop the processes this home's server started.

    \b
    Examples:
      annotkit doccano server stop --home ~/doccano-cells
    """
    from annotkit.sync.server import stop_server

    n = stop_server(home)
    warn(f"stopped {n} doccano process group(s)" if n else "no doccano server was running")


@server_cli.command("status")
@_HOME
@handle_errors
def server_status_cli(home: str | None) -> None:
    """Print the server's URL, pids and health as JSON (exit 1 when not healthy).

    \b
    Examples:
      annotkit doccano server status --home ~/doccano-cells
    """
    from annotkit.errors import SyncError
    from annotkit.sync.server import server_status

    info = server_status(home)
    click.echo(
        json.dumps(
            {
                "url": info.url,
                "home": str(info.home),
                "pids": list(info.pids),
                "healthy": info.healthy,
            }
        )
    )
    if not info.healthy:
        raise SyncError(
            f"no healthy doccano server recorded in {info.home}; run "
            "`annotkit doccano server start`"
        )


@doccano_cli.command("push")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("--project", required=True, help="doccano project name.")
@click.option("--create", is_flag=True, help="Create the project if it does not exist.")
@click.option("--grapheme", is_flag=True, help="New project counts grapheme clusters.")
@click.option(
    "--chunk-size",
    type=int,
    default=2000,
    show_default=True,
    help="Documents per JSONL import task.",
)
@click.option(
    "--order",
    type=click.Choice(["id", "input", "rank"]),
    default="id",
    show_default=True,
    help="Upload order (annotators see new examples in it); rank: `annotkit rank` order.",
)
@_HOME
@quiet_option
@handle_errors
def push_cli(
    inputs: tuple[str, ...],
    project: str,
    create: bool,
    grapheme: bool,
    chunk_size: int,
    order: str,
    home: str | None,
    quiet: bool,
) -> None:
    """Upload documents and their spans as pre-annotations (idempotent, resumable).

    \b
    Examples:
      annotkit annotate seeds/ -o pre.jsonl
      annotkit doccano push pre.jsonl --project cells --create
      annotkit rank pre.jsonl -o ranked.jsonl
      annotkit doccano push ranked.jsonl --project cells --order rank
    """
    from annotkit.sync import connect, push

    docs = list(read_documents(inputs, report=ReadReport()))
    api = connect(home)
    with _bar(len(docs), quiet, "push") as bar:
        report = push(
            docs,
            project,
            client=api,
            create=create,
            grapheme=grapheme,
            chunk_size=chunk_size,
            progress=lambda n: bar.update(n - bar.n),
            order=order,
        )
    if not quiet:
        warn(json.dumps(report.to_dict()))


@doccano_cli.command("pull")
@click.option("--project", required=True, help="doccano project name.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    default=None,
    help="Write JSONL here (atomically) instead of stdout.",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the change report as JSON here (default: OUTPUT.report.json).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Overwrite a differing OUTPUT without keeping a timestamped backup.",
)
@_HOME
@quiet_option
@handle_errors
def pull_cli(
    project: str,
    output: str | None,
    report_path: str | None,
    force: bool,
    home: str | None,
    quiet: bool,
) -> None:
    """Download every example with the annotators' spans; report how they changed them.

    \b
    Examples:
      annotkit doccano pull --project cells -o annotations/cells.jsonl
    """
    from annotkit.io import document_to_record, write_jsonl
    from annotkit.sync import connect, pull, write_pull
    from annotkit.sync.diff import format_report

    result = pull(project, client=connect(home))
    summary = {
        "project": project,
        "examples": result.examples,
        "confirmed": result.confirmed,
        "changes": result.changes,
    }
    if output in (None, "-"):
        write_jsonl((document_to_record(d) for d in result.documents), None)
    else:
        backup = write_pull(result, output, force=force)
        if backup is not None:
            warn(f"{output} held different annotations; kept it as {backup}")
        report_path = report_path or f"{output}.report.json"
    if report_path:
        Path(report_path).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    if not quiet:
        warn(
            f"{result.examples} examples, {result.confirmed} confirmed; changes to the "
            "pre-annotations on confirmed examples:"
        )
        warn(format_report(result.changes))
