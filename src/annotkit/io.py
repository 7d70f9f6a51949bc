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

import glob
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from annotkit.doc import Document, Span, content_id
from annotkit.errors import AnnotkitError, InputError

__all__ = [
    "ReadReport",
    "atomic_writer",
    "decode_bytes",
    "document_from_record",
    "document_to_record",
    "iter_input_files",
    "read_documents",
    "read_jsonl_records",
    "read_text_file",
    "write_jsonl",
]

TEXT_SUFFIXES = (".txt", ".text", ".md")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
TABLE_SUFFIXES = (".csv", ".tsv", ".parquet")
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
# Legacy CJK encodings tried after UTF-8, in order of preference when both decode.
_CJK_CANDIDATES = ("gb18030", "big5", "utf-16-le", "utf-16-be")


@dataclass(slots=True)
class ReadReport:
    """Counts kept while reading a batch with ``skip_errors``: what was read and skipped."""

    read: int = 0
    skipped: int = 0
    errors: list[str] | None = None

    def skip(self, err: InputError) -> None:
        self.skipped += 1
        if self.errors is None:
            self.errors = []
        self.errors.append(str(err))


# --------------------------------------------------------------------------- decoding
def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" not in sample:
        ctrl = sum(1 for b in sample if b < 9 or 13 < b < 32)
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


