"""Cross-lingual projection of entities over aligned EN/ZH sentence pairs.

For every aligned sentence pair, an entity on one side is labelled on the other side
(``source="projection"``, score 0.9) where

* its surface form appears there (Latin-script forms such as ``MSCs``, ``NPS`` on token
  boundaries, case-sensitive), or
* another term of the same lexicon concept appears there (``norm["id"]``: ``VAS`` ≡
  ``视觉模拟评分``).

Projected spans never overlap existing spans or each other.

EXAMPLE:
    >>> from annotkit.doc import PassagePair, SentencePair, Span
    >>> text = "We used MSCs. 我们使用了 MSCs。"
    >>> sent = SentencePair(((0, 13),), ((14, 24),))
    >>> pair = PassagePair((0, 13), (14, 24), "en", "zh", 1.0, (sent,))
    >>> spans = (Span(8, 12, "CELL_TYPE", "rule:lexicon.v1"),)
    >>> [(s.start, s.end, s.source) for s in project_spans(text, spans, [pair])]
    [(20, 24, 'projection')]
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence

from annotkit.annotate.lexicon import Lexicon, fold_name
from annotkit.doc import PassagePair, Span

__all__ = ["SOURCE", "could_project", "project_spans"]

SOURCE = "projection"
_LATIN = re.compile(r"[A-Za-z]")


def _find(
    text: str, needle: str, lo: int, hi: int, *, fold: bool, folded: dict[tuple[int, int], str]
) -> list[tuple[int, int]]:
    if not needle.strip():
        return []
    if fold:
        hay = folded.get((lo, hi))
        if hay is None:
            hay = folded[(lo, hi)] = fold_name(text[lo:hi])
        key = fold_name(needle)
    else:
        hay, key = text[lo:hi], needle
    out: list[tuple[int, int]] = []
    latin_edges = bool(_LATIN.search(needle[:1] + needle[-1:]))
    i = hay.find(key)
    while i >= 0:
        s, e = lo + i, lo + i + len(key)
        ok = True
        if latin_edges:
            ok = not (s > 0 and text[s - 1].isascii() and text[s - 1].isalnum()) and not (
                e < len(text) and text[e].isascii() and text[e].isalnum()
            )
        if ok:
            out.append((s, e))
        i = hay.find(key, i + 1)
    return out


def _project_side(
    text: str,
    spans: Sequence[Span],
    src: Iterable[tuple[int, int]],
    tgt: Sequence[tuple[int, int]],
    lexicon: Lexicon | None,
) -> list[Span]:
    out: list[Span] = []
    seen: set[tuple[str, bool, str, int, int]] = set()
    folded: dict[tuple[int, int], str] = {}
    for lo, hi in src:
        for span in spans:
            if span.start < lo or span.end > hi:
                continue
            surface = text[span.start : span.end]
            needles: list[tuple[str, bool]] = []
            if _LATIN.search(surface):
                needles.append((surface, False))
            cid = (span.norm or {}).get("id") if span.norm else None
            if lexicon is not None and isinstance(cid, str):
                needles.extend((t, True) for t in lexicon.terms_by_concept.get(cid, ()))
            for needle, fold in needles:
                for tlo, thi in tgt:
                    key = (needle, fold, span.label, tlo, thi)
                    if key in seen:
                        continue
                    seen.add(key)
                    for s, e in _find(text, needle, tlo, thi, fold=fold, folded=folded):
                        norm = dict(span.norm) if span.norm else None
                        out.append(Span(s, e, span.label, SOURCE, 0.9, norm))
    return out


def could_project(text: str, spans: Sequence[Span]) -> bool:
    """True when some entity's Latin surface form also occurs unlabelled in ``text``.

    A cheap pre-check before aligning a document for projection. Concept (lexicon)
    projection is not considered here: the lexicon pass has already matched every concept
    term in the whole text, so unlabelled occurrences are ones the rules rejected.
    """
    starts = [s.start for s in spans]
    surfaces = {text[s.start : s.end] for s in spans}
    for surface in sorted(surfaces):
        if not _LATIN.search(surface):
            continue
        for s, e in _find(text, surface, 0, len(text), fold=False, folded={}):
            i = bisect.bisect_right(starts, s) - 1
            covered = (i >= 0 and spans[i].end > s) or (
                i + 1 < len(spans) and spans[i + 1].start < e
            )
            if not covered:
                return True
    return False


def project_spans(
    text: str,
    spans: Sequence[Span],
    pairs: Iterable[PassagePair],
    *,
    lexicon: Lexicon | None = None,
) -> tuple[Span, ...]:
    """Spans projected across aligned sentences, not overlapping ``spans`` or each other.

    ``pairs`` come from :func:`annotkit.align.align_document`; without sentence pairs a
    passage pair is treated as one aligned unit.
    """
    new: list[Span] = []
    for pp in pairs:
        units = pp.sentences or ()
        if not units:
            from annotkit.doc import SentencePair

            units = (SentencePair((pp.src,), (pp.tgt,), pp.score),)
        for sp in units:
            new += _project_side(text, spans, sp.src, sp.tgt, lexicon)
            new += _project_side(text, spans, sp.tgt, sp.src, lexicon)
    # longest first so "BM-MSCs" beats "MSCs" at the same place
    new.sort(key=lambda s: (s.start - s.end, s.start, s.label))
    kept: list[Span] = []
    for s in new:
        if any(s.overlaps(k) for k in spans) or any(s.overlaps(k) for k in kept):
            continue
        kept.append(s)
    kept.sort(key=lambda s: (s.start, s.end))
    return tuple(kept)
