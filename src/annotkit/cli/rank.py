"""``annotkit rank``: order documents by the expected value of correcting them next."""

from __future__ import annotations

import dataclasses

import click

from annotkit.cli._common import (
    Inputs,
    check_output,
    current_settings,
    finish_report,
    handle_errors,
    input_options,
    output_option,
    overwrite_input_option,
    quiet_option,
    warn,
)
from annotkit.io import write_jsonl
from annotkit.record import document_to_record

__all__ = ["rank_cli"]


@click.command("rank")
@input_options
@output_option
@overwrite_input_option
@quiet_option
@click.option(
    "--model", default=None, help="Learned model folder or NAME/VERSION (default: promoted)."
)
@click.option("--models-dir", default=None, help="Models folder (default: $ANNOTKIT_MODELS_DIR).")
@click.option("--top", type=click.IntRange(min=1), default=None, help="Keep the N most useful.")
@handle_errors
def rank_cli(source: Inputs, output: str | None, overwrite_input: bool, quiet: bool,
             model: str | None, models_dir: str | None, top: int | None) -> None:  # fmt: skip
    """Rank documents for annotation: most useful correction first, with a `rank` field.

    Each record keeps its fields and gains `rank` {position, value, uncertainty,
    disagreement, spans}; `annotkit doccano push --order rank` uploads in that order.

    \b
    Examples:
      annotkit rank pre.jsonl -o ranked.jsonl
      annotkit rank next.jsonl --model ner/v2 --top 20 -o batch.jsonl
    """
    from annotkit.learn.engine import load_learned_model
    from annotkit.learn.rank import rank_documents

    check_output(output, source.paths, overwrite_input=overwrite_input)
    cfg = current_settings().with_overrides(models_dir=models_dir)
    docs = source.read()
    ranked = rank_documents(docs, load_learned_model(model, models_dir=cfg.models_dir))[:top]
    by_id = {d.id: d for d in docs}
    out = (dataclasses.replace(by_id[r.id], extra={**by_id[r.id].extra, "rank": r.to_dict()})
           for r in ranked)  # fmt: skip
    n = write_jsonl((document_to_record(d) for d in out), output)
    if not quiet:
        warn(f"ranked {len(docs)} document(s); wrote {n}")
    finish_report(source, quiet=quiet)
