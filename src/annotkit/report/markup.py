"""A document's text as HTML: entity highlights and language runs at code-point offsets.

The text is escaped exactly: ``&``, ``<`` and ``>`` as entities, carriage returns as
``&#13;`` (the HTML parser would otherwise fold CRLF into LF), so the browser's
``textContent`` of the result is the document text itself, character for character. Two
characters HTML cannot carry are replaced one for one, keeping every offset: NUL and lone
surrogates become U+FFFD.

Each span becomes exactly one ``<mark data-label="LABEL">`` element holding
``text[start:end]``. Language runs (the record's ``segments``) become
``<span class="run" data-lang="…">`` elements; a run is cut where a span crosses its edge,
so that elements nest properly and no span is ever split.

EXAMPLE:
    >>> from annotkit.doc import Segment, Span
    >>> text = "5 mL\\r\\n骨髓MSCs"
    >>> html = highlight(text, [Span(0, 4, "DOSE")], [Segment(6, 8, "zh", 1.0)])
    >>> print(str(html).replace("</mark>", "</mark>\\n"))
    <mark data-label="DOSE" title="DOSE">5 mL</mark>
    &#13;
    <span class="run" data-lang="zh" title="zh 1.00">骨髓</span>MSCs
"""

from __future__ import annotations

import bisect
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from annotkit.doc import Segment, Span

__all__ = ["Truncated", "escape_text", "highlight", "span_title", "truncate"]

log = logging.getLogger(__name__)

_TEXT_TABLE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;", "\0": "\ufffd"})
_SURROGATE = re.compile("[\ud800-\udfff]")


def escape_text(text: str) -> str:
    """HTML for text content: the browser reads back exactly ``text`` (see module doc)."""
    out = text.translate(_TEXT_TABLE)
    if _SURROGATE.search(out):
        out = _SURROGATE.sub("\ufffd", out)
    return out


def _attr(value: str) -> str:
    return str(escape(_SURROGATE.sub("\ufffd", value.replace("\0", "\ufffd"))))


def span_title(span: Span) -> str:
    """What hovering a highlight shows: label, source, confidence, status, person, norm."""
    parts = [span.label]
    if span.source:
        parts.append(span.source)
    if span.score is not None:
        parts.append(f"confidence {span.score:.2f}")
    if span.status:
        parts.append(f"{span.status} by {span.by}" if span.by else span.status)
    elif span.by:
        parts.append(f"by {span.by}")
    if span.norm:
        parts.append(", ".join(f"{k}={v}" for k, v in sorted(span.norm.items())))
    return " · ".join(parts)


def _runs(segments: Iterable[Segment], size: int) -> list[Segment]:
    """Non-empty, in-range, non-overlapping runs in text order (a run overlapping an
    earlier one is left out: ``segments`` should never overlap)."""
    out: list[Segment] = []
    for seg in sorted(segments, key=lambda s: (s.start, s.end)):
        if seg.end <= seg.start or seg.end > size:
            continue
        if out and seg.start < out[-1].end:
            log.debug(
                "language run [%d, %d) overlaps the one before; not shown", seg.start, seg.end
            )
            continue
        out.append(seg)
    return out


