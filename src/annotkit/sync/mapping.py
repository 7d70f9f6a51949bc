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

from annotkit.doc import Document, Review, Span, text_hash
from annotkit.errors import OffsetError
from annotkit.offsets import OffsetMap, grapheme_boundaries

__all__ = [
    "ExampleRecord",
    "HASH_KEY",
    "ID_KEY",
    "PRE_KEY",
    "mode_for",
    "pre_annotation",
    "spans_from_doccano",
    "spans_to_doccano",
    "to_import_record",
]

#: Example meta keys annotkit writes: the document id, its text hash and the pre-annotation
#: (code points) it pushed, which pull compares the human result against.
ID_KEY = "annotkit_id"
HASH_KEY = "annotkit_hash"
PRE_KEY = "annotkit_pre"

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


def pre_annotation(doc: Document) -> list[list[Any]]:
    """The document's spans as ``[[start, end, LABEL], ...]`` in code points."""
    return [[s.start, s.end, s.label] for s in doc.spans]


def to_import_record(doc: Document, *, mode: str) -> dict[str, Any]:
    """The JSONL import line for one document: text, label (doccano units) and our meta.

    Other keys than ``text`` and ``label`` become the example's meta in doccano.
    """
    return {
        "text": doc.text,
        "label": spans_to_doccano(doc.text, doc.spans, mode=mode),
        ID_KEY: doc.id,
        HASH_KEY: text_hash(doc.text),
        PRE_KEY: pre_annotation(doc),
    }


@dataclass(frozen=True, slots=True)
class ExampleRecord:
    """One doccano example as annotkit sees it (offsets still in doccano units).

    ``annotators`` and ``confirmed_by`` are usernames; ``comments`` are
    ``{"user", "text"}`` mappings (``user`` is ``None`` when unknown).
    """

    example_id: int
    text: str
    meta: Mapping[str, Any]
    label: tuple[tuple[int, int, str], ...]
    confirmed: bool = False
    annotators: tuple[str, ...] = ()
    confirmed_by: tuple[str, ...] = ()
    comments: tuple[Mapping[str, Any], ...] = field(default=())

    @property
    def annotkit_id(self) -> str | None:
        value = self.meta.get(ID_KEY)
        return str(value) if value not in (None, "") else None

    def pre(self) -> tuple[Triple, ...]:
        """The pre-annotation recorded at push time (code points), ``()`` if none."""
        raw = self.meta.get(PRE_KEY) or []
        return tuple((int(p[0]), int(p[1]), str(p[2])) for p in raw)

    def to_document(self, *, mode: str, project: str | None = None) -> Document:
        """The human result as a Document (id = ``annotkit_id`` or ``doccano-<id>``).

        ``review`` says where the example stands: ``confirmed``, ``touched`` (spans differ
        from the pushed suggestions, or comments) or ``imported``.
        """
        spans = spans_from_doccano(self.text, self.label, mode=mode, source=None)
        meta: dict[str, Any] = {
            k: v for k, v in self.meta.items() if k not in (ID_KEY, PRE_KEY, HASH_KEY)
        }
        final = sorted(s.key for s in spans)
        if self.confirmed:
            state = "confirmed"
        elif self.comments or final != sorted(self.pre()):
            state = "touched"
        else:
            state = "imported"
        review = Review(
            state=state,
            project=project,
            example=self.example_id,
            annotators=self.annotators,
            confirmed_by=self.confirmed_by,
            comments=tuple(dict(c) for c in self.comments),
        )
        return Document(
            id=self.annotkit_id or f"doccano-{self.example_id}",
            text=self.text,
            spans=spans,
            meta=meta,
            review=review,
        )
