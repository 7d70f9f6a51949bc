"""Pure conversions between annotkit Documents and doccano's JSON (no network, no client).

doccano counts span offsets in UTF-16 code units, or in grapheme clusters when the project
uses grapheme mode; annotkit counts code points. Every offset crosses that boundary here,
through :class:`annotkit.offsets.OffsetMap`, so text with emoji, CJK Extension B (𠀀) or
CRLF keeps each span exact in both directions.

EXAMPLE:
    >>> from annotkit.doc import Document, Span
    >>> doc = Document("d1", "😀 MSCs", spans=(Span(2, 6, "CELL_TYPE"),))
    >>> rec = to_import_record(doc, mode="utf16")
    >>> rec["label"]
    [[3, 7, 'CELL_TYPE']]
    >>> spans_from_doccano(doc.text, rec["label"], mode="utf16")[0].start
    2
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from annotkit.doc import Document, Span
from annotkit.errors import OffsetError
from annotkit.offsets import OffsetMap, grapheme_boundaries

__all__ = [
    "ExampleRecord",
    "HASH_KEY",
    "ID_KEY",
    "LEGACY_KEYS",
    "PRE_KEY",
    "mode_for",
    "offsets_from_doccano",
    "pre_annotation",
    "spans_from_doccano",
    "spans_to_doccano",
    "to_import_record",
]

#: The one example meta key annotkit writes: the document id. Annotators see example meta in
#: doccano's labeling page (its "Metadata" panel), so nothing else of annotkit's goes there;
#: what a push suggested is kept in the suggestion ledger (:mod:`annotkit.sync.ledger`).
ID_KEY = "annotkit_id"
#: Keys pushes before annotkit 0.2 also wrote (text hash, pushed pre-annotation); read for
#: old projects, removed from their examples by the next push, never written.
HASH_KEY = "annotkit_hash"
PRE_KEY = "annotkit_pre"
LEGACY_KEYS: tuple[str, ...] = (HASH_KEY, PRE_KEY)

Triple = tuple[int, int, str]
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


class _Utf16Map:
    """UTF-16 conversion from the positions of astral characters only (fast for long texts).

    Same results as ``OffsetMap.build(text, "utf16")``, which walks every character.
    """

    __slots__ = ("astral", "length", "units")

    def __init__(self, text: str) -> None:
        self.astral = [m.start() for m in _ASTRAL.finditer(text)]
        self.length = len(text)
        # astral[k] sits at UTF-16 unit astral[k] + k and takes two units
        self.units = [a + k for k, a in enumerate(self.astral)]

    def to_external(self, offset: int) -> int:
        if not 0 <= offset <= self.length:
            raise OffsetError(f"offset {offset} outside text of length {self.length}")
        return offset + bisect_left(self.astral, offset)

    def from_external(self, offset: int) -> int:
        i = bisect_left(self.units, offset - 1)
        if i < len(self.units) and self.units[i] == offset - 1:
            raise OffsetError(
                f"utf16 offset {offset} falls inside a surrogate pair (an emoji or other "
                "character outside the BMP); doccano offsets must be on character boundaries"
            )
        cp = offset - bisect_right(self.units, offset - 2)
        if not 0 <= cp <= self.length:
            raise OffsetError(
                f"utf16 offset {offset} lies beyond the text ({self.length + len(self.astral)} "
                "UTF-16 units)"
            )
        return cp


def _offset_map(text: str, mode: str) -> _Utf16Map | OffsetMap:
    return _Utf16Map(text) if mode == "utf16" else OffsetMap.build(text, mode)


def mode_for(grapheme: bool) -> str:
    """The offset mode for a project: ``"grapheme"`` or ``"utf16"``."""
    return "grapheme" if grapheme else "utf16"


def spans_to_doccano(text: str, spans: Iterable[Span], *, mode: str) -> list[list[Any]]:
    """Code-point spans -> ``[[start, end, LABEL], ...]`` in doccano units (``mode``).

    Raises :class:`OffsetError` when a boundary falls inside a grapheme cluster (grapheme
    mode cannot express it).
    """
    omap = _offset_map(text, mode)
    bounds = set(grapheme_boundaries(text)) if mode == "grapheme" else None
    out: list[list[Any]] = []
    for span in spans:
        if bounds is not None and (span.start not in bounds or span.end not in bounds):
            raise OffsetError(
                f"span [{span.start}, {span.end}) {span.label} cuts a grapheme cluster in "
                f"{text[max(0, span.start - 5) : span.end + 5]!r}; grapheme-mode projects need "
                "spans on cluster boundaries: fix the span or push without --grapheme"
            )
        out.append([omap.to_external(span.start), omap.to_external(span.end), span.label])
    return out


def spans_from_doccano(
    text: str, items: Iterable[Sequence[Any]], *, mode: str, source: str | None = "doccano"
) -> tuple[Span, ...]:
    """``[[start, end, LABEL], ...]`` in doccano units -> sorted code-point Spans.

    Exact duplicates (two annotators marking the same span) collapse into one; when spans
    still overlap (non-overlap is a project setting, not a guarantee across annotators) the
    earlier-starting, then longer, span is kept.
    """
    omap = _offset_map(text, mode)
    triples: set[Triple] = set()
    for item in items:
        start, end, label = int(item[0]), int(item[1]), str(item[2])
        triples.add((omap.from_external(start), omap.from_external(end), label))
    ordered = sorted(triples, key=lambda t: (t[0], -t[1], t[2]))
    kept: list[Span] = []
    for start, end, label in ordered:
        if kept and start < kept[-1].end:
            continue
        kept.append(Span(start, end, label, source=source))
    return tuple(kept)


def offsets_from_doccano(
    text: str, pairs: Iterable[tuple[int, int]], *, mode: str
) -> list[tuple[int, int]]:
    """``(start, end)`` pairs in doccano units -> code points (OffsetError when impossible)."""
    omap = _offset_map(text, mode)
    return [(omap.from_external(int(s)), omap.from_external(int(e))) for s, e in pairs]


def pre_annotation(doc: Document) -> list[list[Any]]:
    """The document's spans as ``[[start, end, LABEL], ...]`` in code points."""
    return [[s.start, s.end, s.label] for s in doc.spans]


