"""Read documents from text/JSONL/CSV/TSV/Parquet inputs and write JSONL atomically.

Readers yield :class:`~annotkit.doc.Document` objects with stable ids (the input's ``id``
field, the file path, or a content hash: never a position in the batch). The decoded text
is kept exactly as it is (no Unicode normalisation, CRLF kept), because every offset
refers to it; the detected encoding is recorded in ``meta["encoding"]``.

EXAMPLE:
    >>> from annotkit.io import read_documents, write_jsonl
    >>> docs = list(read_documents(["seeds/"]))
    >>> write_jsonl((document_to_record(d) for d in docs), "out.jsonl")
"""

from __future__ import annotations

import errno
import filecmp
import glob
import json
import os
import re
import shutil
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import IO, Any

from annotkit.doc import Document
from annotkit.errors import AnnotkitError, InputError
from annotkit.record import document_from_record, document_to_record

__all__ = [
    "Backups",
    "DUPLICATE_POLICIES",
    "LINE_BYTES_PER_CHAR",
    "ReadReport",
    "atomic_output",
    "atomic_writer",
    "decode_bytes",
    "document_from_record",
    "document_to_record",
    "dumps_record",
    "iter_input_files",
    "make_temp_dir",
    "read_documents",
    "read_jsonl_records",
    "read_text_file",
    "write_jsonl",
]

TEXT_SUFFIXES = (".txt", ".text", ".md")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
TABLE_SUFFIXES = (".csv", ".tsv", ".parquet")
INPUT_SUFFIXES = TEXT_SUFFIXES + JSONL_SUFFIXES + TABLE_SUFFIXES  # what a folder read picks up
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
# Legacy CJK encodings tried after UTF-8, in order of preference when both decode.
_CJK_CANDIDATES = ("gb18030", "big5", "utf-16-le", "utf-16-be")
#: What :func:`read_documents` does with a document id it has seen before.
DUPLICATE_POLICIES: tuple[str, ...] = ("error", "keep-first")
#: A JSONL line longer than ``LINE_BYTES_PER_CHAR * max_chars`` bytes is refused unread (a
#: record's JSON holds its text, escaped at up to 6 bytes a character, plus the stages'
#: fields), so one huge line cannot exhaust memory before its text length is known.
LINE_BYTES_PER_CHAR = 8


@dataclass(slots=True)
class ReadReport:
    """Counts kept while reading a batch with ``skip_errors``: what was read and skipped."""

    read: int = 0
    skipped: int = 0
    duplicates: int = 0
    errors: list[str] | None = None

    def skip(self, err: InputError) -> None:
        self.skipped += 1
        if self.errors is None:
            self.errors = []
        self.errors.append(str(err))


