"""Finished partitions of a batch job, kept in a folder so an interrupted run can resume.

A :class:`PartStore` is a folder (by default hidden beside the output) holding one file per
finished partition and output stream (``0000012.annotate``), written to a temporary name
and renamed, and ``manifest.jsonl``: a header line with the job's identity, then one line
per finished partition (index, document count, digest, byte sizes), appended after its
files are in place. A run killed at any moment leaves at worst a temporary file or a torn
last manifest line; both are discarded when the store is opened again with
``resume=True``, and every partition the manifest lists (with files of the listed sizes)
counts as finished. The outputs are assembled from the part files in partition order, each
written atomically, and only then is the folder removed.

EXAMPLE:
    >>> store = PartStore.open("out/.pre.jsonl.parts", job.identity(), resume=True)
    >>> store.found  # partitions an interrupted run had finished
    12
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, BinaryIO

from annotkit.batch import Partition
from annotkit.errors import ConfigError, InputError
from annotkit.io import Backups, atomic_output

__all__ = ["MANIFEST", "PartStore", "parts_folder"]

log = logging.getLogger(__name__)

MANIFEST = "manifest.jsonl"
_LOCK = "lock"
_FORMAT = "annotkit.parts.v1"
_TMP = ".tmp"


def parts_folder(output: str | os.PathLike[str], *, folder_output: bool = False) -> Path:
    """Where the partitions of a run writing ``output`` are kept.

    A file ``out/pre.jsonl`` keeps them in ``out/.pre.jsonl.parts/``; an output folder
    (``folder_output``) in ``FOLDER/.parts/``. Hidden names, so reading the output folder
    as input skips them.
    """
    path = Path(output)
    if folder_output:
        return path / ".parts"
    return path.parent / f".{path.name}.parts"


@dataclass(frozen=True, slots=True)
class _Entry:
    index: int
    count: int
    digest: str
    sizes: tuple[int, ...]

    def line(self) -> str:
        return json.dumps(
            {
                "part": self.index,
                "docs": self.count,
                "digest": self.digest,
                "bytes": list(self.sizes),
            }  # fmt: skip
        )


class PartStore:
    """The finished partitions of one job; open with :meth:`open`, a context manager."""

    def __init__(
        self,
        folder: Path,
        identity: Mapping[str, Any],
        entries: Mapping[int, _Entry],
        *,
        discarded: int,
        lock: IO[str],
    ) -> None:
        self.folder = folder
        self.identity = dict(identity)
        self.streams: tuple[str, ...] = tuple(identity["streams"])
        self._entries = dict(entries)
        #: finished partitions found when the store was opened (resumed ones)
        self.found = len(entries)
        #: finished partitions of an earlier, different or unresumed run thrown away
        self.discarded = discarded
        self.total: int | None = None
        self._lock = lock
        self._manifest: IO[str] | None = open(  # noqa: SIM115 - closed in close()
            folder / MANIFEST, "a", encoding="utf-8"
        )

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(
        cls, folder: str | os.PathLike[str], identity: Mapping[str, Any], *, resume: bool = False
    ) -> PartStore:
        """Open (or create) the store in ``folder`` for a job of this ``identity``.

        With ``resume`` the partitions an earlier run of the same job finished are kept;
        a store of another job (other options, streams or annotkit version) is a
        :class:`~annotkit.errors.ConfigError`. Without it, anything left in the folder is
        removed first (counted in :attr:`discarded`). Raises ``ConfigError`` while another
        process holds the store.
        """
        path = Path(folder)
        identity = json.loads(json.dumps(dict(identity)))  # as the manifest holds it
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise InputError(
                f"cannot create the folder for finished partitions: {err.strerror}; "
                "choose another output path",
                source=str(path),
            ) from None
        lock = _acquire(path)
        try:
            entries: dict[int, _Entry] = {}
            discarded = 0
            manifest = path / MANIFEST
            if manifest.exists():
                header, found = _read_manifest(manifest)
                if resume and header != identity:
                    raise ConfigError(
                        f"the unfinished run in {path} was started with other settings "
                        f"({_differences(header, identity)}); run the same command as "
                        "before, or leave out --resume to start over"
                    )
                if resume:
                    entries = _verified(path, found, identity["streams"])
                else:
                    discarded = len(found)
            _clean(path, keep={_file(path, e.index, s).name for e in entries.values()
                               for s in identity["streams"]})  # fmt: skip
            with atomic_output(manifest) as tmp:
                lines = [json.dumps({"format": _FORMAT, **identity})]
                lines += [e.line() for e in sorted(entries.values(), key=lambda e: e.index)]
                tmp.write_text("".join(f"{x}\n" for x in lines), encoding="utf-8")
        except BaseException:
            lock.close()
            raise
        return cls(path, identity, entries, discarded=discarded, lock=lock)

    # ------------------------------------------------------------------ running
    def holds(self, part: Partition) -> bool:
        """True when ``part`` is finished; an input that changed since is an error."""
        entry = self._entries.get(part.index)
        if entry is None:
            return False
        if entry.digest != part.digest or entry.count != part.count:
            raise InputError(
                f"partition {part.index} (from document {part.first_id!r}) is not what the "
                f"interrupted run read: the input changed since. Give the same input, or "
                "leave out --resume to start over",
                source=str(self.folder),
            )
        return True

    def put(self, part: Partition, texts: Sequence[str]) -> None:
        """Store a finished partition: its files first, then its manifest line."""
        if len(texts) != len(self.streams):
            raise ValueError(f"expected {len(self.streams)} texts, got {len(texts)}")
        sizes = []
        for stream, text in zip(self.streams, texts, strict=True):
            data = text.encode("utf-8")
            target = _file(self.folder, part.index, stream)
            tmp = target.with_name(target.name + _TMP)
            tmp.write_bytes(data)
            os.replace(tmp, target)
            sizes.append(len(data))
        entry = _Entry(part.index, part.count, part.digest, tuple(sizes))
        if self._manifest is None:
            raise ValueError("the store is closed")
        self._manifest.write(entry.line() + "\n")
        self._manifest.flush()
        self._entries[part.index] = entry

    def seal(self, total: int) -> None:
        """Declare the run's partition count; every one of them must be finished."""
        missing = [i for i in range(total) if i not in self._entries]
        if missing:
            raise ValueError(f"{len(missing)} partition(s) not finished, first {missing[0]}")
        self.total = total

    @property
    def complete(self) -> bool:
        return self.total is not None

    # ------------------------------------------------------------------ assembling
    def _parts(self, stream: str) -> Iterator[Path]:
        if self.total is None:
            raise ValueError("seal() the store before assembling its streams")
        if stream not in self.streams:
            raise KeyError(stream)
        for index in range(self.total):
            yield _file(self.folder, index, stream)

    def copy_stream(self, stream: str, handle: BinaryIO) -> int:
        """Copy one stream, partitions in order, to a binary handle. RETURNS bytes."""
        n = 0
        for path in self._parts(stream):
            with open(path, "rb") as part:
                shutil.copyfileobj(part, handle, 1 << 20)
                n += part.tell()
        return n

    def write_stream(
        self, stream: str, path: str | os.PathLike[str], *, backups: Backups | None = None
    ) -> int:
        """Write one stream to ``path`` atomically (all of it, or nothing); ``backups`` as
        for :func:`annotkit.io.atomic_output`. RETURNS bytes."""
        with atomic_output(path, backups=backups) as tmp, open(tmp, "wb") as handle:
            return self.copy_stream(stream, handle)

    def lines(self, stream: str) -> Iterator[str]:
        """The lines of one stream (without their ``\\n``), partitions in order."""
        for path in self._parts(stream):
            with open(path, encoding="utf-8", newline="") as part:
                for line in part:
                    yield line.removesuffix("\n")

    # ------------------------------------------------------------------ closing
    def close(self) -> None:
        """Close the manifest and release the lock; the files stay (for a resume)."""
        if self._manifest is not None:
            self._manifest.close()
            self._manifest = None
        self._lock.close()

    def remove(self) -> None:
        """Remove the folder and everything in it (after the outputs are written)."""
        self.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> PartStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# --------------------------------------------------------------------------- helpers
