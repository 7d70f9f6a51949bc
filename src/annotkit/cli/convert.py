"""``annotkit convert``: read any supported input and write annotkit/doccano JSONL."""

from __future__ import annotations

import click

from annotkit.cli._common import (
    finish_report,
    handle_errors,
    input_options,
    load_documents,
    output_option,
    quiet_option,
    warn,
)
from annotkit.io import ReadReport, document_to_record, write_jsonl


@click.command("convert")
@input_options
@output_option
@quiet_option
@handle_errors
def convert_cli(
    inputs: tuple[str, ...],
    text_column: str | None,
    id_column: str | None,
    skip_errors: bool,
    output: str | None,
    quiet: bool,
) -> None:
    """Read text/JSONL/CSV/TSV/Parquet inputs and write them as JSONL documents.

    Encodings (UTF-8 with or without BOM, UTF-16, GB18030, Big5) are detected and recorded
    in meta.encoding; the text is kept exactly as decoded.

    \b
    Examples:
      annotkit convert seeds/ -o corpus.jsonl
      annotkit convert table.csv --text-column abstract --id-column pmid -o corpus.jsonl
      cat docs.jsonl | annotkit convert - > corpus.jsonl
    """
    report = ReadReport()
    docs = load_documents(
        inputs, text_column=text_column, id_column=id_column, skip_errors=skip_errors, report=report
    )
    count = write_jsonl((document_to_record(d, with_entities=False) for d in docs), output)
    if not quiet:
        warn(f"{count} document(s) written to {output or 'stdout'}.")
    finish_report(report, quiet=quiet)
