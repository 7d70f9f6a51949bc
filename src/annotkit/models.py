"""The model registry: ``models/NAME/VERSION/`` folders and the promoted model.

Layout (see ``models/README.md``)::

    models/
      registry.json            {"promoted": "NAME/VERSION"}   (written by `models promote`)
      NAME/
        VERSION/               v1, v2, … (or any --version given to `annotkit train`)
          ner.pt               the stanza NER tagger
          resources.json       minimal stanza resources: loads the model offline
          model.json           the model card (annotkit.models.ModelCard)
          README.md            the model card for people

The models folder is ``$ANNOTKIT_MODELS_DIR`` when set, else ``./models``. A model is
referred to as ``NAME/VERSION``, ``NAME`` (its newest version) or a folder path.

EXAMPLE:
    >>> from annotkit.models import list_models, promote, promoted_model
    >>> [c.ref for c in list_models("models")]
    ['ner/v1']
    >>> promote("ner/v1", models_dir="models").ref
    'ner/v1'
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from annotkit.config import settings
from annotkit.errors import InputError, ModelNotFoundError

__all__ = [
    "MODEL_FILE",
    "REGISTRY_FILE",
    "ModelCard",
    "default_models_dir",
    "get_model",
    "list_models",
    "promote",
    "promoted_model",
    "validate_name",
]

REGISTRY_FILE = "registry.json"
MODEL_FILE = "ner.pt"
#: the learned engine's policy (annotkit.learn): a folder with it is a model without ner.pt too
LEARNED_FILE = "policy.json"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True, slots=True)
class ModelCard:
    """Everything recorded about one trained model (``model.json`` in its folder)."""

    name: str
    version: str
    path: str
    labels: tuple[str, ...]
    languages: Mapping[str, int]
    data: Mapping[str, Any]
    args: tuple[str, ...]
    versions: Mapping[str, str]
    created: str
    metrics: Mapping[str, Any] | None = None
    dev_docs: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ref(self) -> str:
        """``NAME/VERSION``."""
        return f"{self.name}/{self.version}"

    @property
    def model_file(self) -> Path:
        return Path(self.path) / MODEL_FILE

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "labels": list(self.labels),
            "languages": dict(self.languages),
            "data": dict(self.data),
            "args": list(self.args),
            "versions": dict(self.versions),
            "created": self.created,
            "metrics": self.metrics,
            "dev_docs": list(self.dev_docs),
            "extra": dict(self.extra),
        }

    @classmethod
    def from_dict(cls, rec: Mapping[str, Any], *, path: str) -> ModelCard:
        try:
            return cls(
                name=str(rec["name"]),
                version=str(rec["version"]),
                path=path,
                labels=tuple(rec["labels"]),
                languages=dict(rec.get("languages", {})),
                data=dict(rec.get("data", {})),
                args=tuple(rec.get("args", ())),
                versions=dict(rec.get("versions", {})),
                created=str(rec.get("created", "")),
                metrics=rec.get("metrics"),
                dev_docs=tuple(rec.get("dev_docs", ())),
                extra=dict(rec.get("extra", {})),
            )
        except (KeyError, TypeError) as err:
            raise ModelNotFoundError(
                f"model card {path}/model.json is missing field {err}; retrain the model "
                "with `annotkit train`"
            ) from None


def default_models_dir() -> Path:
    """The models folder of :func:`annotkit.config.settings` (``$ANNOTKIT_MODELS_DIR``)."""
    return settings().models_dir


def validate_name(name: str) -> str:
    """Return ``name`` if it is a valid model name or version, else raise InputError."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InputError(
            f"invalid model name or version {name!r}; use letters, digits, '.', '_' or '-' "
            "(up to 64 characters, starting with a letter or digit)"
        )
    return name


def _has_model(vdir: Path) -> bool:
    return (vdir / MODEL_FILE).is_file() or (vdir / LEARNED_FILE).is_file()


def _root(models_dir: str | os.PathLike[str] | None) -> Path:
    return Path(models_dir) if models_dir is not None else default_models_dir()


def _version_key(version: str) -> tuple[int, int, str]:
    if version[:1] == "v" and version[1:].isdigit():
        return (1, int(version[1:]), version)
    return (0, 0, version)


def _in_folder(card: ModelCard, vdir: Path) -> ModelCard:
    """The card of the model in ``models/NAME/VERSION`` named by its folder: a copied or
    renamed folder is the model it is now, whatever its card says it was trained as."""
    name, version = vdir.parent.name, vdir.name
    if (card.name, card.version) == (name, version) or not (
        _NAME.fullmatch(name) and _NAME.fullmatch(version)
    ):
        return card
    return replace(card, name=name, version=version)


