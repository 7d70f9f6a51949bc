"""The doccano accounts annotkit itself uses, and where their passwords are kept.

- :data:`SUGGESTER` (``annotkit``) owns every span ``push`` uploads, so annotators and
  ``pull`` can tell machine suggestions from people's work (doccano records a span's
  creator). It is a project admin of each pushed project (doccano lets only project admins
  import). Its password is random and kept, mode 0600, next to the other credentials: in the
  local server's ``<home>/credentials.json`` (``"suggester"``) or, for any other server, in
  ``<home>/suggesters.json`` keyed by the server URL.
- :data:`LOCK_USER` (``annotkit-lock``) never logs in: its membership of a project is the
  push lock (:mod:`annotkit.sync.lock`).

Both are created by ``annotkit doccano server start`` for the local server, or by the first
``push`` (as a doccano administrator) for any other.

EXAMPLE:
    >>> from annotkit.sync.accounts import MACHINE_USERS
    >>> sorted(MACHINE_USERS)
    ['annotkit', 'annotkit-lock']
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from annotkit.errors import ConfigError

__all__ = [
    "CREDENTIALS_FILE",
    "LOCK_USER",
    "MACHINE_USERS",
    "SUGGESTER",
    "SUGGESTERS_FILE",
    "load_suggester",
    "save_suggester",
    "write_private",
]

SUGGESTER = "annotkit"
LOCK_USER = "annotkit-lock"
#: doccano users that are annotkit, not people (never listed as annotators).
MACHINE_USERS: frozenset[str] = frozenset({SUGGESTER, LOCK_USER})
CREDENTIALS_FILE = "credentials.json"
SUGGESTERS_FILE = "suggesters.json"


def write_private(path: Path, data: dict[str, Any]) -> None:
    """Write JSON to ``path`` atomically, readable by the owner only (mode 0600)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as err:
        raise ConfigError(f"{path}: cannot read it ({err}) ; fix or delete the file") from None
    return data if isinstance(data, dict) else {}


@contextlib.contextmanager
def _locked(home: Path) -> Iterator[None]:
    home.mkdir(parents=True, exist_ok=True)
    with open(home / f".{SUGGESTERS_FILE}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def load_suggester(home: Path, url: str) -> tuple[str, str] | None:
    """``(username, password)`` of the suggestion account on the server at ``url``, if kept."""
    url = url.rstrip("/")
    local = _read(home / CREDENTIALS_FILE)
    entry = local.get("suggester") if str(local.get("url", "")).rstrip("/") == url else None
    if not isinstance(entry, dict):
        entry = _read(home / SUGGESTERS_FILE).get(url)
    if isinstance(entry, dict) and entry.get("username") and entry.get("password"):
        return str(entry["username"]), str(entry["password"])
    return None


def save_suggester(home: Path, url: str, username: str, password: str) -> Path:
    """Keep the suggestion account's password (mode 0600); RETURNS the file written."""
    url = url.rstrip("/")
    with _locked(home):
        cred_path = home / CREDENTIALS_FILE
        local = _read(cred_path)
        if local and str(local.get("url", "")).rstrip("/") == url:
            local["suggester"] = {"username": username, "password": password}
            write_private(cred_path, local)
            return cred_path
        path = home / SUGGESTERS_FILE
        data = _read(path)
        data[url] = {"username": username, "password": password}
        write_private(path, data)
        return path