def read_text_file(path: str | os.PathLike[str], *, doc_id: str | None = None) -> Document:
    """Read one text file into a Document (id = ``doc_id`` or the file name's stem)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as err:
        raise InputError(f"cannot read file: {err.strerror}", source=str(p)) from None
    text, encoding = decode_bytes(data, source=str(p))
    if not text.strip():
        raise InputError("contains only whitespace; remove it or add text", source=str(p))
    return Document(
        id=doc_id or p.stem,
        text=text,
        meta={"source": str(p), "encoding": encoding},
    )


# --------------------------------------------------------------------------- records
def _spans_from_record(rec: Mapping[str, Any], text: str, where: str) -> tuple[Span, ...]:
    spans: list[Span] = []
    meta = rec.get("meta") if isinstance(rec.get("meta"), Mapping) else {}
    entities = meta.get("entities") if isinstance(meta, Mapping) else None
    try:
        if isinstance(entities, list) and entities:
            for ent in entities:
                spans.append(
                    Span(
                        int(ent["start"]),
                        int(ent["end"]),
                        str(ent["label"]),
                        source=str(ent.get("source") or "file"),
                        score=ent.get("score"),
                        norm=ent.get("norm"),
                    )
                )
        else:
            raw = rec.get("label", rec.get("labels", rec.get("entities", [])))
            if raw is None:
                raw = []
            if not isinstance(raw, list):
                raise InputError(
                    "'label' must be a list of [start, end, LABEL]; text classification "
                    "labels are not supported here",
                    source=where,
                )
            for item in raw:
                if isinstance(item, Mapping):
                    start = item.get("start_offset", item.get("start"))
                    end = item.get("end_offset", item.get("end"))
                    label = item.get("label")
                    spans.append(Span(int(start), int(end), str(label), source="file"))
                elif isinstance(item, (list, tuple)) and len(item) >= 3:
                    spans.append(Span(int(item[0]), int(item[1]), str(item[2]), source="file"))
                else:
                    raise InputError(
                        f"label entry {item!r} is not [start, end, LABEL]", source=where
                    )
    except (KeyError, TypeError, ValueError) as err:
        raise InputError(
            f"malformed span ({err}); spans are [start, end, LABEL] with integer offsets",
            source=where,
        ) from None
    spans.sort(key=lambda s: (s.start, s.end, s.label))
    for s in spans:
        if s.end > len(text):
            raise InputError(
                f"span [{s.start}, {s.end}) {s.label} is out of range (text length {len(text)});"
                " offsets must be code points into 'text'",
                source=where,
            )
    for a, b in zip(spans, spans[1:], strict=False):
        if b.start < a.end:
            raise InputError(
                f"spans [{a.start}, {a.end}) {a.label} and [{b.start}, {b.end}) {b.label} "
                "overlap; annotkit needs non-overlapping spans: remove one",
                source=where,
            )
    return tuple(spans)


def document_from_record(
    rec: Any, *, where: str, text_field: str = "text", id_field: str = "id"
) -> Document:
    """Build a Document from a JSON object (doccano-style or plain ``{"id", "text"}``)."""
    if not isinstance(rec, Mapping):
        raise InputError("expected a JSON object per line", source=where)
    text = rec.get(text_field)
    if text is None and text_field == "text":
        text = rec.get("data")  # doccano exports of some versions
    if not isinstance(text, str):
        raise InputError(
            f"missing or non-string {text_field!r} field; each record needs the document text",
            source=where,
        )
    if not text.strip():
        raise InputError(f"{text_field!r} is empty; remove the record or add text", source=where)
    raw_id = rec.get(id_field)
    meta = dict(rec["meta"]) if isinstance(rec.get("meta"), Mapping) else {}
    if raw_id is None and isinstance(meta.get("annotkit_id"), str):
        raw_id = meta["annotkit_id"]
    doc_id = str(raw_id) if raw_id not in (None, "") else content_id(text)
    for key, value in rec.items():
        if key not in {text_field, id_field, "label", "labels", "entities", "meta", "data"}:
            meta.setdefault(key, value)
    meta.pop("entities", None)
    spans = _spans_from_record(rec, text, where)
    return Document(id=doc_id, text=text, spans=spans, meta=meta)


def document_to_record(doc: Document, *, with_entities: bool = True) -> dict[str, Any]:
    """doccano-style JSON record: ``{"id", "text", "label", "meta": {..., "entities"}}``."""
    meta: dict[str, Any] = dict(doc.meta)
    if with_entities:
        meta["entities"] = [
            {
                "start": s.start,
                "end": s.end,
                "label": s.label,
                "text": doc.text[s.start : s.end],
                "source": s.source,
                "score": s.score,
                "norm": dict(s.norm) if s.norm is not None else None,
            }
            for s in doc.spans
        ]
    return {
        "id": doc.id,
        "text": doc.text,
        "label": [[s.start, s.end, s.label] for s in doc.spans],
        "meta": meta,
    }


def read_jsonl_records(
    path: str | os.PathLike[str], *, skip_errors: bool = False, report: ReadReport | None = None
) -> Iterator[tuple[str, Any]]:
    """Yield ``(where, record)`` per JSON line (``where`` = ``file:line``); ``-`` = stdin."""
    name = "<stdin>" if str(path) == "-" else str(path)
    if str(path) == "-":
        stream: IO[str] = sys.stdin
        lines: Iterable[str] = stream
    else:
        data = Path(path).read_bytes() if Path(path).exists() else None
        if data is None:
            raise InputError("no such file", source=name)
        text, _ = decode_bytes(data, source=name)
        lines = text.splitlines()
    seen_any = False
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        seen_any = True
        where = f"{name}:{lineno}"
        try:
            yield where, json.loads(line)
        except json.JSONDecodeError as err:
            exc = InputError(
                f"malformed JSON ({err.msg} at column {err.colno}); fix or remove the line",
                source=where,
            )
            if not skip_errors:
                raise exc from None
            if report is not None:
                report.skip(exc)
    if not seen_any and not skip_errors:
        raise InputError("contains no JSON records", source=name)


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
                and f.suffix.lower() in TEXT_SUFFIXES + JSONL_SUFFIXES + TABLE_SUFFIXES
            )
            if not files:
                raise InputError(
                    "directory holds no .txt/.jsonl/.csv/.tsv/.parquet files", source=str(p)
                )
            for f in files:
                yield f, p
        elif p.is_file():
            yield p, None
        elif glob.has_magic(item):
            matches = sorted(Path(m) for m in glob.glob(item, recursive=True))
            matches = [m for m in matches if m.is_file()]
            if not matches:
                raise InputError("glob pattern matches no files", source=item)
            for m in matches:
                yield m, None
        else:
            raise InputError("no such file or directory", source=item)


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
        raise InputError(f"cannot parse table: {err}", source=str(path)) from None
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
) -> Iterator[Document]:
    """Yield Documents from files, directories, globs and ``-`` (JSONL on stdin).

    arg inputs (Iterable[str]): paths, directories (recursive), glob patterns or ``-``.
    arg text_column (str | None): table/JSONL field holding the text (default ``text``).
    arg skip_errors (bool): on bad input, record it in ``report`` and go on instead of raising.
    RETURNS Iterator[Document] in a deterministic order.
    """
    report = report if report is not None else ReadReport()

    def guarded(make: Callable[[], Document]) -> Document | None:
        try:
            doc = make()
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
            try:
                records = list(read_jsonl_records(path, skip_errors=skip_errors, report=report))
            except InputError as err:
                if not skip_errors:
                    raise
                report.skip(err)
                continue
            for where, rec in records:
                doc = guarded(
                    lambda rec=rec, where=where: document_from_record(
                        rec, where=where, text_field=text_column or "text"
                    )
                )
                if doc is not None:
                    yield doc
        elif suffix in TABLE_SUFFIXES:
            try:
                rows = list(_read_table(path, text_column=text_column, id_column=id_column))
            except InputError as err:
                if not skip_errors:
                    raise
                report.skip(err)
                continue
            for where, rec in rows:
                doc = guarded(lambda rec=rec, where=where: document_from_record(rec, where=where))
                if doc is not None:
                    yield doc
        else:
            doc = guarded(
                lambda path=path, root=root: read_text_file(path, doc_id=_id_for(path, root))
            )
            if doc is not None:
                yield doc


# --------------------------------------------------------------------------- writing
@contextmanager
def atomic_writer(path: str | os.PathLike[str], *, encoding: str = "utf-8") -> Iterator[IO[str]]:
    """Open a temporary file beside ``path`` and rename it over ``path`` on success.

    On any exception the temporary file is removed and ``path`` is left untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline="") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_jsonl(records: Iterable[Mapping[str, Any]], path: str | os.PathLike[str] | None) -> int:
    """Write records as JSON lines to ``path`` atomically, or to stdout for ``None``/``-``.

    RETURNS the number of records written.
    """
    count = 0

    def dump(handle: IO[str]) -> None:
        nonlocal count
        for rec in records:
            handle.write(json.dumps(rec, ensure_ascii=False, sort_keys=False) + "\n")
            count += 1

    if path is None or str(path) == "-":
        records = list(records)  # fail before the first byte, not halfway through
        dump(sys.stdout)
        sys.stdout.flush()
    else:
        with atomic_writer(path) as handle:
            dump(handle)
    return count
