"""``annotkit detect``: languages of documents, blocks and sentences as JSONL records."""

from __future__ import annotations

import click

from annotkit.cli._common import (
    Inputs,
    check_output,
    current_settings,
    finish_report,
    force_option,
    handle_errors,
    input_options,
    output_backups,
    output_option,
    overwrite_input_option,
    progress,
    quiet_option,
    report_backups,
    warn,
)
from annotkit.io import write_jsonl
from annotkit.langid import BACKENDS, detect
from annotkit.record import document_to_record
from annotkit.segment import SEGMENTERS

__all__ = ["detect_cli"]


@click.command("detect")
@input_options
@output_option
@overwrite_input_option
@force_option
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
    source: Inputs,
    output: str | None,
    overwrite_input: bool,
    force: bool,
    quiet: bool,
    segmenter: str,
    backend: str,
) -> None:
    """Detect languages of documents, blocks and sentences; one JSONL record per document.

    The record (docs/record.md) gains lang, langs, zh_script, segments and sentences; every
    other field of an input record is kept, so the output feeds align, annotate and export.

    \b
    Examples:
      annotkit detect seeds/ -o detect.jsonl
      annotkit detect paper.txt | annotkit align - | annotkit annotate - > pre.jsonl
      cat docs.jsonl | annotkit detect - --quiet > detect.jsonl
    """
    check_output(output, source.paths, overwrite_input=overwrite_input)
    docs = source.read()
    options = current_settings().detect_options()
    found = (
        document_to_record(detect(d, segmenter=segmenter, backend=backend, **options))  # type: ignore[arg-type]
        for d in progress(docs, quiet=quiet, desc="detect")
    )
    n = write_jsonl(found, output, backups=(backups := output_backups(force)))
    report_backups(backups)
    if not quiet:
        warn(f"detected {n} document(s)")
    finish_report(source, quiet=quiet)