# --------------------------------------------------------------------------- decoding
#: Control bytes that text does not hold (not tab, line feed, vertical tab, form feed, CR).
_CONTROL_BYTES = bytes(b for b in range(32) if b < 9 or b > 13)


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" not in sample:
        ctrl = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
        return ctrl > max(8, len(sample) // 20)
    # NUL bytes: plausible only for UTF-16 (every other byte zero in mostly-ASCII text)
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    half = max(1, len(sample) // 2)
    return not (odd > 0.3 * half and even < 0.05 * half or even > 0.3 * half and odd < 0.05 * half)


def _cjk_score(text: str) -> float:
    """Share of characters that are common CJK/ASCII text (a sanity check for decoders)."""
    if not text:
        return 0.0
    good = 0
    for ch in text:
        o = ord(ch)
        if ch.isascii() or 0x4E00 <= o <= 0x9FFF or 0x3000 <= o <= 0x303F or 0xFF00 <= o <= 0xFFEF:
            good += 1
    return good / len(text)


def decode_bytes(data: bytes, *, source: str = "<bytes>") -> tuple[str, str]:
    """Decode bytes as UTF-8 (BOM or not), UTF-16, GB18030/GBK or Big5.

    RETURNS (text, encoding). Raises :class:`InputError` for empty, binary or undecodable
    input, naming ``source``.
    """
    if not data:
        raise InputError("the file is empty; remove it or add text", source=source)
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(name)
            except UnicodeDecodeError as err:
                raise InputError(
                    f"starts with a {name} byte-order mark but byte {err.start} is invalid; "
                    "re-save the file as UTF-8",
                    source=source,
                ) from None
            return text, name
    if _looks_binary(data):
        raise InputError(
            "looks like a binary file, not text; pass .txt/.jsonl/.csv/.tsv/.parquet files",
            source=source,
        )
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as err:
        utf8_error = err
    if b"\x00" in data[:4096]:
        candidates: tuple[str, ...] = ("utf-16-le", "utf-16-be")
    else:
        candidates = ("gb18030", "big5")
    decoded: list[tuple[float, str, str]] = []
    for rank, enc in enumerate(candidates):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        # Prefer the decoder whose output is mostly common CJK; Big5 bytes often also
        # decode as GB18030 into rare characters.
        decoded.append((_cjk_score(text) - rank * 1e-3, enc, text))
    if decoded:
        try:
            from charset_normalizer import from_bytes

            best = from_bytes(data, cp_isolation=[enc for _, enc, _ in decoded]).best()
        except Exception:  # pragma: no cover - charset-normalizer is best-effort here
            best = None
        if best is not None and best.encoding in {enc for _, enc, _ in decoded}:
            chosen = next(d for d in decoded if d[1] == best.encoding)
            top = max(decoded)
            if top[0] - chosen[0] > 0.05:
                chosen = top
        else:
            chosen = max(decoded)
        return chosen[2], chosen[1]
    raise InputError(
        f"cannot be decoded (invalid UTF-8 at byte {utf8_error.start}, and not UTF-16, "
        "GB18030 or Big5); convert it to UTF-8, e.g. `iconv -f <encoding> -t utf-8`",
        source=source,
    )


def _limit() -> int:
    from annotkit.config import settings

    return settings().max_document_chars


def _too_long(size: str, limit: int) -> str:
    return (
        f"the document is {size}, over the limit of {limit:,} characters; split it into "
        "smaller documents, or raise ANNOTKIT_MAX_DOCUMENT_CHARS (0: no limit) if the "
        "machine has the memory"
    )


def read_text_file(
    path: str | os.PathLike[str], *, doc_id: str | None = None, max_chars: int | None = None
) -> Document:
    """Read one text file into a Document (id = ``doc_id`` or the file name's stem).

    A text over ``max_chars`` characters (default: the ``max_document_chars`` setting; 0 =
    no limit) is an :class:`InputError`; a file too big to hold that many is refused unread.
    """
    p = Path(path)
    limit = _limit() if max_chars is None else max_chars
    try:
        if limit and p.stat().st_size > 4 * limit:  # UTF-8/16/32: at most 4 bytes a character
            raise InputError(_too_long(f"{p.stat().st_size:,} bytes", limit), source=str(p))
        data = p.read_bytes()
    except OSError as err:
        raise InputError(f"cannot read file: {err.strerror}", source=str(p)) from None
    text, encoding = decode_bytes(data, source=str(p))
    del data
    if limit and len(text) > limit:
        raise InputError(_too_long(f"{len(text):,} characters", limit), source=str(p))
    if not text.strip():
        raise InputError("contains only whitespace; remove it or add text", source=str(p))
    return Document(
        id=doc_id or p.stem,
        text=text,
        meta={"source": str(p), "encoding": encoding},
    )


# --------------------------------------------------------------------------- JSONL
# Characters ``str.splitlines`` (and some JSON readers) take for line ends although JSON
# allows them raw inside strings: written escaped, so one line is always one record.
_LINE_SEPARATORS = {"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"}
_SEPARATOR_TABLE = str.maketrans(_LINE_SEPARATORS)


def dumps_record(rec: Mapping[str, Any]) -> str:
    """One JSON line (no newline): UTF-8 characters kept, line separators escaped."""
    line = json.dumps(rec, ensure_ascii=False)
    if "\u2028" in line or "\u2029" in line or "\x85" in line:
        line = line.translate(_SEPARATOR_TABLE)
    return line


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"the key {key!r} appears twice in one object")
            seen.add(key)
    return obj


def _finite(raw: str) -> float:
    value = float(raw)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"the number {raw[:40]} is too large for a float")
    return value


