"""``annotkit detect``: languages of documents, blocks and sentences as JSONL records."""

from __future__ import annotations

from functools import partial
from typing import Any

import click

from annotkit.batch import Job
from annotkit.cli._batch import BatchOptions, batch_options, detect_options, write_jsonl_output
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
    quiet_option,
    report_backups,
    warn,
)
from annotkit.jobs import detect_lines
from annotkit.langid import BACKENDS
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
@batch_options
@handle_errors
def detect_cli(
    source: Inputs,
    output: str | None,
    overwrite_input: bool,
    force: bool,
    quiet: bool,
    segmenter: str,
    backend: str,
    batch: BatchOptions,
) -> None:
    """Detect languages of documents, blocks and sentences; one JSONL record per document.

    The record (docs/record.md) gains lang, langs, zh_script, segments and sentences; every
    other field of an input record is kept, so the output feeds align, annotate and export.

    \b
    Examples:
      annotkit detect seeds/ -o detect.jsonl
      annotkit detect paper.txt | annotkit align - | annotkit annotate - > pre.jsonl
      cat docs.jsonl | annotkit detect - --quiet > detect.jsonl
      annotkit detect corpus/ --scheduler tcp://10.0.0.5:8786 -o detect.jsonl --resume
    """
    check_output(output, source.paths, overwrite_input=overwrite_input)
    opts: dict[str, Any] = {"segmenter": segmenter, "backend": backend,
                            "detect_options": detect_options(current_settings())}  # fmt: skip
    job = Job("detect", partial(detect_lines, **opts), ("detect",), opts)
    backups = output_backups(force)
    n = write_jsonl_output(job, source, output, batch, quiet=quiet, backups=backups)
    report_backups(backups)
    if not quiet:
        warn(f"detected {n} document(s)")
    finish_report(source, quiet=quiet)
