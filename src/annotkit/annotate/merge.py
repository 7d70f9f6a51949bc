"""Merging span sets without overlaps: rules, model predictions and projections.

Precedence when two spans overlap (the first rule that decides wins):

1. **DOSE from the rules** beats anything it overlaps: the DOSE grammar is precise about
   numbers and units, a statistical tagger is not.
2. Otherwise the **longer** span wins (CELL_TYPE and SCALE spans include their modifiers,
   so the longer reading is usually the guideline one).
3. Same length: the **higher score** wins (rules carry 1.0, model spans their confidence,
   projections 0.9), then the earlier source in the argument order, then label order
   DOSE < CELL_TYPE < SCALE.

Spans that do not overlap anything are all kept. The result is sorted by offset.

EXAMPLE:
    >>> from annotkit.doc import Span
    >>> rules = (Span(0, 4, "DOSE", "rule:dose.v1", 1.0),)
    >>> model = (Span(0, 9, "CELL_TYPE", "stanza:ner", 0.8),
    ...          Span(10, 13, "SCALE", "stanza:ner", 0.7))
    >>> [(s.start, s.end, s.label) for s in merge_spans(rules, model)]
    [(0, 4, 'DOSE'), (10, 13, 'SCALE')]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from annotkit.doc import Span

__all__ = ["drop_overlapping", "merge_spans", "plausible"]

_LABEL_ORDER = {"DOSE": 0, "CELL_TYPE": 1, "SCALE": 2}


def _rank(span: Span, group: int) -> tuple[int, int, float, int, int, int]:
    rule_dose = span.label == "DOSE" and (span.source or "").startswith("rule:")
    return (
        0 if rule_dose else 1,
        span.start - span.end,
        -(span.score if span.score is not None else 0.5),
        group,
        _LABEL_ORDER.get(span.label, 9),
        span.start,
    )


def merge_spans(*groups: Iterable[Span]) -> tuple[Span, ...]:
    """Merge span groups into one sorted, non-overlapping tuple (precedence above)."""
    ranked: list[tuple[tuple[int, int, float, int, int, int], Span]] = []
    for g, spans in enumerate(groups):
        ranked.extend((_rank(s, g), s) for s in spans)
    ranked.sort(key=lambda r: r[0])
    kept: list[Span] = []
    for _, span in ranked:
        if not any(span.overlaps(k) for k in kept):
            kept.append(span)
    kept.sort(key=lambda s: (s.start, s.end))
    return tuple(kept)


def drop_overlapping(base: Sequence[Span], extra: Iterable[Span]) -> tuple[Span, ...]:
    """``base`` plus the spans of ``extra`` that overlap neither ``base`` nor each other."""
    kept = list(base)
    for span in extra:
        if not any(span.overlaps(k) for k in kept):
            kept.append(span)
    kept.sort(key=lambda s: (s.start, s.end))
    return tuple(kept)


# What a span of each label must look like, whatever produced it (guideline shapes):
# a cell type ends in a cell head noun or is an acronym; a scale is an acronym or ends in
# an instrument word; a dose holds a number. Used to keep a statistical model's fragments
# ("治", "60", "用") out of the ensemble.
_ACRONYM = r"[A-Za-z0-9+\-]*[A-Z][A-Za-z0-9+\-]*[A-Z][A-Za-z0-9+\-]*(?:'?s)?"
_SHAPES = {
    "CELL_TYPE": re.compile(
        rf"(?i:.*(?:cells?|cytes?|blasts?|clasts?|phages?|phils?|platelets?|neurons?|"
        rf"(?:stem|progenitor|stromal)\s+cells?|ocytes?|glia))|{_ACRONYM}|"
        r".*(?:细胞|細胞|血小板|神经元|神經元|胶质|膠質)"
    ),
    "SCALE": re.compile(
        rf"{_ACRONYM}|(?i:.*(?:scale|index|questionnaire|score|inventory|survey|profile|"
        r"measure|test|assessment|evaluation|rating|health))|"
        r".*(?:量表|评分|評分|指数|指數|问卷|問卷|评分法|評分法|量表评分)"
    ),
    "DOSE": re.compile(r".*(?:\d|[一二三四五六七八九十百千万萬亿億]).*"),
}


def plausible(span: Span, text: str, *, is_stopped: object = None) -> bool:
    """True when ``text[span]`` has the shape its label needs and is not stoplisted.

    arg is_stopped (Callable[[str], bool] | None): the lexicon's stoplist check.

    EXAMPLE:
        >>> plausible(Span(0, 5, "CELL_TYPE"), "MSCs and")
        False
        >>> plausible(Span(0, 4, "CELL_TYPE"), "MSCs and")
        True
    """
    surface = text[span.start : span.end]
    if not surface or surface != surface.strip() or len(surface) < 2:
        return False
    if callable(is_stopped) and is_stopped(surface):
        return False
    shape = _SHAPES.get(span.label)
    return shape is None or shape.fullmatch(surface) is not None