# A \uD800-\uDFFF escape: JSON may spell a lone surrogate, which no UTF-8 output can hold.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _loads(line: str, where: str) -> Any:
    """One JSON value, strictly: no NaN/Infinity, no lone surrogates (neither can be written
    back as valid UTF-8 JSON), errors named by ``where``."""
    try:
        value = json.loads(
            line, parse_constant=_no_constant, parse_float=_finite, object_pairs_hook=_unique_keys
        )
    except json.JSONDecodeError as err:
        raise InputError(
            f"malformed JSON ({err.msg} at column {err.colno}); fix or remove the line",
            source=where,
        ) from None
    except RecursionError:
        raise InputError(
            "JSON is nested too deeply to read; a record is one flat object per line",
            source=where,
        ) from None
    except ValueError as err:  # NaN/Infinity, float overflow, 4300+ digits, a repeated key
        raise InputError(
            f"invalid JSON ({err}); JSON readers disagree on such input: numbers must be "
            "finite and of usual size and keys unique in an object; fix or remove the line",
            source=where,
        ) from None
    if _SURROGATE_ESCAPE.search(line):
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as err:
            raise InputError(
                f"holds a lone UTF-16 surrogate ({err.object[err.start]!r}), which is not a "
                "character; fix the \\u escape (pairs must be complete) or remove the line",
                source=where,
            ) from None
    return value


@dataclass(frozen=True, slots=True)
class _LongLine:
    """A line over the byte limit, skipped unread: only its size is kept."""

    size: int


_CHUNK = 1 << 18


def _bounded_lines(handle: IO[bytes], max_bytes: int) -> Iterator[bytes | _LongLine]:
    """Lines of a binary stream; a line over ``max_bytes`` (0: no limit) is read past in
    chunks and yielded as :class:`_LongLine`: memory stays bounded by the limit, and a
    refused line costs one chunk, not its length."""
    if not max_bytes:
        yield from handle
        return
    while True:
        line = handle.readline(_CHUNK)
        if not line:
            return
        if line.endswith(b"\n"):  # nearly every line: one read, no copy
            yield line
            continue
        pieces, size = [line], len(line)
        while not pieces[-1].endswith(b"\n") and size <= max_bytes:
            more = handle.readline(_CHUNK)
            if not more:
                break
            pieces.append(more)
            size += len(more)
        if size <= max_bytes:
            yield b"".join(pieces)
            continue
        last = pieces[-1]
        del pieces
        while not last.endswith(b"\n"):
            last = handle.readline(_CHUNK)
            if not last:
                break
            size += len(last)
        yield _LongLine(size)


def _byte_lines(path: str | os.PathLike[str], max_bytes: int = 0) -> Iterator[bytes | _LongLine]:
    """Raw lines split at ``\n`` only (U+2028 and friends stay inside their line)."""
    if str(path) == "-":
        if sys.stdin is None:
            raise InputError(
                "standard input is closed; pipe JSONL into it or name a file", source="<stdin>"
            )
        buffer = getattr(sys.stdin, "buffer", None)
        if buffer is not None:
            yield from _bounded_lines(buffer, max_bytes)
        else:  # a text stream (tests, embedding applications)
            for line in sys.stdin:
                yield line.encode("utf-8", "surrogateescape")
        return
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below, generator-friendly
    except OSError as err:
        raise InputError(f"cannot read file: {err.strerror}", source=str(path)) from None
    with handle:
        head = handle.peek(2)[:2] if hasattr(handle, "peek") else b""
        if head in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 JSONL: decode whole, re-encode
            text, _ = decode_bytes(handle.read(), source=str(path))
            for line in text.split("\n"):
                yield line.encode("utf-8") + b"\n"
            return
        yield from _bounded_lines(handle, max_bytes)


def _numbered(
    lines: Iterator[bytes | _LongLine], name: str
) -> Iterator[tuple[int, bytes | _LongLine]]:
    """``enumerate(lines, 1)`` with read failures (I/O errors) named by file and line."""
    lineno = 0
    while True:
        try:
            raw = next(lines)
        except StopIteration:
            return
        except OSError as err:
            raise InputError(
                f"cannot read line {lineno + 1} ({err.strerror or err}); check the disk, or "
                "copy the file elsewhere and read the copy",
                source=name,
            ) from None
        lineno += 1
        yield lineno, raw


