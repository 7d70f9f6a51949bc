"""The service's bearer token: generated on first start, kept 0600 in the doccano home.

The token lives beside the local doccano server's ``credentials.json``
(``<home>/serve.token``): ``annotkit serve`` checks it on every ``POST /annotate`` and
``annotkit doccano autolabel`` writes it into the project's auto-labelling request header.
Whoever can read the doccano home can already log in as its admin, so the token is no
weaker than the credentials beside it.

EXAMPLE:
    >>> token = ensure_token("/tmp/dc-home")  # doctest: +SKIP
    >>> read_token("/tmp/dc-home") == token  # doctest: +SKIP
    True
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

from annotkit.errors import ConfigError

__all__ = ["TOKEN_FILE", "ensure_token", "read_token", "token_path"]

TOKEN_FILE = "serve.token"
_MIN_LENGTH = 32


def token_path(home: str | os.PathLike[str]) -> Path:
    """Where the token of a doccano home lives (``<home>/serve.token``)."""
    return Path(home).expanduser() / TOKEN_FILE


def read_token(home: str | os.PathLike[str]) -> str:
    """The token kept in ``home``; ConfigError when it is missing, unreadable or exposed."""
    path = token_path(home)
    try:
        info = path.stat()
        token = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise ConfigError(
            f"no service token at {path}; start the service once (`annotkit serve --home "
            f"{path.parent}`), which creates it"
        ) from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read the service token {path}: {err}") from None
    if stat.S_IMODE(info.st_mode) & 0o077:
        raise ConfigError(
            f"the service token {path} can be read by other users (mode "
            f"{stat.S_IMODE(info.st_mode):o}); delete it and restart `annotkit serve` to get a "
            "new one (then re-run `annotkit doccano autolabel`)"
        )
    if len(token) < _MIN_LENGTH or not token.isprintable() or " " in token:
        raise ConfigError(
            f"the service token {path} is not a token annotkit wrote; delete it and restart "
            "`annotkit serve` to get a new one"
        )
    return token


def ensure_token(home: str | os.PathLike[str]) -> str:
    """Return the token of ``home``, creating it (mode 0600, atomically) on first use.

    Two processes starting at once agree on one token: the file appears whole or not at all
    (written aside, then hard-linked into place, which fails if another process won).
    """
    path = token_path(home)
    if path.exists():
        return read_token(home)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".{TOKEN_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(32) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process created it first: use theirs
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
    except OSError as err:
        raise ConfigError(
            f"cannot create the service token {path}: {err}; check that {path.parent} is writable"
        ) from None
    return read_token(home)
