"""``annotkit train``: learn from corrected annotations (the learned engine, or stanza alone)."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any

import click

from annotkit.cli._common import (
    current_settings,
    handle_errors,
    include_unconfirmed_option,
    reviewed_only,
    warn,
)
from annotkit.io import read_documents

__all__ = ["train_cli"]


@click.command("train")
@click.option("--data", "data", required=True, multiple=True, help="Training JSONL (repeatable).")
@click.option("--name", required=True, help="Model name: the folder MODELS_DIR/NAME/VERSION.")
@click.option("--version", "version", default=None, help="Version folder (default: next vN).")
@click.option("--engine", type=click.Choice(["learned", "stanza"]), default="learned",
              show_default=True, help="learned: rules + vocabulary + CRF (+ stanza with "
              "--stanza-cv) + policy; stanza: the stanza tagger alone.")  # fmt: skip
@click.option("--folds", type=click.IntRange(min=2), default=5, show_default=True,
              help="Cross-validation folds that choose the policy (learned).")  # fmt: skip
@click.option("--stanza/--no-stanza", "with_stanza", default=None,
              help="Train the stanza tagger into the model folder (learned; default: only "
              "with --stanza-cv, the one way the learned engine uses it).")  # fmt: skip
@click.option(
    "--stanza-cv",
    is_flag=True,
    help="Train stanza too and let the policy choose it where its held-out predictions "
    "win (slow: one stanza training per fold).",
)
@click.option(
    "--corpus",
    multiple=True,
    help="Unlabelled JSONL/txt of your own project (repeatable): word clusters for the "
    "CRF's features, and word vectors for stanza when it is trained.",
)
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes that fit the cross-validation folds and the final CRF at once "
              "(learned; the same model as with 1).")  # fmt: skip
@click.option("--dev", "dev", default=None, help="Dev JSONL (--engine stanza; default 90/10).")
@click.option("--epochs", type=click.IntRange(min=1), default=None,
              help="stanza epochs (default: 40 learned, 30 stanza).")  # fmt: skip
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
def train_cli(data: tuple[str, ...], name: str, version: str | None, engine: str, folds: int,
              with_stanza: bool | None, stanza_cv: bool, corpus: tuple[str, ...], workers: int,
              dev: str | None,
              epochs: int | None, max_steps: int | None, seed: int, zh_tokens: str,
              models_dir: str | None, finetune_from: str | None, pretrain: str | None,
              promote: bool, quiet: bool, include_unconfirmed: bool) -> None:  # fmt: skip
    """Learn from corrected documents; prints the model card (JSON) on stdout.

    The learned engine (default) learns project terms and exclusions, a CRF over the rules'
    proposals (with word clusters of your unlabelled texts given --corpus), the stanza tagger
    with --stanza-cv, and a policy chosen by cross-validation;
    the card holds cross-validated metrics per label and language, and the change from the
    promoted model.

    \b
    Examples:
      annotkit train --data annotations/corrected.jsonl --name ner --promote
      annotkit train --data corrected.jsonl --name ner --corpus unlabelled.jsonl
      annotkit train --data corrected.jsonl --name ner --workers 2
      annotkit train --data corrected.jsonl --name ner --stanza-cv
      annotkit train --data corrected.jsonl --name ner --stanza-cv --corpus unlabelled.jsonl
      annotkit train --data corrected.jsonl --dev dev.jsonl --name ner --engine stanza
    """
    cfg = current_settings().with_overrides(models_dir=models_dir)
    docs = reviewed_only(list(read_documents(data)), include_unconfirmed=include_unconfirmed,
                         what="train")  # fmt: skip
    log = None if quiet else sys.stderr
    if engine == "stanza":
        from annotkit.train import train_model

        card = train_model(
            docs, name=name, version=version, models_dir=cfg.models_dir, log=log,
            dev=list(read_documents([dev])) if dev else None, epochs=epochs or 30,
            max_steps=max_steps, seed=seed, zh_tokens=zh_tokens, finetune_from=finetune_from,  # type: ignore[arg-type]
            pretrain=pretrain, threads=cfg.train_threads,
        )  # fmt: skip
    else:
        from annotkit.learn.trainer import LearnConfig, train_learned

        card = train_learned(
            docs, name=name, version=version, models_dir=cfg.models_dir,
            config=LearnConfig(folds=folds), stanza=with_stanza, stanza_cv=stanza_cv,
            stanza_epochs=epochs or 40, stanza_max_steps=max_steps, seed=seed,
            pretrain=pretrain, corpus=list(read_documents(corpus)) if corpus else None,
            log=log, threads=cfg.train_threads, previous="promoted", workers=workers,
        )  # fmt: skip
        warn(_summary(card.extra, card.metrics))
    if promote:
        from annotkit.models import promote as promote_model

        promote_model(card.ref, cfg.models_dir)
    click.echo(json.dumps(card.to_dict(), ensure_ascii=False, indent=1))
    warn(f"trained {card.ref} in {card.path}" + (" (promoted)" if promote else ""))


def _summary(extra: Mapping[str, Any], metrics: Mapping[str, Any] | None) -> str:
    from annotkit.learn.report import format_change

    return format_change(extra, metrics)
