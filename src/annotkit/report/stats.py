"""The corpus summary of a report: entities, confidence, alignment and review, counted.

Everything is read from the record (docs/record.md); nothing is recomputed. A span's language
is that of the sentence holding it (:func:`annotkit.evaluate.span_languages`, the same rule as
``annotkit evaluate --by-lang``). Review counts come from ``review`` and the spans' ``status``
and ``by``; ``review.changes`` (written by ``annotkit doccano pull`` for confirmed examples) is
summed over the documents that have it.

EXAMPLE:
    >>> from annotkit.doc import Document, Segment, Span
    >>> d = Document("d", "5 mL", spans=(Span(0, 4, "DOSE", score=0.9),), lang="en",
    ...              sentences=(Segment(0, 4, "en", 1.0),))
    >>> s = corpus_stats([d])
    >>> s.entities["DOSE"]["en"], s.confidence.total
    (1, 1)
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from annotkit.doc import LABELS, SPAN_STATUSES, Document
from annotkit.evaluate import span_languages

__all__ = [
    "CHANGE_KINDS",
    "CorpusStats",
    "Histogram",
    "ReviewStats",
    "corpus_stats",
    "histogram",
    "ordered_labels",
]

#: The ``review.changes`` counts of a pulled record, in display order.
CHANGE_KINDS: tuple[str, ...] = ("kept", "removed", "added", "relabelled", "boundary_changed")
#: Bins of the confidence and alignment-score histograms over [0, 1].
SCORE_BINS = 20


@dataclass(frozen=True, slots=True)
class Histogram:
    """Counts of values in ``bins`` equal bins over ``[lo, hi]``, one row per series.

    A value equal to ``hi`` falls in the last bin; values outside ``[lo, hi]`` are counted
    in ``outside``, not in a bin.
    """

    lo: float
    hi: float
    bins: int
    series: Mapping[str, tuple[int, ...]]
    outside: int = 0

    @property
    def total(self) -> int:
        return sum(sum(row) for row in self.series.values())

    def edges(self) -> list[float]:
        step = (self.hi - self.lo) / self.bins
        return [self.lo + i * step for i in range(self.bins + 1)]


def histogram(
    values: Mapping[str, Sequence[float]], *, lo: float = 0.0, hi: float = 1.0, bins: int = 20
) -> Histogram:
    """Bin each series' values into ``bins`` equal bins over ``[lo, hi]``.

    EXAMPLE:
        >>> h = histogram({"a": [0.0, 0.5, 1.0, 1.5]}, bins=2)
        >>> h.series, h.outside
        ({'a': (1, 2)}, 1)
    """
    series: dict[str, tuple[int, ...]] = {}
    outside = 0
    width = (hi - lo) / bins
    for name, vals in values.items():
        row = [0] * bins
        for v in vals:
            if not (lo <= v <= hi) or math.isnan(v):
                outside += 1
                continue
            row[min(bins - 1, int((v - lo) / width))] += 1
        series[name] = tuple(row)
    return Histogram(lo, hi, bins, series, outside)


@dataclass(frozen=True, slots=True)
class ReviewStats:
    """What people did, from the pulled records (``review`` and span ``status``/``by``)."""

    documents: int
    states: Mapping[str, int]
    status: Mapping[str, Mapping[str, int]]
    changes: Mapping[str, int]
    changed_documents: int
    annotators: Mapping[str, int]
    comments: int


@dataclass(frozen=True, slots=True)
class CorpusStats:
    """Counts over every document of a report (not only those shown in full).

    ``entities[label][lang]``, ``sources[source][label]``; ``confidence`` is a histogram of
    span scores per label (``unscored`` spans have none); ``pair_scores`` and
    ``bead_scores`` are histograms of passage-pair and sentence-bead scores;
    ``bead_shapes`` counts beads by shape (``"1-1"``, ``"2-1"``, ``"0-1"``).
    """

    documents: int
    characters: int
    spans: int
    detected: int
    aligned: int
    languages: Mapping[str, int]
    labels: tuple[str, ...]
    span_langs: tuple[str, ...]
    entities: Mapping[str, Mapping[str, int]]
    sources: Mapping[str, Mapping[str, int]]
    confidence: Histogram
    unscored: int
    pairs: int
    pair_documents: int
    pair_scores: Histogram
    bead_scores: Histogram
    bead_shapes: Mapping[str, int]
    review: ReviewStats | None = None
    lang_pairs: Mapping[str, int] = field(default_factory=dict)


def ordered_labels(labels: Iterable[str]) -> tuple[str, ...]:
    """The project's labels (:data:`~annotkit.doc.LABELS`) first, then the others sorted."""
    seen = set(labels)
    return tuple(lab for lab in LABELS if lab in seen) + tuple(sorted(seen - set(LABELS)))


