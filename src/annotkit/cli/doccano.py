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


def _ledger(home: str | None) -> Any:
    from annotkit.sync.ledger import ledger_for
    from annotkit.sync.server import default_home

    return ledger_for(Path(home).expanduser() if home else default_home())


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
    "--guidelines",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="Markdown file for the project's guideline page (default: the packaged annotator "
    "guidelines).",
)
@click.option(
    "--chunk-size",
    type=click.IntRange(min=1),
    default=2000,
    show_default=True,
    help="Documents per JSONL import task.",
)
@click.option(
    "--lock-wait",
    type=click.FloatRange(min=0),
    default=600.0,
    show_default=True,
    help="Seconds to wait for another push to the same project to finish.",
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
    guidelines: str | None,
    chunk_size: int,
    lock_wait: float,
    order: str,
    home: str | None,
    quiet: bool,
) -> None:
    """Upload documents and their spans as suggestions (idempotent, resumable, lock-safe).

    \b
    Examples:
      annotkit annotate seeds/ -o pre.jsonl
      annotkit doccano push pre.jsonl --project cells --create
      annotkit rank pre.jsonl -o ranked.jsonl
      annotkit doccano push ranked.jsonl --project cells --order rank
    """
    from annotkit.sync import connect, guideline_text, push

    docs = list(read_documents(inputs, report=ReadReport()))
    page = guideline_text(guidelines) if guidelines else None
    api = connect(home)
    with _bar(len(docs), quiet, "push") as bar:
        report = push(
            docs,
            project,
            client=api,
            ledger=_ledger(home),
            create=create,
            grapheme=grapheme,
            guideline=page,
            chunk_size=chunk_size,
            lock_wait=lock_wait,
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
    """Download every example with the annotators' spans, who made each, its review state.

    \b
    Examples:
      annotkit doccano pull --project cells -o annotations/cells.jsonl
    """
    from annotkit.io import document_to_record, write_jsonl
    from annotkit.sync import connect, pull, write_pull
    from annotkit.sync.diff import format_report

    result = pull(project, client=connect(home), ledger=_ledger(home))
    summary = {
        "project": project,
        "examples": result.examples,
        "confirmed": result.confirmed,
        "states": result.states,
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
        states = ", ".join(f"{n} {state}" for state, n in result.states.items()) or "none"
        warn(
            f"{result.examples} examples ({states}); changes to the suggestions on confirmed "
            "examples:"
        )
        warn(format_report(result.changes))


# --------------------------------------------------------------------------- autolabel
@doccano_cli.command("autolabel")
@click.option("--project", required=True, help="doccano project name.")
@_HOME
@click.option(
    "--serve-url",
    default=None,
    help="Where doccano reaches `annotkit serve` (default: the service running for --home).",
)
@click.option("--check/--no-check", default=True, show_default=True,
              help="Have doccano call the service once before configuring.")  # fmt: skip
@handle_errors
def autolabel_cli(project: str, home: str | None, serve_url: str | None, check: bool) -> None:
    """Make the project's auto-labelling (the wand) call `annotkit serve`; idempotent.

    \b
    Examples:
      annotkit serve &
      annotkit doccano autolabel --project cells
    """
    from typing import cast

    from annotkit.cli._common import current_settings
    from annotkit.serve import read_token, recorded_url
    from annotkit.sync import connect
    from annotkit.sync.autolabel import configure_autolabel
    from annotkit.sync.client import DoccanoSync

    root = Path(home).expanduser() if home else current_settings().doccano_home
    url = serve_url or _serve_url(root, _wait_for_service(root, recorded_url))
    api = cast(DoccanoSync, connect(home))
    report = configure_autolabel(api, project, serve_url=url, token=read_token(root), check=check)
    click.echo(json.dumps(report.to_dict()))
    warn(f"auto-labelling of {project!r}: {report.action} (config {report.config_id}, {url})")


def _wait_for_service(root: Path, recorded_url: Any, seconds: float = 30.0) -> str | None:
    """The running service's URL; waits a little for one that is still starting
    (``annotkit serve &`` right before this command)."""
    import time

    deadline = time.monotonic() + seconds
    while True:
        url: str | None = recorded_url(root)
        if url is not None or time.monotonic() > deadline:
            return url
        time.sleep(0.5)


def _serve_url(root: Path, recorded: str | None) -> str:
    if recorded is None:
        from annotkit.errors import ConfigError

        raise ConfigError(
            f"doccano autolabel: no `annotkit serve` is running for {root}; start it (`annotkit "
            f"serve --home {root}`) or pass --serve-url URL"
        )
    return recorded