def read_jsonl_records(
    path: str | os.PathLike[str],
    *,
    skip_errors: bool = False,
    report: ReadReport | None = None,
    max_chars: int | None = None,
) -> Iterator[tuple[str, Any]]:
    """Yield ``(where, record)`` per JSON line (``where`` = ``file:line``); ``-`` = stdin.

    Lines are split at ``\n`` only and decoded as UTF-8 one by one, so a bad line is named
    by its number and ``skip_errors`` skips that line, not the file. A line longer than
    ``LINE_BYTES_PER_CHAR * max_chars`` bytes (default: the ``max_document_chars`` setting,
    0 = no limit) is an error, found without holding the line in memory.
    """
    name = "<stdin>" if str(path) == "-" else str(path)
    if str(path) != "-" and not Path(path).exists():
        raise InputError("no such file; check the path", source=name)
    limit = _limit() if max_chars is None else max_chars
    seen_any = False
    for lineno, raw in _numbered(_byte_lines(path, LINE_BYTES_PER_CHAR * limit), name):
        where = f"{name}:{lineno}"
        if isinstance(raw, _LongLine):
            seen_any = True
            exc = InputError(
                _too_long(f"on a line of {raw.size:,} bytes (read no further)", limit),
                source=where,
            )
            if not skip_errors:
                raise exc
            if report is not None:
                report.skip(exc)
            continue
        if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                raise InputError(
                    f"is not valid UTF-8 (byte {err.start + 1} of the line); JSONL must be "
                    "UTF-8: re-encode the file, e.g. `iconv -f GB18030 -t UTF-8`",
                    source=where,
                ) from None
            del raw  # one copy of a long line at a time
            if not line.strip():
                continue
            seen_any = True
            try:
                record = _loads(line, where)
            except InputError as err:
                if name == "<stdin>" and lineno == 1 and not line.lstrip().startswith(("{", "[")):
                    raise InputError(
                        f"{err.reason}; `-` reads JSONL records (one JSON object per line): "
                        "save plain text as a .txt file and name it instead",
                        source=where,
                    ) from None
                raise
            del line
        except InputError as exc:
            if not skip_errors:
                raise
            if report is not None:
                report.skip(exc)
            continue
        yield where, record
        del record
    if not seen_any and not skip_errors:
        raise InputError(
            "contains no JSON records; add records (one JSON object per line) or leave it out",
            source=name,
        )


# --------------------------------------------------------------------------- inputs
def iter_input_files(inputs: Iterable[str]) -> Iterator[tuple[Path, Path | None]]:
    """Expand files, directories (recursive) and glob patterns into ``(file, root)`` pairs.

    ``root`` is the directory an id is made relative to (``None`` for a file named directly).
    Output order is sorted within each input, so ids and results are deterministic.
    """
    for item in inputs:
        if item == "-":
            yield Path("-"), None
            continue
        p = Path(item)
        if p.is_dir():
            files = sorted(
                f
                for f in p.rglob("*")
                if f.is_file()
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
                and f.suffix.lower() in INPUT_SUFFIXES
            )
            if not files:
                raise InputError(
                    "directory holds no .txt/.jsonl/.csv/.tsv/.parquet files; put inputs there "
                    "or name the files",
                    source=str(p),
                )
            for f in files:
                yield f, p
        elif p.is_file() or _is_stream(p):  # a FIFO: `<(zcat docs.jsonl.gz)`, /dev/stdin
            yield p, None
        elif glob.has_magic(item):
            matches = sorted(Path(m) for m in glob.glob(item, recursive=True))
            matches = [m for m in matches if m.is_file()]
            if not matches:
                raise InputError(
                    "glob pattern matches no files; check the pattern and the folder", source=item
                )
            for m in matches:
                yield m, None
        else:
            raise InputError("no such file or directory; check the path", source=item)


def _is_stream(path: Path) -> bool:
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)


def _id_for(path: Path, root: Path | None) -> str:
    rel = path.relative_to(root) if root is not None else Path(path.name)
    return rel.with_suffix("").as_posix()