def _read_card(vdir: Path) -> ModelCard:
    card_file = vdir / "model.json"
    try:
        rec = json.loads(card_file.read_text("utf-8"))
    except FileNotFoundError:
        raise ModelNotFoundError(
            f"no model card at {card_file}; train a model with `annotkit train` "
            "(folders without model.json are not models)"
        ) from None
    except (OSError, json.JSONDecodeError) as err:
        raise ModelNotFoundError(
            f"cannot read model card {card_file} ({err}); retrain the model"
        ) from None
    return ModelCard.from_dict(rec, path=str(vdir))


def list_models(models_dir: str | os.PathLike[str] | None = None) -> list[ModelCard]:
    """Cards of every model under ``models_dir``, sorted by name then version."""
    root = _root(models_dir)
    cards: list[ModelCard] = []
    if not root.is_dir():
        return cards
    for name_dir in sorted(p for p in root.iterdir() if p.is_dir() and _NAME.fullmatch(p.name)):
        versions = [v for v in name_dir.iterdir() if (v / "model.json").is_file()]
        for vdir in sorted(versions, key=lambda v: _version_key(v.name)):
            cards.append(_in_folder(_read_card(vdir), vdir))
    return cards


def get_model(ref: str, models_dir: str | os.PathLike[str] | None = None) -> ModelCard:
    """The card of ``NAME/VERSION``, ``NAME`` (newest version) or a model folder path.

    EXAMPLE:
        >>> get_model("ner", models_dir="models").version
        'v1'
    """
    root = _root(models_dir)
    as_path = Path(ref)
    if (as_path / "model.json").is_file() and _has_model(as_path):
        return _read_card(as_path)
    parts = ref.strip("/").split("/")
    if len(parts) not in (1, 2) or not all(_NAME.fullmatch(p) for p in parts):
        raise ModelNotFoundError(
            f"no model {ref!r}; refer to a model as NAME, NAME/VERSION or a model folder "
            f"(see `annotkit models list --models-dir {root}`)"
        )
    name_dir = root / parts[0]
    known = [c.ref for c in list_models(root)]
    if len(parts) == 1:
        versions = [c for c in list_models(root) if c.name == parts[0]]
        if not versions:
            raise ModelNotFoundError(
                f"no model named {parts[0]!r} in {root}; known models: "
                f"{', '.join(known) or 'none'}. Train one with `annotkit train --name "
                f"{parts[0]}` or pass --models-dir"
            )
        return versions[-1]
    vdir = name_dir / parts[1]
    if not (vdir / "model.json").is_file():
        raise ModelNotFoundError(
            f"no model {ref!r} in {root}; known models: {', '.join(known) or 'none'}. "
            "Check the name/version or pass --models-dir"
        )
    if not _has_model(vdir):
        raise ModelNotFoundError(
            f"model {ref!r} has a card but no {MODEL_FILE} or {LEARNED_FILE} in {vdir}; retrain it"
        )
    return _in_folder(_read_card(vdir), vdir)


def promote(ref: str, models_dir: str | os.PathLike[str] | None = None) -> ModelCard:
    """Make ``ref`` the model that ``annotate --engine model|ensemble`` uses by default.

    The choice is recorded in ``models_dir/registry.json`` as ``{"promoted": "NAME/VERSION"}``,
    NAME/VERSION being the folder the model is in (a copied folder is promoted as itself,
    not as the model its card was copied from).
    """
    from annotkit.io import atomic_writer

    root = _root(models_dir)
    card = get_model(ref, root)
    vdir = Path(card.path)
    try:
        inside = vdir.resolve().parent.parent == root.resolve()
    except OSError:
        inside = False
    if not inside:
        raise InputError(
            f"model {ref!r} lives outside the models folder {root}; copy it to "
            f"{root}/NAME/VERSION first, then promote NAME/VERSION"
        )
    card = _in_folder(card, vdir.resolve())
    with atomic_writer(root / REGISTRY_FILE) as handle:
        handle.write(json.dumps({"promoted": card.ref}, indent=1) + "\n")
    return card


def promoted_model(models_dir: str | os.PathLike[str] | None = None) -> ModelCard:
    """The card of the promoted model; :class:`ModelNotFoundError` says how to promote one."""
    root = _root(models_dir)
    reg = root / REGISTRY_FILE
    try:
        ref = json.loads(reg.read_text("utf-8"))["promoted"]
    except FileNotFoundError:
        raise ModelNotFoundError(
            f"no promoted model in {root} (no {REGISTRY_FILE}); train one with `annotkit train "
            "--data FILE --name NAME`, then `annotkit models promote NAME/VERSION` (or set "
            "ANNOTKIT_MODELS_DIR / pass a model path)"
        ) from None
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as err:
        raise ModelNotFoundError(
            f"cannot read the promoted model from {reg} ({err}); run `annotkit models "
            "promote NAME/VERSION` again"
        ) from None
    return get_model(str(ref), root)
