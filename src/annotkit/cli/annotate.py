"""``annotkit annotate``: pre-annotate CELL_TYPE, DOSE and SCALE into JSONL records."""

from __future__ import annotations

from functools import partial
from typing import Any

import click

from annotkit.annotate import ENGINES
from annotkit.batch import Job
from annotkit.cli._batch import (
    BatchOptions,
    batch_options,
    detect_options,
    local_path,
    write_jsonl_output,
)
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
from annotkit.doc import Document
from annotkit.jobs import annotate_lines

__all__ = ["annotate_cli"]


@click.command("annotate")
@input_options
@output_option
@overwrite_input_option
@force_option
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
@click.option("--models-dir", default=None, help="Models folder (default: $ANNOTKIT_MODELS_DIR).")
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=None,
    help="torch threads for the model engine (default $ANNOTKIT_THREADS or 1).",
)
@click.option(
    "--project/--no-project",
    default=True,
    show_default=True,
    help="Project entities across aligned EN/ZH sentences.",
)
@batch_options
@handle_errors
def annotate_cli(
    source: Inputs,
    output: str | None,
    overwrite_input: bool,
    force: bool,
    quiet: bool,
    engine: str,
    model: str | None,
    models_dir: str | None,
    threads: int | None,
    project: bool,
    batch: BatchOptions,
) -> None:
    """Pre-annotate CELL_TYPE, DOSE and SCALE; one JSONL record per document.

    The record's label and spans (with source, score, norm) are replaced by the engine's;
    every other field is kept. Documents holding English and Chinese are detected and
    aligned first when their record lacks those stages (for projection). An existing -o file
    is kept as a timestamped .bak when its content changes (--force: no backup); -o may not
    name an input (--overwrite-input).

    \b
    Examples:
      annotkit annotate seeds/ -o pre.jsonl
      annotkit annotate corpus.csv --text-column abstract --skip-errors -o pre.jsonl
      annotkit annotate seeds/ --engine ensemble --model ner/v1 -o pre.jsonl
      annotkit detect doc.txt | annotkit align - | annotkit annotate - > pre.jsonl
      annotkit annotate corpus/ --workers 2 -o pre.jsonl
    """
    check_output(output, source.paths, overwrite_input=overwrite_input)
    cfg = current_settings().with_overrides(models_dir=models_dir, threads=threads)
    options: dict[str, Any] = {
        "engine": engine,
        "model": local_path(model),
        "project": project,
        "models_dir": local_path(cfg.models_dir),
        "detect_options": detect_options(cfg),
    }
    func = partial(annotate_lines, **options, threads=cfg.threads)
    job = Job("annotate", func, ("annotate",), options)
    replaced = _Count()
    backups = output_backups(force)
    n = write_jsonl_output(job, source, output, batch, quiet=quiet, watch=replaced.add,
                           backups=backups)  # fmt: skip
    report_backups(backups)
    if replaced.n and not quiet:
        warn(f"note: {replaced.n} input document(s) had spans; they were replaced by the {engine} "
             "engine's (the inputs are unchanged)")  # fmt: skip
    if not quiet:
        warn(f"annotated {n} document(s) with the {engine} engine")
    finish_report(source, quiet=quiet)


class _Count:
    """Input documents that already had spans (they are replaced)."""

    def __init__(self) -> None:
        self.n = 0

    def add(self, doc: Document) -> None:
        self.n += bool(doc.spans)
