"""The export folder: what an export wrote there, so the next one leaves nothing stale.

Every export records the files it writes in ``.annotkit-export.json`` inside its folder
(name and SHA-256 of each). The next export into that folder first removes those files,
then writes its own, so a ``--split 80/10/10`` export never leaves the ``all.conll`` of an
earlier run beside ``train.conll``. Files annotkit did not write are never deleted: an
export that would overwrite one (or a recorded file changed since it was written) stops
with an :class:`~annotkit.errors.InputError` before anything is touched, unless the caller
passes ``backups`` (each such file is kept as ``<name>.<UTC stamp>.bak``, what ``annotkit
export`` does) or ``force`` (replaced); other files are left as they are. A link, folder or
other non-file in the export's way is always an error.

Order of work (:func:`prepare_folder`, the writers, :func:`finish_folder`): check, remove
the previous export's files, record the new names (marked incomplete), write, record the
hashes. An export that fails halfway therefore leaves a manifest naming every file it may
have written, and the next export cleans them up.

EXAMPLE:
    >>> import tempfile
    >>> out = tempfile.mkdtemp()
    >>> prepare_folder(out, ["all.conll", "README.md"], fmt="conll")
    []
    >>> for name in ("all.conll", "README.md"):
    ...     _ = (Path(out) / name).write_text("x")
    >>> finish_folder(out, ["all.conll", "README.md"], fmt="conll")
    >>> prepare_folder(out, ["train.conll", "test.conll", "README.md"], fmt="conll")
    ['README.md', 'all.conll']
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from annotkit.errors import InputError
from annotkit.io import Backups, atomic_writer, backup_path

__all__ = ["MANIFEST", "finish_folder", "prepare_folder", "read_manifest"]

logger = logging.getLogger(__name__)

#: The manifest file an export writes into its folder.
MANIFEST = ".annotkit-export.json"
_SCHEMA = "annotkit.export.v1"
# names that look like a split file of some export (warned about when unrecorded)
_SPLIT_FILE = re.compile(r"^(all|train|dev|test)\.[\w.-]+$")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _plain_name(name: Any) -> bool:
    return (
        isinstance(name, str)
        and name not in ("", ".", "..", MANIFEST)
        and "/" not in name
        and os.sep not in name
        and "\x00" not in name
    )


def read_manifest(out_dir: str | os.PathLike[str]) -> dict[str, str | None]:
    """The files the previous export recorded in ``out_dir``: name -> SHA-256 (None: the
    export stopped before it finished that file). ``{}`` when there is no manifest.
    """
    path = Path(out_dir) / MANIFEST
    if not path.exists():
        return {}
    bad = InputError(
        f"{MANIFEST} is not an annotkit export manifest (unreadable, or names files outside "
        "the folder); delete it, or export into another folder",
        source=str(path),
    )
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        raise bad from None
    if not isinstance(data, Mapping) or data.get("schema") != _SCHEMA:
        raise bad
    files = data.get("files")
    if not isinstance(files, Mapping):
        raise bad
    out: dict[str, str | None] = {}
    for name, digest in files.items():
        if not _plain_name(name) or not (digest is None or isinstance(digest, str)):
            raise bad
        out[name] = digest
    return out


def _write_manifest(
    out: Path, fmt: str, files: Mapping[str, str | None], *, complete: bool
) -> None:
    data = {"schema": _SCHEMA, "format": fmt, "complete": complete, "files": dict(files)}
    with atomic_writer(out / MANIFEST) as fh:
        fh.write(json.dumps(data, ensure_ascii=False, indent=1) + "\n")


def prepare_folder(
    out_dir: str | os.PathLike[str],
    files: Sequence[str],
    *,
    fmt: str,
    backups: Backups | None = None,
    force: bool = False,
) -> list[str]:
    """Make ``out_dir`` ready for an export that writes ``files`` (plain names).

    Removes the files the previous export recorded (unchanged since), and records ``files``
    as this export's (incomplete until :func:`finish_folder`).
    A file of ``files`` that annotkit did not write, or a recorded file changed since, is a
    conflict: kept as ``<name>.<UTC stamp>.bak`` (noted in ``backups.kept``) when ``backups``
    is given, deleted with ``force``, and otherwise an :class:`~annotkit.errors.InputError`
    raised before anything is touched (also for a link or folder in the way).
    RETURNS (list[str]): the names of the previous export's files removed, sorted.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(
            "the export output is a file, not a folder; give a folder for -o", source=str(out)
        )
    previous = read_manifest(out)
    replace = backups is not None or force
    conflicts: list[str] = []
    unknown = sorted(n for n in files if n not in previous and os.path.lexists(out / n))
    if unknown and not replace:
        raise InputError(
            f"the folder holds {', '.join(unknown)}, which this export would overwrite but "
            f"annotkit did not write (not recorded in {MANIFEST}); move it away, export into "
            "another folder, or let `annotkit export` keep it as .bak",
            source=str(out),
        )
    stale: list[str] = []
    for name in sorted({*unknown, *(n for n in previous if os.path.lexists(out / n))}):
        path = out / name
        if path.is_symlink() or not path.is_file():
            what = "an earlier export's file" if name in previous else "in this export's way"
            raise InputError(
                f"{name} ({what}) is a link, folder or other non-file; move it away, or "
                "export into another folder",
                source=str(out),
            )
        if name in unknown:
            conflicts.append(name)
            continue
        digest = previous[name]
        if digest is not None and _sha256(path) != digest:
            if not replace:
                raise InputError(
                    f"{name} was written by an earlier export and changed since (by hand?); "
                    "the new export would replace it: move it away or copy your changes "
                    "elsewhere, then export again (`annotkit export` keeps it as .bak)",
                    source=str(out),
                )
            conflicts.append(name)
            continue
        stale.append(name)
    for name in conflicts:
        path = out / name
        if backups is not None and path.stat().st_size > 0:  # an empty file holds nothing
            kept = backup_path(path)
            os.replace(path, kept)
            backups.kept.append((path, kept))
        else:
            path.unlink()
    out.mkdir(parents=True, exist_ok=True)
    for name in stale:
        (out / name).unlink()
    if stale:
        logger.info("removed %d file(s) of the previous export: %s", len(stale), ", ".join(stale))
    _write_manifest(out, fmt, dict.fromkeys(files), complete=False)
    others = sorted(
        p.name
        for p in out.iterdir()
        if p.name not in files
        and p.name != MANIFEST
        and _SPLIT_FILE.match(p.name)
        and not p.name.endswith(".bak")  # backups: of this export or an earlier one
    )
    if others:
        logger.warning(
            "%s also holds %s, not written by this export nor recorded as annotkit's; left as is",
            out,
            ", ".join(others),
        )
    return stale


def finish_folder(out_dir: str | os.PathLike[str], files: Sequence[str], *, fmt: str) -> None:
    """Record ``files`` (now written) with their SHA-256 as the folder's complete export."""
    out = Path(out_dir)
    _write_manifest(out, fmt, {n: _sha256(out / n) for n in files}, complete=True)
