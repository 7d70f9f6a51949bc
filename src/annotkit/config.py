"""Settings: the one place annotkit reads its environment and config file.

:class:`Settings` is a frozen dataclass built by :meth:`Settings.load` from, in order of
precedence, ``ANNOTKIT_*`` environment variables, a TOML file (``$ANNOTKIT_CONFIG``, else
``<user config dir>/annotkit/config.toml`` when it exists) and the defaults below. The CLI
builds it once per command and passes its values down; library functions take plain
arguments, and use :func:`settings` only for defaults a caller did not give.

| setting | environment | default |
|---|---|---|
| ``models_dir`` | ``ANNOTKIT_MODELS_DIR`` | ``<user data dir>/annotkit/models`` |
| ``doccano_home`` | ``ANNOTKIT_DOCCANO_HOME`` | ``<user data dir>/annotkit/doccano`` |
| ``doccano_venv`` | ``ANNOTKIT_DOCCANO_VENV`` | ``<user cache dir>/annotkit/doccano-1.8.4-venv`` |
| ``doccano_url`` | ``ANNOTKIT_DOCCANO_URL`` (and ``_USERNAME``, ``_PASSWORD``) | local server |
| ``stanza_dir`` | ``ANNOTKIT_STANZA_DIR`` or ``STANZA_RESOURCES_DIR`` | ``<data dir>/stanza`` |
| ``threads`` | ``ANNOTKIT_THREADS`` | 1 (torch threads of the model engine) |
| ``train_threads`` | ``ANNOTKIT_TRAIN_THREADS`` | 1 (BLAS/OpenMP threads of training) |
| ``languages`` | ``ANNOTKIT_LANGUAGES`` (comma-separated) | ``en,zh`` (the corpus languages) |
| ``latin_langs`` | ``ANNOTKIT_LATIN_LANGS`` (comma-separated) | ``en,de,fr,es,it,pt,nl`` |
| ``lid_prior`` | ``ANNOTKIT_LID_PRIOR`` | 12.0 (nats for the corpus languages on short text) |
| ``max_document_chars`` | ``ANNOTKIT_MAX_DOCUMENT_CHARS`` (``20M``, ``500k``; 0: none) | 20M |
| ``workers`` | ``ANNOTKIT_WORKERS`` | unset: batch commands run in one process |
| ``scheduler`` | ``ANNOTKIT_SCHEDULER`` (``tcp://HOST:PORT``) | unset (no Dask cluster) |

A document whose text is longer than ``max_document_chars`` is an input error naming it
(``--skip-errors`` skips it); processing memory grows with document length, so the limit
keeps one huge record from exhausting memory (``docs/benchmarks.md``, "Big and bad input").

Secrets (the doccano password) come from the environment only; a config file holding one
is refused.

EXAMPLE:
    >>> from annotkit.config import Settings
    >>> s = Settings.load(environ={"ANNOTKIT_MODELS_DIR": "/tmp/models"})
    >>> str(s.models_dir), s.threads
    ('/tmp/models', 1)
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotkit.errors import ConfigError

__all__ = ["DOCCANO_VERSION", "Settings", "settings"]

#: The doccano server release annotkit runs and tests against.
DOCCANO_VERSION = "1.8.4"

_LIST_FIELDS = ("languages", "latin_langs")
_PATH_FIELDS = ("models_dir", "doccano_home", "doccano_venv", "stanza_dir")
_INT_FIELDS = ("threads", "train_threads", "workers")
_FLOAT_FIELDS = ("lid_prior",)
_SIZE_FIELDS = ("max_document_chars",)
_SIZE_SUFFIXES = {"k": 1_000, "m": 1_000_000, "g": 1_000_000_000}
_SECRET_FIELDS = ("doccano_password",)


def _data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("annotkit"))


def _cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("annotkit"))


def _config_file(environ: Mapping[str, str]) -> Path | None:
    named = environ.get("ANNOTKIT_CONFIG")
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            raise ConfigError(
                f"ANNOTKIT_CONFIG names {named!r}, which is not a file; fix or unset it"
            )
        return path
    import platformdirs

    default = Path(platformdirs.user_config_dir("annotkit")) / "config.toml"
    return default if default.is_file() else None


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting annotkit reads from its environment (see the module docstring)."""

    models_dir: Path
    doccano_home: Path
    doccano_venv: Path
    stanza_dir: Path
    doccano_url: str | None = None
    doccano_username: str | None = None
    doccano_password: str | None = None
    threads: int = 1
    train_threads: int = 1
    languages: tuple[str, ...] = ("en", "zh")
    latin_langs: tuple[str, ...] = ("en", "de", "fr", "es", "it", "pt", "nl")
    lid_prior: float = 12.0
    max_document_chars: int = 20_000_000
    workers: int | None = None
    scheduler: str | None = None

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Defaults, overridden by the config file, overridden by ``ANNOTKIT_*`` variables."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {
            "models_dir": _data_dir() / "models",
            "doccano_home": _data_dir() / "doccano",
            "doccano_venv": _cache_dir() / f"doccano-{DOCCANO_VERSION}-venv",
            "stanza_dir": _data_dir() / "stanza",
        }
        path = _config_file(env)
        if path is not None:
            values.update(_from_toml(path))
        for f in dataclasses.fields(cls):
            raw = env.get(f"ANNOTKIT_{f.name.upper()}")
            if f.name == "stanza_dir" and not raw:
                raw = env.get("STANZA_RESOURCES_DIR")
            if raw:
                values[f.name] = _parse(f.name, raw, f"ANNOTKIT_{f.name.upper()}")
        return cls(**values)

    def detect_options(self) -> dict[str, Any]:
        """Keyword arguments of :func:`annotkit.langid.detect` these settings choose."""
        return {"langs": self.languages, "latin_langs": self.latin_langs, "prior": self.lid_prior}

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with the given settings changed (``None`` values are ignored)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