def _sorted_counts(counter: Counter[str]) -> dict[str, int]:
    return {k: counter[k] for k in sorted(counter, key=lambda k: (-counter[k], k))}


def _review_stats(docs: Sequence[Document], labels: Sequence[str]) -> ReviewStats | None:
    reviewed = [d for d in docs if d.review is not None]
    people_statuses = {"kept", "changed", "added"}
    if not reviewed and not any(s.status in people_statuses for d in docs for s in d.spans):
        return None  # nothing went through people: machine suggestions only
    states: Counter[str] = Counter(d.review.state for d in reviewed if d.review is not None)
    status: dict[str, Counter[str]] = {lab: Counter() for lab in labels}
    people: Counter[str] = Counter()
    changes: Counter[str] = Counter()
    changed = comments = 0
    for d in docs:
        for s in d.spans:
            status[s.label][s.status or "none"] += 1
        if d.review is None:
            continue
        people.update(d.review.annotators)
        comments += len(d.review.comments)
        if d.review.changes is not None:
            changed += 1
            changes.update({k: int(v) for k, v in d.review.changes.items()})
    kinds = [*CHANGE_KINDS, *sorted(set(changes) - set(CHANGE_KINDS))]
    return ReviewStats(
        documents=len(reviewed),
        states={k: states[k] for k in ("imported", "touched", "confirmed") if states[k]},
        status={
            lab: {k: c[k] for k in (*SPAN_STATUSES, "none") if c[k]} for lab, c in status.items()
        },
        changes={k: changes[k] for k in kinds},
        changed_documents=changed,
        annotators=_sorted_counts(people),
        comments=comments,
    )


def _shape(n_src: int, n_tgt: int) -> str:
    return f"{n_src}-{n_tgt}"


def corpus_stats(docs: Sequence[Document]) -> CorpusStats:
    """Count entities, sources, scores, alignments and review over ``docs``.

    arg docs (Sequence[Document]): every document of the report.
    RETURNS CorpusStats.
    """
    labels = ordered_labels(s.label for d in docs for s in d.spans)
    entities: dict[str, Counter[str]] = {lab: Counter() for lab in labels}
    sources: dict[str, Counter[str]] = {}
    scores: dict[str, list[float]] = {lab: [] for lab in labels}
    pair_scores: list[float] = []
    bead_scores: list[float] = []
    shapes: Counter[str] = Counter()
    lang_pairs: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    unscored = pairs = pair_docs = detected = aligned = 0
    for d in docs:
        if d.detected:
            detected += 1
            languages[d.lang or "und"] += 1
        if d.pairs is not None:
            aligned += 1
            pair_docs += bool(d.pairs)
            for p in d.pairs:
                pairs += 1
                lang_pairs[f"{p.src_lang}-{p.tgt_lang}"] += 1
                if p.score is not None:
                    pair_scores.append(float(p.score))
                for b in p.sentences:
                    shapes[_shape(len(b.src), len(b.tgt))] += 1
                    if b.score is not None:
                        bead_scores.append(float(b.score))
        if not d.spans:
            continue
        for s, lang in zip(d.spans, span_languages(d, d.spans), strict=True):
            entities[s.label][lang] += 1
            sources.setdefault(s.source or "(none)", Counter())[s.label] += 1
            if s.score is None:
                unscored += 1
            else:
                scores[s.label].append(s.score)
    span_langs = sorted({lang for c in entities.values() for lang in c})
    return CorpusStats(
        documents=len(docs),
        characters=sum(len(d.text) for d in docs),
        spans=sum(len(d.spans) for d in docs),
        detected=detected,
        aligned=aligned,
        languages=_sorted_counts(languages),
        labels=labels,
        span_langs=tuple(span_langs),
        entities={lab: {lang: c[lang] for lang in span_langs} for lab, c in entities.items()},
        sources={
            src: {lab: c[lab] for lab in labels}
            for src, c in sorted(sources.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
        },
        confidence=histogram(scores, bins=SCORE_BINS),
        unscored=unscored,
        pairs=pairs,
        pair_documents=pair_docs,
        pair_scores=histogram({"pairs": pair_scores}, bins=SCORE_BINS),
        bead_scores=histogram({"beads": bead_scores}, bins=SCORE_BINS),
        bead_shapes=_sorted_counts(shapes),
        review=_review_stats(docs, labels),
        lang_pairs=_sorted_counts(lang_pairs),
    )