def _read_table(
    path: Path, *, text_column: str | None, id_column: str | None
) -> Iterator[tuple[str, dict[str, Any]]]:
    import pandas as pd

    try:
        if path.suffix.lower() == ".parquet":
            frame = pd.read_parquet(path)
        else:
            sep = "\t" if path.suffix.lower() == ".tsv" else ","
            data = path.read_bytes()
            text, _ = decode_bytes(data, source=str(path))
            import io as _io

            frame = pd.read_csv(
                _io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, quoting=0
            )
    except AnnotkitError:
        raise
    except Exception as err:
        raise InputError(
            f"cannot parse table ({err}); check that it is a valid CSV, TSV or Parquet file",
            source=str(path),
        ) from None
    column = text_column or ("text" if "text" in frame.columns else None)
    if column is None or column not in frame.columns:
        raise InputError(
            f"no text column {column or 'text'!r}; columns are {list(frame.columns)}. "
            "Pass --text-column NAME",
            source=str(path),
        )
    idc = id_column or ("id" if "id" in frame.columns else None)
    for row_no, row in enumerate(frame.to_dict(orient="records"), 2):
        rec: dict[str, Any] = {"text": row.get(column)}
        if idc and idc in row and row[idc] not in (None, ""):
            rec["id"] = str(row[idc])
        rec["meta"] = {
            k: v
            for k, v in row.items()
            if k not in {column, idc} and isinstance(v, (str, int, float))
        }
        yield f"{path}:{row_no}", rec


def read_documents(
    inputs: Iterable[str],
    *,
    text_column: str | None = None,
    id_column: str | None = None,
    skip_errors: bool = False,
    report: ReadReport | None = None,
    on_duplicate: str = "error",
    max_chars: int | None = None,
    transform: Callable[[Any, str], Any] | None = None,
) -> Iterator[Document]:
    """Yield Documents from files, directories, globs and ``-`` (JSONL on stdin), lazily.

    arg inputs (Iterable[str]): paths, directories (recursive), glob patterns or ``-``.
    arg text_column (str | None): table/JSONL field holding the text (default ``text``).
    arg skip_errors (bool): on bad input, record it in ``report`` and go on instead of raising
        (a bad JSONL line skips that line, not its file).
    arg on_duplicate (str): a document id seen before is an ``"error"`` (default, naming
        both places) or skipped with ``"keep-first"`` (counted in ``report.duplicates``).
    arg max_chars (int | None): a document text longer than this is an error (default: the
        ``max_document_chars`` setting, ``ANNOTKIT_MAX_DOCUMENT_CHARS``; 0 = no limit).
    arg transform (Callable | None): ``transform(record, where)`` rewrites each JSONL record
        before it becomes a Document (e.g. a doccano export's offsets into code points); an
        :class:`InputError` it raises is bad input like any other (``skip_errors`` applies).
    RETURNS Iterator[Document] in a deterministic order.
    """
    if on_duplicate not in DUPLICATE_POLICIES:
        raise InputError(
            f"unknown duplicate policy {on_duplicate!r}; use {' or '.join(DUPLICATE_POLICIES)}"
        )
    report = report if report is not None else ReadReport()
    limit = _limit() if max_chars is None else max_chars
    seen: dict[str, str] = {}

    def guarded(make: Callable[[], Document], where: str) -> Document | None:
        try:
            doc = make()
            if limit and len(doc.text) > limit:
                raise InputError(
                    _too_long(f"{len(doc.text):,} characters", limit),
                    source=f"{where}: document {doc.id!r}",
                )
            first = seen.get(doc.id)
            if first is not None:
                if on_duplicate == "keep-first":
                    report.duplicates += 1
                    return None
                raise InputError(
                    f"document id {doc.id!r} was already read at {first}; ids must be unique "
                    "(fix the ids, or pass --on-duplicate keep-first to keep the first)",
                    source=where,
                )
            seen[doc.id] = where
        except InputError as err:
            if not skip_errors:
                raise
            report.skip(err)
            return None
        report.read += 1
        return doc

    for path, root in iter_input_files(inputs):
        suffix = path.suffix.lower()
        if str(path) == "-" or suffix in JSONL_SUFFIXES:
            records: Iterable[tuple[str, Any]] = read_jsonl_records(
                path, skip_errors=skip_errors, report=report, max_chars=limit
            )
            field = text_column or "text"
            idf = id_column or "id"
            rewrite = transform
        elif suffix in TABLE_SUFFIXES:
            try:
                records = list(_read_table(path, text_column=text_column, id_column=id_column))
            except InputError as err:
                if not skip_errors:
                    raise
                report.skip(err)
                continue
            field, idf, rewrite = "text", "id", None
        else:
            make = partial(read_text_file, path, doc_id=_id_for(path, root), max_chars=limit)
            doc = guarded(make, str(path))
            if doc is not None:
                yield doc
            continue
        try:
            for where, rec in records:
                make = partial(_from_record, rec, where, field, idf, rewrite)
                del rec
                doc = guarded(make, where)
                del make
                if doc is not None:
                    yield doc
                    del doc
        except InputError as err:  # the file itself (missing, empty): skip it as a whole
            if not skip_errors:
                raise
            report.skip(err)


