"""``annotkit evaluate``: score predicted spans against gold (strict and lenient P/R/F1)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from annotkit.cli._common import (
    check_output,
    current_settings,
    force_option,
    handle_errors,
    include_unconfirmed_option,
    output_backups,
    overwrite_input_option,
    report_backups,
    reviewed_only,
)
from annotkit.doc import Document
from annotkit.evaluate import evaluate, evaluate_many, format_table
from annotkit.io import Backups, atomic_writer, read_documents


def _parse_preds(specs: tuple[str, ...]) -> dict[str, str]:
    """``PATH`` or ``NAME=PATH`` -> {name: path}; an unnamed prediction is named by its stem."""
    named: dict[str, str] = {}
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep or Path(spec).exists():
            name, path = Path(spec).stem, spec
        if not name or not path:
            raise click.BadParameter(f"{spec!r} is not PATH or NAME=PATH", param_hint="--pred")
        if name in named:
            raise click.BadParameter(
                f"two predictions are named {name!r}; name them: --pred NAME=PATH",
                param_hint="--pred",
            )
        named[name] = path
    return named


def _read(path: str) -> list[Document]:
    return list(read_documents([path], max_chars=current_settings().max_document_chars))


def _score(
    gold: str, preds: dict[str, str], *, include_unconfirmed: bool, **options: Any
) -> dict[str, Any]:
    # gold is what people answered: the same documents train and export use
    gold_docs = reviewed_only(
        _read(gold), include_unconfirmed=include_unconfirmed, what="evaluate --gold"
    )
    if len(preds) == 1:
        return evaluate(gold_docs, _read(next(iter(preds.values()))), **options)
    return evaluate_many(gold_docs, {name: _read(p) for name, p in preds.items()}, **options)


def _write(text: str, output: str | None, backups: Backups | None) -> None:
    if output is None or output == "-":
        sys.stdout.write(text)
        return
    with atomic_writer(output, backups=backups) as handle:
        handle.write(text)


@click.command("evaluate")
@click.option(
    "--gold",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Gold JSONL (doccano-style records with 'label').",
)
@click.option(
    "--pred",
    "preds",
    required=True,
    multiple=True,
    metavar="[NAME=]PRED.jsonl",
    help="Predictions (repeat to compare systems side by side; NAME= labels a column).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Text table or JSON result.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    default=None,
    help="Write the result here (atomically) instead of stdout.",
)
@click.option(
    "--intersection",
    is_flag=True,
    help="Score only documents present in both gold and predictions.",
)
@click.option("--by-lang", is_flag=True, help="Add a breakdown by the language of each span.")
@include_unconfirmed_option
@overwrite_input_option
@force_option
@handle_errors
def evaluate_cli(
    gold: str,
    preds: tuple[str, ...],
    fmt: str,
    output: str | None,
    intersection: bool,
    by_lang: bool,
    include_unconfirmed: bool,
    overwrite_input: bool,
    force: bool,
) -> None:
    """Score predicted spans against gold: strict and lenient P/R/F1 per label and micro.

    Strict needs the same start, end and label; lenient needs an overlap with the same label,
    each gold span matched at most once (maximum bipartite matching). Gold documents that
    are not an answer are left out and counted on stderr, as in train and export: Prodigy
    records answered reject/ignore, and documents pulled from doccano without being confirmed
    (unless --include-unconfirmed).

    \b
    Examples:
      annotkit evaluate --gold annotations/gold/seeds.jsonl --pred pre.jsonl
      annotkit evaluate --gold gold.jsonl --pred rules=pre.jsonl --pred model=model.jsonl
      annotkit evaluate --gold gold.jsonl --pred pre.jsonl --by-lang --format json -o eval.json
    """
    named = _parse_preds(preds)
    check_output(output, [gold, *named.values()], overwrite_input=overwrite_input)
    result = _score(
        gold,
        named,
        include_unconfirmed=include_unconfirmed,
        intersection=intersection,
        by_lang=by_lang,
    )
    text = format_table(result) if fmt == "table" else json.dumps(result, indent=2) + "\n"
    _write(text, output, backups := output_backups(force))
    report_backups(backups)
