"""``annotkit models``: list, show and promote trained models."""

from __future__ import annotations

import json

import click

from annotkit.cli._common import handle_errors, warn
from annotkit.errors import ModelNotFoundError
from annotkit.models import get_model, list_models, promote, promoted_model

__all__ = ["models_cli"]

_DIR = click.option(
    "--models-dir", default=None, help="Models folder (default $ANNOTKIT_MODELS_DIR or ./models)."
)


@click.group("models", no_args_is_help=True)
def models_cli() -> None:
    """List, show and promote trained NER models.

    \b
    Examples:
      annotkit models list
      annotkit models show ner/v1
      annotkit models promote ner/v1
    """


@models_cli.command("list")
@_DIR
@handle_errors
def list_cli(models_dir: str | None) -> None:
    """One line per model: NAME/VERSION, micro F1 (strict/lenient), created, promoted mark.

    \b
    Examples:
      annotkit models list --models-dir models
    """
    try:
        current = promoted_model(models_dir).ref
    except ModelNotFoundError:
        current = None
    cards = list_models(models_dir)
    for card in cards:
        m = card.metrics or {}
        f1 = [m.get(k, {}).get("micro", {}).get("f1") for k in ("strict", "lenient")]
        shown = "/".join("-" if x is None else f"{x:.3f}" for x in f1)
        mark = "*" if card.ref == current else " "
        click.echo(f"{mark} {card.ref}\tF1 {shown}\t{card.created}\t{','.join(card.labels)}")
    if not cards:
        warn("no models; train one with `annotkit train --data FILE --name NAME`")


@models_cli.command("show")
@click.argument("ref", metavar="NAME[/VERSION]")
@_DIR
@handle_errors
def show_cli(ref: str, models_dir: str | None) -> None:
    """Print a model card as JSON (NAME alone = its newest version).

    \b
    Examples:
      annotkit models show ner/v1
    """
    card = get_model(ref, models_dir)
    click.echo(json.dumps({"path": card.path, **card.to_dict()}, ensure_ascii=False, indent=1))


@models_cli.command("promote")
@click.argument("ref", metavar="NAME/VERSION")
@_DIR
@handle_errors
def promote_cli(ref: str, models_dir: str | None) -> None:
    """Make a model the default of `annotate --engine model|ensemble`.

    \b
    Examples:
      annotkit models promote ner/v2
    """
    card = promote(ref, models_dir)
    warn(f"promoted {card.ref}")
