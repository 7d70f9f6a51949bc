"""Core data types: Document, Span, Segment and the alignment types.

All offsets are Python code points, ``[start, end)``, into ``Document.text``. The types are
frozen, typed and picklable, so every stage is a pure function ``Document -> Document``
(change one with :func:`dataclasses.replace`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from annotkit.errors import OffsetError

__all__ = [
    "LABELS",
    "Bead",
    "Document",
    "PassagePair",
    "Segment",
    "SentencePair",
    "Span",
    "check_spans",
    "content_id",
    "text_hash",
]

#: The entity labels the project annotates (see docs/annotation-guidelines.md).
LABELS: tuple[str, ...] = ("CELL_TYPE", "DOSE", "SCALE")


def text_hash(text: str) -> str:
    """Hex SHA-1 of the UTF-8 text: the content fingerprint used for ids and sync."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def content_id(text: str) -> str:
    """Stable document id derived from the text alone (first 16 hex digits of its hash)."""
    return text_hash(text)[:16]


@dataclass(frozen=True, slots=True)
class Span:
    """A labelled character span ``[start, end)`` in code points.

    ``source`` says who produced it (``"rule:dose.v1"``, ``"stanza:ner"``, ``"projection"``,
    ``"doccano"``, ``"gold"``); ``norm`` holds a normalised value (DOSE:
    ``{"value": 8.7e7, "unit": "cells"}``; lexicon matches: ``{"id": "scale:odi"}``).
    """

    start: int
    end: int
    label: str
    source: str = "manual"
    score: float | None = None
    norm: Mapping[str, Any] | None = field(default=None, hash=False)

    def __post_init__(self) -> None:
        if not (isinstance(self.start, int) and isinstance(self.end, int)):
            raise OffsetError(f"span offsets must be integers, got {self.start!r}, {self.end!r}")
        if self.start < 0 or self.end <= self.start:
            raise OffsetError(
                f"span [{self.start}, {self.end}) {self.label!r} is empty or negative; "
                "spans need 0 <= start < end"
            )
        if not self.label:
            raise OffsetError(f"span [{self.start}, {self.end}) has an empty label")

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of text in one language (a block run or a sentence).

    ``lang`` is an ISO 639-1 code, ``"und"`` for text with no letters; ``score`` is the
    detector's confidence in [0, 1].
    """

    start: int
    end: int
    lang: str | None = None
    score: float | None = None

    def __post_init__(self) -> None:
        if self.start < 0 or self.end < self.start:
            raise OffsetError(f"segment [{self.start}, {self.end}) is negative or reversed")


@dataclass(frozen=True, slots=True)
class Bead:
    """One alignment bead: indices of source and target sentences; ``()`` is a null side."""

    src: tuple[int, ...]
    tgt: tuple[int, ...]
    score: float | None = None

    def format(self) -> str:
        """The vecalign/Bertalign form ``[0,1]:[2]``."""
        return f"[{','.join(map(str, self.src))}]:[{','.join(map(str, self.tgt))}]"


@dataclass(frozen=True, slots=True)
class SentencePair:
    """Aligned sentences inside a passage pair, as code-point spans into the document."""

    src: tuple[tuple[int, int], ...]
    tgt: tuple[tuple[int, int], ...]
    score: float | None = None


@dataclass(frozen=True, slots=True)
class PassagePair:
    """A passage in one language paired with its translation in the same document."""

    src: tuple[int, int]
    tgt: tuple[int, int]
    src_lang: str
    tgt_lang: str
    score: float | None = None
    sentences: tuple[SentencePair, ...] = ()


def check_spans(text: str, spans: Sequence[Span], *, doc_id: str = "?") -> None:
    """Raise :class:`OffsetError` unless spans are in range, sorted and non-overlapping."""
    last_end = 0
    prev: Span | None = None
    for span in spans:
        if span.end > len(text):
            raise OffsetError(
                f"document {doc_id!r}: span [{span.start}, {span.end}) {span.label} ends past "
                f"the text (length {len(text)}); offsets must be code points into this text"
            )
        if prev is not None and (span.start, span.end) < (prev.start, prev.end):
            raise OffsetError(
                f"document {doc_id!r}: spans are not sorted ([{prev.start}, {prev.end}) before "
                f"[{span.start}, {span.end})); sort them by start offset"
            )
        if prev is not None and span.start < last_end:
            raise OffsetError(
                f"document {doc_id!r}: span [{span.start}, {span.end}) {span.label} overlaps "
                f"[{prev.start}, {prev.end}) {prev.label}; remove one of them"
            )
        last_end = max(last_end, span.end)
        prev = span


@dataclass(frozen=True, slots=True)
class Document:
    """A text with a stable id, its annotations and metadata.

    ``spans`` are sorted and non-overlapping (checked on construction); ``segments`` are
    language runs and ``sentences`` sentence boundaries, both from :mod:`annotkit.langid`.
    """

    id: str
    text: str
    spans: tuple[Span, ...] = ()
    lang: str | None = None
    segments: tuple[Segment, ...] = ()
    sentences: tuple[Segment, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise OffsetError(f"document id must be a non-empty string, got {self.id!r}")
        if not isinstance(self.text, str):
            raise OffsetError(f"document {self.id!r}: text must be a string")
        object.__setattr__(self, "spans", tuple(self.spans))
        object.__setattr__(self, "segments", tuple(self.segments))
        object.__setattr__(self, "sentences", tuple(self.sentences))
        if not isinstance(self.meta, MappingProxyType):
            object.__setattr__(self, "meta", MappingProxyType(dict(self.meta)))
        check_spans(self.text, self.spans, doc_id=self.id)

    def text_of(self, span: Span | Segment | tuple[int, int]) -> str:
        """The surface text of a span, segment or ``(start, end)`` pair."""
        if isinstance(span, tuple):
            return self.text[span[0] : span[1]]
        return self.text[span.start : span.end]

    @property
    def hash(self) -> str:
        """SHA-1 of the text (what doccano sync calls ``annotkit_hash``)."""
        return text_hash(self.text)

    def __reduce__(self) -> tuple[Any, ...]:
        # MappingProxyType cannot be pickled; rebuild from a plain dict.
        return (
            _rebuild_document,
            (
                self.id,
                self.text,
                self.spans,
                self.lang,
                self.segments,
                self.sentences,
                dict(self.meta),
            ),
        )


def _rebuild_document(*args: Any) -> Document:
    return Document(*args)