def _from_record(
    rec: Any, where: str, field: str, idf: str, transform: Callable[[Any, str], Any] | None
) -> Document:
    if transform is not None:
        rec = transform(rec, where)
    return document_from_record(rec, where=where, text_field=field, id_field=idf)


# --------------------------------------------------------------------------- writing
_TMP_SUFFIX = ".tmp"


@dataclass(slots=True)
class Backups:
    """Collects the backups :func:`atomic_output` keeps of outputs it replaces.

    Pass one as ``backups=`` to keep an existing output whose content changes as
    ``<name>.<UTC timestamp>.bak`` beside it (a hard link, so it costs no copy); an output
    whose new content is the same is replaced without a backup.
    """

    kept: list[tuple[Path, Path]] = field(default_factory=list)  # (output, its backup)


def _umask_mode() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale_temps(target: Path) -> None:
    """Remove temp files and folders an earlier, killed writer of ``target`` left behind."""
    prefix = f".{target.name}."
    try:
        names = os.listdir(target.parent)
    except OSError:
        return
    for name in names:
        if not (name.startswith(prefix) and name.endswith(_TMP_SUFFIX)):
            continue
        pid = name[len(prefix) :].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            stale = target.parent / name
            try:
                if stale.is_dir() and not stale.is_symlink():
                    shutil.rmtree(stale)
                else:
                    os.unlink(stale)
            except OSError:
                pass


def make_temp_dir(target: str | os.PathLike[str]) -> Path:
    """A new empty folder beside ``target`` to build it in (``.<name>.<pid>.<random>.tmp``),
    after removing the ones killed earlier runs left behind. Rename it to ``target`` when
    done; remove it on failure (the next call removes it if the process was killed)."""
    dest = Path(target)
    dest.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(dest)
    return Path(
        tempfile.mkdtemp(prefix=f".{dest.name}.{os.getpid()}.", suffix=_TMP_SUFFIX, dir=dest.parent)
    )


def _resolve_target(path: str | os.PathLike[str]) -> tuple[Path, bool]:
    """The file to write for ``path`` and whether it is written through (FIFO/device).

    A symlink is followed (its target is written; the link stays); a FIFO or character
    device is written through; a directory, socket or block device is refused.
    """
    target = Path(path)
    if target.is_symlink():
        target = Path(os.path.realpath(target))
    try:
        st = target.stat()
    except FileNotFoundError:
        return target, False
    except NotADirectoryError:
        raise InputError(
            "cannot write here: a part of the path is a file, not a folder; choose another path",
            source=str(path),
        ) from None
    if stat.S_ISREG(st.st_mode):
        return target, False
    if stat.S_ISFIFO(st.st_mode) or stat.S_ISCHR(st.st_mode):
        return target, True
    what = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file"
    raise InputError(f"cannot write here: it is {what}; give a file path", source=str(path))


def _write_failed(err: OSError, path: str | os.PathLike[str]) -> InputError:
    if str(path) == "<stdout>":
        hint = (
            "redirect standard output somewhere writable, or pass -o FILE"
            if err.errno == errno.EBADF
            else "free disk space where standard output goes, or pass -o FILE"
        )
        return InputError(f"cannot write: {err.strerror or err}; {hint}", source=str(path))
    return InputError(
        f"cannot write: {err.strerror or err}; free disk space, check permissions or choose "
        "another output path (nothing was replaced)",
        source=str(path),
    )


