"""``annotkit report``: one self-contained HTML page of detections, alignments and reviews."""

from __future__ import annotations

import sys
from dataclasses import replace

import click

from annotkit.cli._common import (
    Inputs,
    check_output,
    finish_report,
    handle_errors,
    input_options,
    quiet_option,
    warn,
)
from annotkit.io import atomic_writer, read_documents
from annotkit.pipeline import run_inputs
from annotkit.report import DEFAULT_MAX_CHARS, DEFAULT_MAX_MB, report_documents

__all__ = ["report_cli"]


@click.command("report")
@input_options
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True),
    help="The HTML file to write (atomically); - for stdout.",
)
@click.option(
    "--gold",
    type=click.Path(dir_okay=False),
    default=None,
    help="Gold JSONL: add strict and lenient P/R/F1 per label (as `annotkit evaluate`).",
)
@click.option("--intersection", is_flag=True, help="With --gold: score only the shared ids.")
@click.option("--title", default="annotkit report", show_default=True, help="Page title.")
@click.option(
    "--max-mb",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_MAX_MB,
    show_default=True,
    help="Size budget of the page; over it, every k-th document gets a view.",
)
@click.option(
    "--max-chars",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_CHARS,
    show_default=True,
    help="Longest text shown per document view.",
)
@quiet_option
@handle_errors
def report_cli(source: Inputs, output: str, gold: str | None, intersection: bool, title: str,
               max_mb: float, max_chars: int, quiet: bool) -> None:  # fmt: skip
    """Write an HTML report: entities, language runs, aligned pairs, gold scores, reviews.

    INPUT is anything annotkit writes: a `run` folder (its annotate.jsonl is read),
    annotate/align/pull JSONL. The page is self-contained (no network when viewed).

    \b
    Examples:
      annotkit report annotations/pre -o report.html --gold annotations/gold/seeds.jsonl
      annotkit report pulled.jsonl -o review.html
    """
    read = tuple(run_inputs(source.paths))  # a run folder: only its last stage's file
    check_output(output, read, overwrite_input=False)
    docs = replace(source, paths=read).read()
    gold_docs = list(read_documents([gold])) if gold is not None else None
    page = report_documents(docs, gold=gold_docs, intersection=intersection,
                            input_names=source.paths, gold_name=gold, title=title,
                            max_mb=max_mb, max_chars=max_chars)  # fmt: skip
    _write(page.html, output)
    if not quiet:
        warn(f"report: {page.shown} of {page.documents} documents shown, {page.size:,} bytes")
    finish_report(source, quiet=quiet)


def _write(html: str, output: str) -> None:
    if output == "-":
        sys.stdout.write(html)
        return
    with atomic_writer(output) as handle:
        handle.write(html)
