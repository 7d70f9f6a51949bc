"""``annotkit convert``: read any supported input and write annotkit JSONL records."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

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
from annotkit.errors import ConfigError
from annotkit.io import write_jsonl
from annotkit.record import document_to_record


@click.command("convert")
@input_options
@click.option(
    "--offsets",
    type=click.Choice(["codepoints", "utf16", "grapheme"]),
    default="codepoints",
    show_default=True,
    help="Units of the inputs' span offsets: a JSONL file exported by doccano counts UTF-16 "
    "code units (grapheme: a doccano project in grapheme mode); annotkit records, Prodigy "
    "and hand-made files count code points.",
)
@output_option
@overwrite_input_option
@force_option
@quiet_option
@handle_errors
def convert_cli(
    source: Inputs,
    offsets: str,
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
      annotkit convert doccano-export.jsonl --offsets utf16 -o corpus.jsonl
    """
    check_output(output, source.paths, overwrite_input=overwrite_input)
    docs = source.read(transform=_doccano_transform(source, offsets))
    backups = output_backups(force)
    count = write_jsonl((document_to_record(d) for d in docs), output, backups=backups)
    report_backups(backups)
    if not quiet:
        warn(f"{count} document(s) written to {output or 'stdout'}.")
    finish_report(source, quiet=quiet)


def _doccano_transform(source: Inputs, offsets: str) -> Callable[[Any, str], Any] | None:
    """Reads each line as a JSONL line exported by doccano, its offsets in ``offsets`` units."""
    if offsets == "codepoints":
        return None
    from annotkit.export.records import doccano_reader
    from annotkit.io import JSONL_SUFFIXES

    for path in source.paths:
        if path != "-" and not (path.lower().endswith(JSONL_SUFFIXES) and os.path.isfile(path)):
            raise ConfigError(
                f"--offsets {offsets} reads JSONL files exported by doccano; {path!r} is not "
                "one (name each .jsonl file or -, or drop --offsets for other inputs)"
            )
    return doccano_reader(grapheme=offsets == "grapheme")