def backup_path(target: Path) -> Path:
    """A free ``<name>.<UTC stamp>.bak`` (``-N`` added when taken) beside ``target``."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    backup = target.with_name(f"{target.name}.{stamp}.bak")
    n = 1
    while backup.exists():
        backup = target.with_name(f"{target.name}.{stamp}-{n}.bak")
        n += 1
    return backup


def _keep_backup(target: Path, new: Path, backups: Backups) -> None:
    """Keep ``target`` as ``<name>.<stamp>.bak`` if ``new`` differs from it."""
    try:
        if not target.is_file() or target.stat().st_size == 0:
            return
        if filecmp.cmp(target, new, shallow=False):
            return
    except OSError:
        return
    backup = backup_path(target)
    try:
        os.link(target, backup)
    except OSError:  # a file system without hard links
        shutil.copy2(target, backup)
    backups.kept.append((target, backup))


@contextmanager
def atomic_output(
    path: str | os.PathLike[str], *, backups: Backups | None = None
) -> Iterator[Path]:
    """Yield a path to write ``path``'s new content to; it replaces ``path`` on success.

    Regular files are replaced atomically (a temporary file beside the target, renamed over
    it) and get the mode the umask gives (0644 under 022); on any exception (and on SIGTERM,
    which the CLI turns into one) the temporary file is removed and ``path`` is left
    untouched. A symlink's target is written (the link stays a link); a FIFO or character
    device (``/dev/null``, ``/dev/stdout``) is written through directly. Temporary files of
    killed earlier runs are removed. With ``backups``, an existing ``path`` whose content
    changes is kept as a timestamped ``.bak`` (see :class:`Backups`). A failed write
    (disk full, permissions) is an :class:`InputError` naming ``path``.
    """
    target, through = _resolve_target(path)
    if through:
        try:
            yield target
        except OSError as err:
            if isinstance(err, BrokenPipeError) or err.filename not in (None, str(target)):
                raise
            raise _write_failed(err, path) from None
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise InputError(
            f"cannot create the folder {str(target.parent)!r}: a part of it is a file; "
            "choose another output path",
            source=str(path),
        ) from None
    except OSError as err:
        raise InputError(f"cannot create its folder: {err.strerror}", source=str(path)) from None
    _remove_stale_temps(target)
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{target.name}.{os.getpid()}.", suffix=_TMP_SUFFIX, dir=target.parent
        )
    except OSError as err:
        raise InputError(f"cannot write: {err.strerror}", source=str(path)) from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        try:
            yield tmp
            with open(tmp, "rb") as handle:
                os.fsync(handle.fileno())
            os.chmod(tmp, _umask_mode())
            if backups is not None:
                _keep_backup(target, tmp, backups)
            os.replace(tmp, target)
        except OSError as err:
            if err.filename not in (None, tmp_name, str(target)):
                raise  # not a write failure (an input read lazily, say): as it is
            raise _write_failed(err, path) from None
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


@contextmanager
def atomic_writer(
    path: str | os.PathLike[str], *, encoding: str = "utf-8", backups: Backups | None = None
) -> Iterator[IO[str]]:
    """Open ``path`` for writing text through :func:`atomic_output` (same guarantees)."""
    with atomic_output(path, backups=backups) as tmp:
        with open(tmp, "w", encoding=encoding, newline="") as handle:
            yield handle


def write_jsonl(
    records: Iterable[Mapping[str, Any]],
    path: str | os.PathLike[str] | None,
    *,
    backups: Backups | None = None,
) -> int:
    """Write records as JSON lines to ``path`` atomically, or to stdout for ``None``/``-``.

    Lines are :func:`dumps_record` (U+2028/U+2029/U+0085 escaped). ``backups``: see
    :func:`atomic_output`. RETURNS the number of records written.
    """
    count = 0

    def dump(handle: IO[str]) -> None:
        nonlocal count
        for rec in records:
            handle.write(dumps_record(rec))
            handle.write("\n")  # not `line + "\n"`: no second copy of a long line
            count += 1

    if path is None or str(path) == "-":
        records = list(records)  # fail before the first byte, not halfway through
        try:
            dump(sys.stdout)
            sys.stdout.flush()
        except BrokenPipeError:
            raise
        except OSError as err:
            raise _write_failed(err, "<stdout>") from None
    else:
        with atomic_writer(path, backups=backups) as handle:
            dump(handle)
    return count