@dataclass(slots=True)
class _Writer:
    """Writes ``text`` as HTML, runs and marks nested properly."""

    text: str
    runs: list[Segment]
    bounds: list[int]
    attrs: Mapping[Span, str]
    label_attr: str | None

    def zone(self, pos: int) -> int:
        """Odd: inside run ``(zone - 1) // 2``; even: in the gap before run ``zone // 2``."""
        return bisect.bisect_right(self.bounds, pos)

    def mark_open(self, span: Span) -> str:
        more = self.attrs.get(span, "")
        if self.label_attr:
            more += f' {self.label_attr}="{_attr(span.label)}"'
        return f'<mark{more} title="{_attr(span_title(span))}">'

    def pieces(self, lo: int, hi: int, spans: Sequence[Span], out: list[str]) -> None:
        """``[lo, hi)`` cut at run edges; ``spans`` lie in it, each within one piece."""
        k = 0
        pos = lo
        while pos < hi:
            z = self.zone(pos)
            end = min(hi, self.bounds[z]) if z < len(self.bounds) else hi
            inner: list[str] = []
            while k < len(spans) and spans[k].start < end:
                sp = spans[k]
                inner.append(escape_text(self.text[pos : sp.start]))
                inner.append(self.mark_open(sp))
                inner.append(escape_text(self.text[sp.start : sp.end]))
                inner.append("</mark>")
                pos = sp.end
                k += 1
            inner.append(escape_text(self.text[pos:end]))
            if z % 2:
                run = self.runs[(z - 1) // 2]
                score = f" {run.score:.2f}" if run.score is not None else ""
                lang = _attr(run.lang or "und")
                out.append(f'<span class="run" data-lang="{lang}" title="{lang}{score}">')
                out.extend(inner)
                out.append("</span>")
            else:
                out.extend(inner)
            pos = end


def highlight(
    text: str,
    spans: Sequence[Span],
    segments: Iterable[Segment] = (),
    *,
    attrs: Mapping[Span, str] | None = None,
    end: int | None = None,
    label_attr: str | None = "data-label",
) -> Markup:
    """``text[:end]`` as HTML with one ``<mark>`` per span and a ``<span>`` per language run.

    arg text (str): the document text.
    arg spans (Sequence[Span]): sorted, non-overlapping spans (a Document's), all ending at
        or before ``end``.
    arg segments (Iterable[Segment]): language runs (``Document.segments``).
    arg attrs (Mapping[Span, str] | None): more attributes of a span's mark, as HTML
        (``' class="l0" data-gold="exact"'``), escaped by the caller.
    arg end (int | None): render only ``text[:end]`` (see :func:`truncate`).
    arg label_attr (str | None): the attribute naming a mark's label; ``None`` for a
        secondary view of spans already shown elsewhere (their marks carry no label
        attribute, so that ``[data-label]`` still counts each span once on a page).
    RETURNS Markup: the HTML, safe to put into a page as it is.
    """
    size = len(text) if end is None else end
    runs = _runs(segments, len(text))
    runs = [r if r.end <= size else Segment(r.start, size, r.lang, r.score) for r in runs]
    runs = [r for r in runs if r.start < r.end]
    bounds = [b for r in runs for b in (r.start, r.end)]
    writer = _Writer(text, runs, bounds, attrs or {}, label_attr)
    out: list[str] = []
    contained: list[Span] = []
    pos = 0
    for sp in spans:
        if writer.zone(sp.start) == writer.zone(sp.end - 1):
            contained.append(sp)
            continue
        # the span crosses a run edge: it is one mark holding the run pieces it covers
        writer.pieces(pos, sp.start, contained, out)
        contained = []
        out.append(writer.mark_open(sp))
        writer.pieces(sp.start, sp.end, (), out)
        out.append("</mark>")
        pos = sp.end
    writer.pieces(pos, size, contained, out)
    return Markup("".join(out))


@dataclass(frozen=True, slots=True)
class Truncated:
    """Where a long document's view stops: ``end`` of ``size`` code points, spans shown."""

    end: int
    size: int
    spans: tuple[Span, ...]
    hidden_spans: int

    @property
    def cut(self) -> bool:
        """True when the view stops before the end of the text."""
        return self.end < self.size


def truncate(text: str, spans: Sequence[Span], limit: int) -> Truncated:
    """Cut a view at ``limit`` code points, never inside a span (the cut moves past it).

    RETURNS Truncated: ``end == size`` when nothing is cut.
    """
    if len(text) <= limit:
        return Truncated(len(text), len(text), tuple(spans), 0)
    cut = limit
    for sp in spans:
        if sp.start < cut < sp.end:
            cut = sp.end
            break
    shown = tuple(sp for sp in spans if sp.end <= cut)
    return Truncated(cut, len(text), shown, len(spans) - len(shown))
