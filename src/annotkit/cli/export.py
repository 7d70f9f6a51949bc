"""``annotkit export``: NER corpora (CoNLL, stanza, HF, CSV, …) or parallel corpora (TMX, …)."""

from __future__ import annotations

import click

from annotkit.cli._common import (
    finish_report,
    handle_errors,
    input_options,
    load_documents,
    quiet_option,
    warn,
)
from annotkit.export import FORMATS, PARALLEL_FORMATS, export
from annotkit.io import ReadReport

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
@quiet_option
@handle_errors
def export_cli(inputs: tuple[str, ...], text_column: str | None, id_column: str | None,
               skip_errors: bool, fmt: str, output: str, split: str | None, zh_tokens: str,
               quiet: bool) -> None:  # fmt: skip
    """Export annotated documents (NER) or `annotkit align` output (tmx|moses|tsv) to a folder.

    \b
    Examples:
      annotkit export annotations/gold/seeds.jsonl --format conll -o out/conll --split 80/10/10
      annotkit export corrected.jsonl --format hf -o out/hf --zh-tokens word
      annotkit export pairs.jsonl --format tmx -o out/tmx
    """
    report = ReadReport()
    if fmt in PARALLEL_FORMATS:
        from annotkit.export.parallel import read_pairs

        items: list[object] = list(read_pairs(list(inputs)))
    else:
        items = load_documents(inputs, text_column=text_column, id_column=id_column,
                               skip_errors=skip_errors, report=report)  # fmt: skip
    summary = export(items, fmt, output, split=split, zh_tokens=zh_tokens, sources=inputs)
    if not quiet:
        warn(f"wrote {', '.join(summary.get('files', []))} to {output}")
    finish_report(report, quiet=quiet)
