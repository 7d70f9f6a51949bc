"""``annotkit export``: NER corpora (CoNLL, HF, spaCy, Prodigy, …) or parallel corpora (TMX, …)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import click

from annotkit.cli._common import (
    Inputs,
    finish_report,
    force_option,
    handle_errors,
    include_unconfirmed_option,
    input_options,
    output_backups,
    quiet_option,
    report_backups,
    reviewed_only,
    warn,
)
from annotkit.doc import Document
from annotkit.export import ALIGNMENT_MODES, FORMATS, PARALLEL_FORMATS, export

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
@click.option(
    "--skip-empty-splits",
    is_flag=True,
    help="Leave out a split that would be empty (warning) instead of stopping with an error.",
)
@click.option("--zh-tokens", type=click.Choice(["char", "word"]), default="char", show_default=True)
@click.option(
    "--alignment",
    type=click.Choice(ALIGNMENT_MODES),
    default="strict",
    show_default=True,
    help="spacy: spans off spaCy token edges get missing tokens (strict) or snap to tokens.",
)
@click.option("--grapheme", is_flag=True, help="doccano: offsets in grapheme clusters, not UTF-16.")
@include_unconfirmed_option
@functools.partial(
    force_option,
    help="Replace files in the folder's way (not written by annotkit, or edited since) "
    "without keeping a timestamped .bak of each.",
)
@quiet_option
@handle_errors
def export_cli(source: Inputs, fmt: str, output: str, split: str | None, skip_empty_splits: bool,
               zh_tokens: str, alignment: str, grapheme: bool, include_unconfirmed: bool,
               force: bool, quiet: bool) -> None:  # fmt: skip
    """Export annotated documents (NER) or aligned documents (tmx|moses|tsv) to a folder.

    Files of an earlier export into the folder are replaced; others are left alone, except
    a file this export would overwrite that annotkit did not write (or an earlier export's
    file edited since): it is kept as <name>.<UTC stamp>.bak (--force: replaced without a
    backup). Parallel formats align records that have no `pairs` first.

    \b
    Examples:
      annotkit export annotations/gold/seeds.jsonl --format conll -o out/conll --split 80/10/10
      annotkit export corrected.jsonl --format hf -o out/hf --zh-tokens word
      annotkit export corrected.jsonl --format spacy -o out/spacy --split 80/20
      annotkit export pairs.jsonl --format tmx -o out/tmx
    """
    items = reviewed_only(source.read(), include_unconfirmed=include_unconfirmed, what="export")
    if fmt in PARALLEL_FORMATS:
        items = [_aligned(d) for d in items]
    backups = output_backups(force)
    summary = export(items, fmt, output, split=split, zh_tokens=zh_tokens, sources=source.paths,
                     skip_empty_splits=skip_empty_splits, alignment=alignment,
                     grapheme=grapheme, backups=backups, force=force)  # fmt: skip
    report_backups(backups)
    if not quiet:
        warn(_wrote(summary, output))
    finish_report(source, quiet=quiet)


def _wrote(summary: Mapping[str, Any], output: str) -> str:
    """``wrote train.conll (3 documents), …, README.md to out/conll``."""
    unit = "unit" if "units" in summary else "document"
    sizes = {
        name: (c if isinstance(c, int) else c["documents"]) for name, c in summary["splits"].items()
    }
    shown = []
    for fname in summary["files"]:
        stem = fname.split(".", 1)[0]
        n = sizes.get(stem)
        shown.append(fname if n is None else f"{fname} ({n} {unit}{'' if n == 1 else 's'})")
    line = f"wrote {', '.join(shown)} to {output}"
    if summary.get("removed"):
        line += f" (replacing {len(summary['removed'])} file(s) of the previous export)"
    return line


def _aligned(doc: Document) -> Document:
    """The document with its ``pairs`` (detected and aligned first when the record lacks them)."""
    if doc.pairs is not None:
        return doc
    from annotkit.pipeline import ensure, run_stage

    return run_stage(ensure(doc, "align"), "align")