def _file(folder: Path, index: int, stream: str) -> Path:
    return folder / f"{index:07d}.{stream}"


def _acquire(folder: Path) -> IO[str]:
    handle = open(folder / _LOCK, "a+", encoding="utf-8")  # noqa: SIM115 - held open
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as err:
        handle.close()
        if err.errno in (errno.EAGAIN, errno.EACCES):
            raise ConfigError(
                f"another annotkit run is writing {folder}; wait for it to finish, or "
                "write this run's output elsewhere"
            ) from None
        raise
    return handle


def _read_manifest(path: Path) -> tuple[dict[str, Any], list[_Entry]]:
    """The header and entries; a torn last line (a killed writer) is ignored."""
    raw = path.read_text(encoding="utf-8", errors="replace").split("\n")
    try:
        header = json.loads(raw[0])
    except (json.JSONDecodeError, IndexError):
        return {}, []
    header.pop("format", None)
    entries: list[_Entry] = []
    for lineno, line in enumerate(raw[1:], 2):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            entries.append(
                _Entry(
                    int(item["part"]),
                    int(item["docs"]),
                    str(item["digest"]),
                    tuple(int(x) for x in item["bytes"]),
                )  # fmt: skip
            )
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            log.warning("%s:%d: unreadable manifest line ignored", path, lineno)
    return header, entries


def _verified(folder: Path, entries: list[_Entry], streams: Sequence[str]) -> dict[int, _Entry]:
    """Entries whose part files are all there with the recorded sizes (later lines win)."""
    out: dict[int, _Entry] = {}
    for entry in {e.index: e for e in entries}.values():
        if len(entry.sizes) != len(streams):
            continue
        try:
            sizes = tuple(_file(folder, entry.index, s).stat().st_size for s in streams)
        except FileNotFoundError:
            continue
        if sizes == entry.sizes:
            out[entry.index] = entry
    return out


def _clean(folder: Path, *, keep: set[str]) -> None:
    """Remove part files and temporaries not in ``keep`` (the manifest and lock stay)."""
    for child in folder.iterdir():
        if child.name in keep or child.name in (MANIFEST, _LOCK):
            continue
        if child.is_file() and (child.name[:7].isdigit() or child.name.endswith(_TMP)):
            child.unlink()


def _differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    keys = sorted(set(old) | set(new))
    diffs = [f"{k}: {old.get(k)!r} then, {new.get(k)!r} now" for k in keys
             if old.get(k) != new.get(k)]  # fmt: skip
    return "; ".join(diffs) or "unknown"
