"""``annotkit convert``: read any supported input and write annotkit JSONL records."""

from __future__ import annotations

import click

from annotkit.cli._common import (
    Inputs,
    check_output,
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
from annotkit.io import write_jsonl
from annotkit.record import document_to_record


@click.command("convert")
@input_options
@output_option
@overwrite_input_option
@force_option
@quiet_option
@handle_errors
def convert_cli(
    source: Inputs,
    output: str | None,
    overwrite_input: bool,
    force: bool,
    quiet: bool,
) -> None:
    """Read text/JSONL/CSV/TSV/Parquet inputs and write them as JSONL records.

    Encodings (UTF-8 with or without BOM, UTF-16, GB18030, Big5) are detected and recorded
    in meta.encoding; the text is kept exactly as decoded. doccano (label), Prodigy (spans)
    and annotkit records are read; the output is the annotkit record (docs/record.md).

    \b
    Examples:
      annotkit convert seeds/ -o corpus.jsonl
      annotkit convert table.csv --text-column abstract --id-column pmid -o corpus.jsonl
      cat prodigy.jsonl | annotkit convert - > corpus.jsonl
    """
    check_output(output, source.paths, overwrite_input=overwrite_input)
    docs = source.read()
    backups = output_backups(force)
    count = write_jsonl((document_to_record(d) for d in docs), output, backups=backups)
    report_backups(backups)
    if not quiet:
        warn(f"{count} document(s) written to {output or 'stdout'}.")
    finish_report(source, quiet=quiet)
