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
    "REVIEW_STATES",
    "SPAN_STATUSES",
    "Bead",
    "Document",
    "PassagePair",
    "Review",
    "Segment",
    "SentencePair",
    "Span",
    "check_spans",
    "content_id",
    "text_hash",
]

#: The entity labels the project annotates (see docs/annotation-guidelines.md).
LABELS: tuple[str, ...] = ("CELL_TYPE", "DOSE", "SCALE")

#: Span ``status`` values (docs/record.md): machine output nobody reviewed, a suggestion a
#: person kept, a suggestion a person changed, a person's own span.
SPAN_STATUSES: tuple[str, ...] = ("suggested", "kept", "changed", "added")

#: Review states of a pulled doccano example (docs/record.md); a record without a review
#: counts as reviewed (gold files, hand-made data).
REVIEW_STATES: tuple[str, ...] = ("imported", "touched", "confirmed")


def text_hash(text: str) -> str:
    """Hex SHA-1 of the UTF-8 text: the content fingerprint used for ids and sync."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def content_id(text: str) -> str:
    """Stable document id derived from the text alone (first 16 hex digits of its hash)."""
    return text_hash(text)[:16]


@dataclass(frozen=True, slots=True)
class Span:
    """A labelled character span ``[start, end)`` in code points.

    The span itself is ``start``, ``end`` and ``label``; the rest are its details
    (docs/record.md): ``source`` says what produced it (``"rule:dose.v1"``,
    ``"model:ner/v1"``, ``"projection"``, ``"person"``; ``None`` when unknown, as in
    hand-made data), ``score`` a confidence in (0, 1], ``norm`` a normalised value (DOSE:
    ``{"value": 8.7e7, "unit": "cells"}``; lexicon matches: ``{"id": "scale:odi"}``),
    ``status`` its review status (:data:`SPAN_STATUSES`) and ``by`` the person behind it.
    """

    start: int
    end: int
    label: str
    source: str | None = None
    score: float | None = None
    norm: Mapping[str, Any] | None = field(default=None, hash=False)
    status: str | None = None
    by: str | None = None

    def __post_init__(self) -> None:
        if not (_is_int(self.start) and _is_int(self.end)):
            raise OffsetError(f"span offsets must be integers, got {self.start!r}, {self.end!r}")
        if self.start < 0 or self.end <= self.start:
            raise OffsetError(
                f"span [{self.start}, {self.end}) {self.label!r} is empty or negative; "
                "spans need 0 <= start < end"
            )
        if not isinstance(self.label, str) or not self.label:
            raise OffsetError(
                f"span [{self.start}, {self.end}) has label {self.label!r}; labels are "
                "non-empty strings such as CELL_TYPE"
            )
        if self.status is not None and self.status not in SPAN_STATUSES:
            raise OffsetError(
                f"span [{self.start}, {self.end}) {self.label} has status {self.status!r}; "
                f"use one of {', '.join(SPAN_STATUSES)}"
            )

    @property
    def key(self) -> tuple[int, int, str]:
        """``(start, end, label)``: the span without its details."""
        return (self.start, self.end, self.label)

    @property
    def has_details(self) -> bool:
        """True when any detail (source, score, norm, status, by) is set."""
        return any(
            v is not None for v in (self.source, self.score, self.norm, self.status, self.by)
        )

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


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class Review:
    """The review state of a document that went through doccano (docs/record.md).

    ``state`` is one of :data:`REVIEW_STATES`; ``annotators`` lists people only (never the
    account that owns machine suggestions).
    """

    state: str
    project: str | None = None
    example: int | None = None
    annotators: tuple[str, ...] = ()
    confirmed_by: tuple[str, ...] = ()
    comments: tuple[Mapping[str, Any], ...] = ()
    changes: Mapping[str, int] | None = field(default=None, hash=False)

    def __post_init__(self) -> None:
        if self.state not in REVIEW_STATES:
            raise OffsetError(
                f"review state {self.state!r} is unknown; use one of {', '.join(REVIEW_STATES)}"
            )
        object.__setattr__(self, "annotators", tuple(self.annotators))
        object.__setattr__(self, "confirmed_by", tuple(self.confirmed_by))
        object.__setattr__(self, "comments", tuple(self.comments))

    @property
    def confirmed(self) -> bool:
        return self.state == "confirmed"


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
    """A text with a stable id, its annotations, stage outputs and metadata.

    One :class:`Document` is one record of docs/record.md. ``spans`` are sorted and
    non-overlapping (checked on construction). Stage outputs: ``lang``, ``langs``,
    ``zh_script``, ``segments`` (language runs) and ``sentences`` from
    :func:`annotkit.langid.detect` (``lang is None``: not detected yet); ``pairs`` from
    :func:`annotkit.align.align_document` (``None``: not aligned yet, ``()``: no parallel
    passages); ``review`` from doccano pull. ``meta`` is free metadata and ``extra`` holds
    record fields annotkit does not own, passed through untouched.
    """

    id: str
    text: str
    spans: tuple[Span, ...] = ()
    lang: str | None = None
    segments: tuple[Segment, ...] = ()
    sentences: tuple[Segment, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    langs: Mapping[str, float] = field(default_factory=dict, compare=False, hash=False)
    zh_script: str | None = None
    pairs: tuple[PassagePair, ...] | None = None
    review: Review | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise OffsetError(f"document id must be a non-empty string, got {self.id!r}")
        if not isinstance(self.text, str):
            raise OffsetError(f"document {self.id!r}: text must be a string")
        object.__setattr__(self, "spans", tuple(self.spans))
        object.__setattr__(self, "segments", tuple(self.segments))
        object.__setattr__(self, "sentences", tuple(self.sentences))
        if self.pairs is not None:
            object.__setattr__(self, "pairs", tuple(self.pairs))
        for name in ("meta", "langs", "extra"):
            value = getattr(self, name)
            if not isinstance(value, MappingProxyType):
                object.__setattr__(self, name, MappingProxyType(dict(value)))
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

    @property
    def detected(self) -> bool:
        """True once :func:`annotkit.langid.detect` has run (``lang`` is set)."""
        return self.lang is not None

    @property
    def reviewed(self) -> bool:
        """True unless the document was pulled from doccano without being confirmed.

        Records that never went through doccano (gold files, hand-made data) count as
        reviewed.
        """
        return self.review is None or self.review.confirmed

    def __reduce__(self) -> tuple[Any, ...]:
        # MappingProxyType cannot be pickled; rebuild from plain dicts.
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
                dict(self.langs),
                self.zh_script,
                self.pairs,
                self.review,
                dict(self.extra),
            ),
        )


def _rebuild_document(*args: Any) -> Document:
    return Document(*args)
