"""``annotkit run``: the whole pipeline on a batch, written to a folder."""

from __future__ import annotations

import click

from annotkit.cli._common import (
    Inputs,
    current_settings,
    finish_report,
    handle_errors,
    input_options,
    limit_torch_threads,
    progress,
    quiet_option,
    warn,
)
from annotkit.pipeline import run_document, summarise, write_results


@click.command("run")
@input_options
@click.option(
    "-o",
    "--output",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder for detect.jsonl, align.jsonl, annotate.jsonl and summary.json.",
)
@click.option(
    "--engine",
    type=click.Choice(["rules", "model", "ensemble"]),
    default="rules",
    show_default=True,
    help="Pre-annotation engine.",
)
@click.option("--model", default=None, help="Model directory for --engine model|ensemble.")
@click.option("--models-dir", default=None, help="Models folder (default: $ANNOTKIT_MODELS_DIR).")
@quiet_option
@handle_errors
def run_cli(
    source: Inputs,
    out_dir: str,
    engine: str,
    model: str | None,
    models_dir: str | None,
    quiet: bool,
) -> None:
    """Run language detection, parallel alignment and pre-annotation into a folder.

    Each JSONL file holds the whole record after its stage (docs/record.md), so any of them
    feeds the next command. Prints a per-document summary table on stdout.

    \b
    Examples:
      annotkit run seeds -o annotations/pre
      annotkit run corpus/*.txt -o out/ --skip-errors --quiet
    """
    cfg = current_settings().with_overrides(models_dir=models_dir)
    if engine != "rules":
        limit_torch_threads(cfg.threads)
    docs = source.read()
    results = [
        run_document(
            d,
            engine=engine,
            model=model,
            models_dir=cfg.models_dir,
            detect_options=cfg.detect_options(),
        )  # fmt: skip
        for d in progress(docs, quiet=quiet, desc="pipeline")
    ]
    paths = write_results(results, out_dir)
    if not quiet:
        click.echo(summarise(sorted(results, key=lambda r: r.doc.id)).format_table())
        warn("written: " + ", ".join(str(p) for p in paths.values()))
    finish_report(source, quiet=quiet)
