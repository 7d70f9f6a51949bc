"""``annotkit run``: the whole pipeline on a batch, written to a folder."""

from __future__ import annotations

import click

from annotkit.cli._common import (
    finish_report,
    handle_errors,
    input_options,
    limit_torch_threads,
    load_documents,
    progress,
    quiet_option,
    warn,
)
from annotkit.io import ReadReport
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
@quiet_option
@handle_errors
def run_cli(
    inputs: tuple[str, ...],
    text_column: str | None,
    id_column: str | None,
    skip_errors: bool,
    out_dir: str,
    engine: str,
    model: str | None,
    quiet: bool,
) -> None:
    """Run language detection, parallel alignment and pre-annotation into a folder.

    Prints a per-document summary table on stdout.

    \b
    Examples:
      annotkit run seeds -o annotations/pre
      annotkit run corpus/*.txt -o out/ --skip-errors --quiet
    """
    if engine != "rules":
        limit_torch_threads(1)
    report = ReadReport()
    docs = load_documents(
        inputs, text_column=text_column, id_column=id_column, skip_errors=skip_errors, report=report
    )
    results = [
        run_document(d, engine=engine, model=model)
        for d in progress(docs, quiet=quiet, desc="pipeline")
    ]
    paths = write_results(results, out_dir)
    if not quiet:
        click.echo(summarise(sorted(results, key=lambda r: r.doc.id)).format_table())
        warn("written: " + ", ".join(str(p) for p in paths.values()))
    finish_report(report, quiet=quiet)
