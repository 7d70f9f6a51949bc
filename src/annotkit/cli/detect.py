"""``annotkit detect``: languages of documents, blocks and sentences as JSONL."""

from __future__ import annotations

import click

from annotkit.cli._common import (
    finish_report,
    handle_errors,
    input_options,
    load_documents,
    output_option,
    progress,
    quiet_option,
    warn,
)
from annotkit.io import ReadReport, write_jsonl
from annotkit.langid import BACKENDS, detect, detection_to_record
from annotkit.segment import SEGMENTERS

__all__ = ["detect_cli"]


@click.command("detect")
@input_options
@output_option
@quiet_option
@click.option(
    "--segmenter",
    type=click.Choice(SEGMENTERS),
    default="rules",
    show_default=True,
    help="Sentence segmenter (stanza needs local tokenize models).",
)
@click.option(
    "--backend",
    type=click.Choice(BACKENDS),
    default="profile",
    show_default=True,
    help="Scorer for Latin-script text.",
)
@handle_errors
def detect_cli(
    inputs: tuple[str, ...],
    text_column: str | None,
    id_column: str | None,
    skip_errors: bool,
    output: str | None,
    quiet: bool,
    segmenter: str,
    backend: str,
) -> None:
    """Detect languages of documents, blocks and sentences; one JSONL record per document.

    \b
    Examples:
      annotkit detect seeds/ -o detect.jsonl
      annotkit detect paper.txt --segmenter rules
      cat docs.jsonl | annotkit detect - --quiet > detect.jsonl
    """
    report = ReadReport()
    docs = load_documents(
        inputs,
        text_column=text_column,
        id_column=id_column,
        skip_errors=skip_errors,
        report=report,
    )
    found = (
        detection_to_record(detect(d, segmenter=segmenter, backend=backend))  # type: ignore[arg-type]
        for d in progress(docs, quiet=quiet, desc="detect")
    )
    n = write_jsonl(found, output)
    if not quiet:
        warn(f"detected {n} document(s)")
    finish_report(report, quiet=quiet)
