"""JSONL exports with one document per line: the annotkit record, Prodigy and doccano.

- ``jsonl``: the annotkit record (docs/record.md) exactly as every command writes it.
- ``prodigy``: Prodigy's NER task format, ``{"text", "tokens", "spans", "answer", "meta"}``;
  ``tokens`` (``text``, ``start``, ``end``, ``id``, ``ws``) are annotkit's, split at span edges,
  so each span's ``token_start``/``token_end`` (inclusive) is exact. ``prodigy db-in`` and the
  ``ner.manual`` interface read it; annotkit reads it back (``spans`` are the truth there).
  Existing ``_input_hash``/``_task_hash``/``answer`` fields pass through.
- ``doccano``: doccano's sequence-labelling JSONL import, the lines ``annotkit doccano push``
  uploads: ``text``, ``label`` in doccano's offsets (UTF-16 code units, or grapheme clusters for
  projects in grapheme mode), ``annotkit_id``, ``annotkit_hash``, ``annotkit_pre`` (what push
  writes) and ``annotkit_meta`` (the document's ``meta``; doccano keeps other keys as the
  example's metadata). Every line has the same keys: doccano reads the file into one table,
  and a key missing on some lines becomes NaN there, which its database rejects.
  :func:`read_doccano` reads it back in code points.

EXAMPLE:
    >>> from annotkit.doc import Document, Span
    >>> doc = Document("d1", "😀 5 mL", spans=(Span(2, 6, "DOSE"),))
    >>> doccano_record(doc)["label"]
    [[3, 7, 'DOSE']]
    >>> prodigy_record(doc, [(2, 3), (4, 6)])["spans"]
    [{'start': 2, 'end': 6, 'label': 'DOSE', 'token_start': 0, 'token_end': 1}]
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from annotkit.doc import Document
from annotkit.errors import InputError, OffsetError
from annotkit.io import read_documents
from annotkit.offsets import OffsetMap

__all__ = [
    "META_KEY",
    "doccano_reader",
    "doccano_record",
    "prodigy_record",
    "read_doccano",
    "read_jsonl",
]

_PRODIGY_PASS = ("_input_hash", "_task_hash", "answer")
#: the key of the doccano line holding the document's meta
META_KEY = "annotkit_meta"
_DOCCANO_OWN = ("text", "label", "annotkit_id", "annotkit_hash", "annotkit_pre", META_KEY)


def prodigy_record(doc: Document, tokens: Sequence[tuple[int, int]]) -> dict[str, Any]:
    """The Prodigy NER task of ``doc``; ``tokens`` are code-point offsets, in order, with
    every span starting and ending on token edges (:func:`annotkit.tags.tag_document`)."""
    text = doc.text
    starts = {a: i for i, (a, _) in enumerate(tokens)}
    ends = {b: i for i, (_, b) in enumerate(tokens)}
    spans: list[dict[str, Any]] = []
    for s in doc.spans:
        item: dict[str, Any] = {"start": s.start, "end": s.end, "label": s.label}
        if s.start in starts and s.end in ends:
            item["token_start"], item["token_end"] = starts[s.start], ends[s.end]
        spans.append(item)
    rec: dict[str, Any] = {
        "id": doc.id,
        "text": text,
        "tokens": [
            {
                "text": text[a:b],
                "start": a,
                "end": b,
                "id": i,
                "ws": b < len(text) and text[b] == " ",
            }
            for i, (a, b) in enumerate(tokens)
        ],
        "spans": spans,
        "answer": "accept",
        "meta": dict(doc.meta),
    }
    for key in _PRODIGY_PASS:
        if key in doc.extra:
            rec[key] = doc.extra[key]
    return rec


def doccano_record(doc: Document, *, grapheme: bool = False) -> dict[str, Any]:
    """The doccano import line of ``doc`` (offsets in doccano units, meta in ``annotkit_meta``).

    Raises :class:`~annotkit.errors.OffsetError` in grapheme mode for a span that cuts a
    grapheme cluster.
    """
    from annotkit.sync.mapping import mode_for, to_import_record

    rec = to_import_record(doc, mode=mode_for(grapheme))
    rec[META_KEY] = dict(doc.meta)
    return rec


def read_jsonl(path: str | os.PathLike[str]) -> list[Document]:
    """Re-import a ``jsonl`` (annotkit record) or ``prodigy`` export."""
    return list(read_documents([str(path)]))


def read_doccano(
    path: str | os.PathLike[str], *, grapheme: bool = False, **options: Any
) -> list[Document]:
    """Re-import a ``doccano`` export, or a JSONL file exported by doccano, in code points.

    Offsets (``label`` triples or ``entities`` objects) are converted from doccano units
    (UTF-16 code units, or grapheme clusters with ``grapheme``); other top-level keys are the
    example's metadata and become the document's ``meta`` (with ``annotkit_meta`` unpacked).
    Raises :class:`~annotkit.errors.InputError` naming the line for an offset that does not
    fall on a character boundary, and for everything :func:`document_from_record` rejects.
    ``options`` are :func:`annotkit.io.read_documents`' (``skip_errors``, ``on_duplicate``,
    ``max_chars``, ``report``).
    """
    return list(read_documents([str(path)], transform=doccano_reader(grapheme), **options))


def doccano_reader(grapheme: bool = False) -> Callable[[Any, str], dict[str, Any]]:
    """The ``transform`` of :func:`annotkit.io.read_documents` that reads a line exported by
    doccano as an annotkit record (offsets in code points, metadata in ``meta``)."""
    mode = "grapheme" if grapheme else "utf16"

    def to_record(raw: Any, where: str) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise InputError("expected a JSON object per line", source=where)
        text = raw.get("text", raw.get("data"))
        rec: dict[str, Any] = {k: raw[k] for k in ("id", "annotkit_id") if k in raw}
        rec["text"] = text
        meta = dict(raw["meta"]) if isinstance(raw.get("meta"), dict) else {}
        meta.update((k, v) for k, v in raw.items() if k not in _DOCCANO_READ)
        if isinstance(raw.get(META_KEY), dict):
            meta.update(raw[META_KEY])
        rec["meta"] = meta
        for key in ("label", "entities"):
            if key in raw:
                rec[key] = (
                    _from_doccano(raw[key], text, mode, where)
                    if isinstance(text, str)
                    else raw[key]
                )
        return rec

    return to_record


_DOCCANO_READ = (*_DOCCANO_OWN, "id", "data", "entities", "meta")


def _from_doccano(items: Any, text: str, mode: str, where: str) -> Any:
    if not isinstance(items, list):
        return items  # document_from_record names the problem
    omap = OffsetMap.build(text, mode)
    out: list[Any] = []
    try:
        for item in items:
            if isinstance(item, dict):
                moved = dict(item)
                for key in ("start_offset", "end_offset"):
                    if isinstance(item.get(key), int):
                        moved[key] = omap.from_external(item[key])
                out.append(moved)
            elif (
                isinstance(item, list)
                and len(item) == 3
                and all(isinstance(x, int) for x in item[:2])
            ):
                out.append([omap.from_external(item[0]), omap.from_external(item[1]), item[2]])
            else:
                out.append(item)
    except OffsetError as err:
        raise InputError(f"{err}; is this a doccano export of this text?", source=where) from None
    return out
