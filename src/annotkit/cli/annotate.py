"""``annotkit annotate``: pre-annotate CELL_TYPE, DOSE and SCALE into doccano JSONL."""

from __future__ import annotations

import click

from annotkit.annotate import ENGINES, annotate_documents
from annotkit.cli._common import (
    finish_report,
    handle_errors,
    input_options,
    limit_torch_threads,
    load_documents,
    output_option,
    progress,
    quiet_option,
    warn,
)
from annotkit.io import ReadReport, document_to_record, write_jsonl

__all__ = ["annotate_cli"]


@click.command("annotate")
@input_options
@output_option
@quiet_option
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="rules",
    show_default=True,
    help="rules (built in), model (stanza NER) or ensemble (both, merged).",
)
@click.option(
    "--model",
    "model",
    default=None,
    help="Model folder or NAME/VERSION for --engine model|ensemble (default: promoted).",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="torch threads for the model engine (1 is fastest per core; scale out with processes).",
)
@click.option(
    "--project/--no-project",
    default=True,
    show_default=True,
    help="Project entities across aligned EN/ZH sentences.",
)
@handle_errors
def annotate_cli(
    inputs: tuple[str, ...],
    text_column: str | None,
    id_column: str | None,
    skip_errors: bool,
    output: str | None,
    quiet: bool,
    engine: str,
    model: str | None,
    threads: int,
    project: bool,
) -> None:
    """Pre-annotate CELL_TYPE, DOSE and SCALE; one doccano JSONL record per document.

    \b
    Examples:
      annotkit annotate seeds/ -o pre.jsonl
      annotkit annotate corpus.csv --text-column abstract --skip-errors -o pre.jsonl
      annotkit annotate seeds/ --engine ensemble --model ner/v1 -o pre.jsonl
      cat docs.jsonl | annotkit annotate - --quiet > pre.jsonl
    """
    if engine != "rules":
        limit_torch_threads(threads)
    report = ReadReport()
    docs = load_documents(
        inputs,
        text_column=text_column,
        id_column=id_column,
        skip_errors=skip_errors,
        report=report,
    )
    done = annotate_documents(docs, engine=engine, model=model, project=project)
    records = (document_to_record(d) for d in progress(done, quiet=quiet, desc="annotate"))
    n = write_jsonl(records, output)
    if not quiet:
        warn(f"annotated {n} document(s) with the {engine} engine")
    finish_report(report, quiet=quiet)