def _parse(name: str, raw: Any, where: str) -> Any:
    if name in _PATH_FIELDS:
        return Path(str(raw)).expanduser()
    if name in _INT_FIELDS:
        try:
            value = int(raw)
        except (TypeError, ValueError):
            value = 0
        if value < 1:
            raise ConfigError(
                f"{where} = {raw!r} must be a whole number of at least 1; set it to e.g. 1, "
                "or unset it"
            )
        return value
    if name in _FLOAT_FIELDS:
        try:
            number = float(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"{where} = {raw!r} must be a number, e.g. 12.0") from None
        if number < 0:
            raise ConfigError(f"{where} = {raw!r} must not be negative")
        return number
    if name in _SIZE_FIELDS:
        return _size(raw, where)
    if name in _LIST_FIELDS:
        items = raw if isinstance(raw, list) else str(raw).split(",")
        langs = tuple(str(x).strip() for x in items if str(x).strip())
        if not langs:
            raise ConfigError(f"{where} = {raw!r} names no language; write e.g. en,zh")
        return langs
    return str(raw)


def _size(raw: Any, where: str) -> int:
    """A count such as ``20000000``, ``20M`` or ``500k`` (0 = no limit)."""
    text = str(raw).strip().lower().replace("_", "").replace(",", "")
    factor = _SIZE_SUFFIXES.get(text[-1:], 1) if text else 1
    number = text[:-1] if factor != 1 else text
    try:
        value = float(number) * factor if not isinstance(raw, int) else raw
        whole = int(value)
    except (ValueError, OverflowError):  # not a number, inf, nan
        value, whole = -1, -1
    if isinstance(raw, bool) or value < 0 or value != whole:
        raise ConfigError(
            f"{where} = {raw!r} is not a number of characters; write e.g. 20000000, 20M or "
            "500k (0: no limit), or unset it"
        )
    return int(value)


def _from_toml(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(
            f"{path}: cannot read this config file ({err}); fix or remove it"
        ) from None
    known = {f.name for f in dataclasses.fields(Settings)}
    out: dict[str, Any] = {}
    for key, raw in data.items():
        if key not in known:
            raise ConfigError(
                f"{path}: unknown setting {key!r}; known settings are {', '.join(sorted(known))}"
            )
        if key in _SECRET_FIELDS:
            raise ConfigError(
                f"{path}: {key} must not be stored in a file; set ANNOTKIT_{key.upper()} in "
                "the environment instead and remove it from the file"
            )
        out[key] = _parse(key, raw, f"{path}: {key}")
    return out


def settings() -> Settings:
    """The settings from the current environment: what library defaults fall back to."""
    return Settings.load()
