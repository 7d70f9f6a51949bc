"""annotkit.models: the registry layout, lookup, promotion and its error messages.

The model folders here hold real model cards (written by ``annotkit.train.write_card``); the
registry never opens ``ner.pt``, so these tests need no training (tests/model trains one).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotkit.errors import InputError, ModelNotFoundError
from annotkit.models import (
    ModelCard,
    get_model,
    list_models,
    promote,
    promoted_model,
    validate_name,
)
from annotkit.train import write_card


def _make(root: Path, name: str, version: str) -> ModelCard:
    vdir = root / name / version
    vdir.mkdir(parents=True)
    (vdir / "ner.pt").write_bytes(b"\0")
    card = ModelCard(
        name=name, version=version, path=str(vdir), labels=("DOSE",), languages={"en": 1},
        data={"sha1": "0" * 40}, args=("--no_pretrain",), versions={"stanza": "1"},
        created="2026-01-01T00:00:00Z",
    )  # fmt: skip
    write_card(card)
    return card


def test_models_list_sorted_by_version(tmp_path: Path) -> None:
    for v in ("v10", "v2", "v1"):
        _make(tmp_path, "ner", v)
    _make(tmp_path, "alpha", "v1")
    (tmp_path / "ner" / "junk").mkdir()
    assert [c.ref for c in list_models(tmp_path)] == ["alpha/v1", "ner/v1", "ner/v2", "ner/v10"]
    assert get_model("ner", tmp_path).version == "v10"
    assert get_model("ner/v2", tmp_path).path == str(tmp_path / "ner" / "v2")
    assert get_model(str(tmp_path / "ner" / "v1")).ref == "ner/v1"
    assert (tmp_path / "ner" / "v1" / "README.md").is_file()


def test_models_promote_and_promoted(tmp_path: Path) -> None:
    _make(tmp_path, "ner", "v1")
    _make(tmp_path, "ner", "v2")
    with pytest.raises(ModelNotFoundError, match="promote"):
        promoted_model(tmp_path)
    promote("ner/v1", tmp_path)
    assert promoted_model(tmp_path).ref == "ner/v1"
    assert json.loads((tmp_path / "registry.json").read_text()) == {"promoted": "ner/v1"}
    promote("ner", tmp_path)
    assert promoted_model(tmp_path).ref == "ner/v2"


def test_models_not_found_messages_name_known_models(tmp_path: Path) -> None:
    _make(tmp_path, "ner", "v1")
    with pytest.raises(ModelNotFoundError, match="ner/v1") as err:
        get_model("ner/v7", tmp_path)
    assert isinstance(err.value, FileNotFoundError)
    with pytest.raises(ModelNotFoundError):
        get_model("other", tmp_path)
    with pytest.raises(ModelNotFoundError):
        get_model("a/b/c", tmp_path)


def test_models_env_var_sets_default_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _make(tmp_path, "ner", "v1")
    monkeypatch.setenv("ANNOTKIT_MODELS_DIR", str(tmp_path))
    assert [c.ref for c in list_models()] == ["ner/v1"]


def test_models_validate_name() -> None:
    assert validate_name("ner-2.x") == "ner-2.x"
    for bad in ("", "../x", "a b", "-x"):
        with pytest.raises(InputError):
            validate_name(bad)