def to_import_record(doc: Document, *, mode: str) -> dict[str, Any]:
    """The JSONL import line for one document: text, label (doccano units), document id.

    Other keys than ``text`` and ``label`` become the example's meta in doccano, which
    annotators read; the only one is ``annotkit_id``. (The document's own ``meta`` stays in
    the suggestion ledger: doccano's importer also turns keys missing from some lines into
    NaN, which its database rejects.)
    """
    return {
        "text": doc.text,
        "label": spans_to_doccano(doc.text, doc.spans, mode=mode),
        ID_KEY: doc.id,
    }


@dataclass(frozen=True, slots=True)
class ExampleRecord:
    """One doccano example as the JSONL export gives it (offsets still in doccano units)."""

    example_id: int
    text: str
    meta: Mapping[str, Any]
    label: tuple[tuple[int, int, str], ...]
    comments: tuple[Mapping[str, Any], ...] = field(default=())

    @property
    def annotkit_id(self) -> str | None:
        value = self.meta.get(ID_KEY)
        return str(value) if value not in (None, "") else None

    def legacy_pre(self) -> tuple[Triple, ...] | None:
        """The pre-annotation an old push kept in the example meta (code points), if any."""
        raw = self.meta.get(PRE_KEY)
        if not isinstance(raw, list):
            return None
        return tuple((int(p[0]), int(p[1]), str(p[2])) for p in raw)

    @property
    def has_legacy_meta(self) -> bool:
        return any(k in self.meta for k in LEGACY_KEYS)

    def user_meta(self) -> dict[str, Any]:
        """The example meta without annotkit's keys: the document's own metadata."""
        return {k: v for k, v in self.meta.items() if k != ID_KEY and k not in LEGACY_KEYS}
