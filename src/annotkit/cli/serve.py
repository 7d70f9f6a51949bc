"""``annotkit serve``: the live pre-annotation service doccano's auto-labelling calls."""

from __future__ import annotations

import logging

import click

from annotkit.cli._common import current_settings, handle_errors, limit_torch_threads, warn
from annotkit.serve.annotator import SERVE_ENGINES
from annotkit.serve.service import DEFAULT_HOST, DEFAULT_PORT

__all__ = ["serve_cli"]


@click.command("serve")
@click.option(
    "--home",
    type=click.Path(file_okay=False),
    default=None,
    help="doccano home: token, suggestion ledger (default: $ANNOTKIT_DOCCANO_HOME).",
)
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="Port (0: a free one).",
)
@click.option(
    "--engine",
    type=click.Choice(SERVE_ENGINES),
    default="auto",
    show_default=True,
    help="auto: ensemble with the promoted model, else the rules.",
)
@click.option("--models-dir", default=None, help="Models folder (default: $ANNOTKIT_MODELS_DIR).")
@click.option("--threads", type=click.IntRange(min=1), default=None, help="torch threads.")
@click.option("--access-log", is_flag=True, help="Log every request to stderr.")
@handle_errors
def serve_cli(home: str | None, host: str, port: int, engine: str, models_dir: str | None,
              threads: int | None, access_log: bool) -> None:  # fmt: skip
    """Answer POST /annotate with pre-annotations in doccano's offsets (bearer token).

    \b
    Examples:
      annotkit serve --port 8750
      annotkit doccano autolabel --project cells
    """
    from annotkit.serve import Annotator, run_service

    cfg = current_settings().with_overrides(models_dir=models_dir, threads=threads)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    annotator = Annotator(engine=engine, models_dir=cfg.models_dir, latin_langs=cfg.latin_langs,
                          before_model_load=lambda: limit_torch_threads(cfg.threads))  # fmt: skip
    run_service(home=home or cfg.doccano_home, annotator=annotator, host=host, port=port,
                access_log=access_log, ready=lambda url: warn(f"serving at {url}"))  # fmt: skip
