"""``annotkit export``: NER corpora (CoNLL, stanza, HF, CSV, …) or parallel corpora (TMX, …)."""

from __future__ import annotations

import click

from annotkit.cli._common import (
    Inputs,
    finish_report,
    handle_errors,
    include_unconfirmed_option,
    input_options,
    quiet_option,
    reviewed_only,
    warn,
)
from annotkit.doc import Document
from annotkit.export import FORMATS, PARALLEL_FORMATS, export

__all__ = ["export_cli"]


@click.command("export")
@input_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True, help="Output format.")
@click.option(
    "-o", "--output", required=True, type=click.Path(file_okay=False), help="Output folder."
)
@click.option(
    "--split", default=None, help="Shares train/dev/test by document group, e.g. 80/10/10."
)
@click.option("--zh-tokens", type=click.Choice(["char", "word"]), default="char", show_default=True)
@include_unconfirmed_option
@quiet_option
@handle_errors
def export_cli(source: Inputs, fmt: str, output: str, split: str | None, zh_tokens: str,
               include_unconfirmed: bool, quiet: bool) -> None:  # fmt: skip
    """Export annotated documents (NER) or `annotkit align` output (tmx|moses|tsv) to a folder.

    \b
    Examples:
      annotkit export annotations/gold/seeds.jsonl --format conll -o out/conll --split 80/10/10
      annotkit export corrected.jsonl --format hf -o out/hf --zh-tokens word
      annotkit export pairs.jsonl --format tmx -o out/tmx
    """
    items = reviewed_only(source.read(), include_unconfirmed=include_unconfirmed, what="export")
    if fmt in PARALLEL_FORMATS:
        items = [_aligned(d) for d in items]
    summary = export(items, fmt, output, split=split, zh_tokens=zh_tokens, sources=source.paths)
    if not quiet:
        warn(f"wrote {', '.join(summary.get('files', []))} to {output}")
    finish_report(source, quiet=quiet)


def _aligned(doc: Document) -> Document:
    """The document with its ``pairs`` (detected and aligned first when the record lacks them)."""
    if doc.pairs is not None:
        return doc
    from annotkit.pipeline import ensure, run_stage

    return run_stage(ensure(doc, "align"), "align")
