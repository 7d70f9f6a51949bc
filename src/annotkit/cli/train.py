"""``annotkit train``: train a stanza NER model on corrected annotations."""

from __future__ import annotations

import json
import sys

import click

from annotkit.cli._common import (
    current_settings,
    handle_errors,
    include_unconfirmed_option,
    reviewed_only,
    warn,
)
from annotkit.io import read_documents
from annotkit.train import train_model

__all__ = ["train_cli"]


@click.command("train")
@click.option("--data", "data", required=True, multiple=True, help="Training JSONL (repeatable).")
@click.option("--dev", "dev", default=None, help="Dev JSONL (default: a 90/10 group-hash split).")
@click.option("--name", required=True, help="Model name: the folder MODELS_DIR/NAME/VERSION.")
@click.option("--version", "version", default=None, help="Version folder (default: next vN).")
@click.option("--epochs", type=click.IntRange(min=1), default=30, show_default=True)
@click.option("--max-steps", type=click.IntRange(min=1), default=None, help="Overrides --epochs.")
@click.option("--seed", type=int, default=1234, show_default=True)
@click.option("--zh-tokens", type=click.Choice(["char", "word"]), default="char", show_default=True)
@click.option("--models-dir", default=None, help="Models folder (default: $ANNOTKIT_MODELS_DIR).")
@click.option("--finetune-from", default=None, help="Local stanza NER .pt to fine-tune.")
@click.option("--pretrain", default=None, help="Local stanza pretrain .pt (word vectors).")
@click.option("--promote", is_flag=True, help="Promote the new model when training succeeds.")
@click.option("--quiet", "-q", is_flag=True, help="Hide stanza's progress lines.")
@include_unconfirmed_option
@handle_errors
def train_cli(
    data: tuple[str, ...],
    dev: str | None,
    name: str,
    version: str | None,
    epochs: int,
    max_steps: int | None,
    seed: int,
    zh_tokens: str,
    models_dir: str | None,
    finetune_from: str | None,
    pretrain: str | None,
    promote: bool,
    quiet: bool,
    include_unconfirmed: bool,
) -> None:
    """Train a stanza NER model; prints the model card (JSON) on stdout.

    \b
    Examples:
      annotkit train --data annotations/gold/seeds.jsonl --name ner
      annotkit train --data corrected.jsonl --dev dev.jsonl --name ner --epochs 50 --promote
    """
    cfg = current_settings().with_overrides(models_dir=models_dir)
    docs = reviewed_only(list(read_documents(data)), include_unconfirmed=include_unconfirmed,
                         what="train")  # fmt: skip
    card = train_model(
        docs, name=name, version=version, models_dir=cfg.models_dir, threads=cfg.train_threads,
        dev=list(read_documents([dev])) if dev else None, epochs=epochs, max_steps=max_steps,
        seed=seed, zh_tokens=zh_tokens, finetune_from=finetune_from, pretrain=pretrain,  # type: ignore[arg-type]
        log=None if quiet else sys.stderr,
    )  # fmt: skip
    if promote:
        from annotkit.models import promote as promote_model

        promote_model(card.ref, cfg.models_dir)
    click.echo(json.dumps(card.to_dict(), ensure_ascii=False, indent=1))
    warn(f"trained {card.ref} in {card.path}" + (" (promoted)" if promote else ""))
