"""``annotkit run``: the whole pipeline on a batch, written to a folder."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import click

from annotkit.batch import Job
from annotkit.cli._batch import BatchOptions, batch_options, batch_run, detect_options, local_path
from annotkit.cli._common import (
    Inputs,
    current_settings,
    finish_report,
    handle_errors,
    input_options,
    quiet_option,
    warn,
)
from annotkit.io import atomic_writer
from annotkit.jobs import run_lines
from annotkit.parts import PartStore, parts_folder
from annotkit.pipeline import RUN_FILES, SummaryEntry, table_header, table_line, write_summary


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
@batch_options
@handle_errors
def run_cli(
    source: Inputs,
    out_dir: str,
    engine: str,
    model: str | None,
    models_dir: str | None,
    quiet: bool,
    batch: BatchOptions,
) -> None:
    """Run language detection, parallel alignment and pre-annotation into a folder.

    Each JSONL file holds the whole record after its stage (docs/record.md), documents in
    input order, so any of them feeds the next command. Prints a per-document summary
    table on stdout.

    \b
    Examples:
      annotkit run seeds -o annotations/pre
      annotkit run corpus/*.txt -o out/ --skip-errors --quiet
      annotkit run corpus/ -o out/ --workers 2 --resume
    """
    cfg = current_settings().with_overrides(models_dir=models_dir)
    options: dict[str, Any] = {
        "engine": engine,
        "model": local_path(model),
        "models_dir": local_path(cfg.models_dir),
        "detect_options": detect_options(cfg),
    }
    job = Job("run", partial(run_lines, **options, threads=cfg.threads), (*RUN_FILES,), options)
    parts = parts_folder(out_dir, folder_output=True)
    with batch_run(job, source, batch, parts=parts, quiet=quiet) as (store, _):
        paths, totals = _write_results(store, Path(out_dir))
        if not quiet:
            click.echo("\n".join(table_header()))
            for line in store.lines("summary"):
                click.echo(table_line(SummaryEntry.from_json(line).row))
            click.echo(table_line(totals))
    if not quiet:
        warn("written: " + ", ".join(str(p) for p in paths.values()))
    finish_report(source, quiet=quiet)


def _write_results(store: PartStore, out: Path) -> tuple[dict[str, Path], dict[str, Any]]:
    """detect/align/annotate.jsonl and summary.json from the finished partitions.

    RETURNS the paths written, by stage, and the summary's totals row.
    """
    paths = {stage: out / name for stage, name in RUN_FILES.items()}
    for stage in ("detect", "align", "annotate"):
        store.write_stream(stage, paths[stage])
    with atomic_writer(paths["summary"]) as handle:
        entries = (SummaryEntry.from_json(line) for line in store.lines("summary"))
        totals = write_summary(entries, handle)
    return paths, totals
