"""Score predicted entity spans against gold: strict and lenient P/R/F1 per label and micro.

Definitions (docs/annotation-guidelines.md, "Evaluation"):

- **strict**: a predicted span counts only with the same start, end and label as a gold span.
- **lenient**: a predicted span counts when it overlaps a gold span of the same label; each
  gold span and each predicted span is matched at most once. The pairs are chosen by a
  *maximum bipartite matching* (Kuhn's augmenting paths over the overlap graph, per document
  and label, spans visited in text order), so the true-positive count is the largest one
  possible and does not depend on the order of the input. One long prediction covering two
  gold spans therefore counts once; the second gold span is a miss.

Precision = tp / (tp + fp), recall = tp / (tp + fn), F1 their harmonic mean; 0.0 when the
denominator is 0. Micro averages pool the counts of all labels.

Documents are matched by id. Every gold document must have a prediction (or pass
``intersection=True`` to score only the shared ids); both sides must hold the same text.
With ``by_lang=True`` each span is scored in the language of the sentence it lies in
(:func:`annotkit.langid.detect`; a script-based guess per line when that module is absent).

EXAMPLE:
    >>> from annotkit.doc import Document, Span
    >>> spans = (Span(0, 10, "DOSE"), Span(11, 15, "CELL_TYPE"))
    >>> gold = [Document("d", "87 million MSCs", spans=spans)]
    >>> pred = [Document("d", "87 million MSCs", spans=(Span(0, 15, "DOSE"),))]
    >>> r = evaluate(gold, pred)
    >>> r["strict"]["micro"]["f1"], r["lenient"]["per_label"]["DOSE"]["f1"]
    (0.0, 1.0)
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from annotkit.doc import LABELS, Document, Span
from annotkit.errors import InputError
from annotkit.langid import detect, script_lang

__all__ = [
    "MATCHING",
    "Counts",
    "evaluate",
    "evaluate_many",
    "format_table",
    "lenient_matches",
    "span_languages",
]

log = logging.getLogger(__name__)

#: How lenient pairs are chosen (recorded in every result).
MATCHING = "maximum bipartite matching on same-label overlaps (Kuhn, text order)"
_MAX_MISSING_SHOWN = 10


@dataclass(frozen=True, slots=True)
class Counts:
    """True positives, false positives and false negatives, with P/R/F1 derived."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, Any]:
        """``{"tp", "fp", "fn", "gold", "pred", "precision", "recall", "f1"}`` (rounded to 6)."""
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "gold": self.tp + self.fn,
            "pred": self.tp + self.fp,
            "precision": round(self.precision, 6),
            "recall": round(self.recall, 6),
            "f1": round(self.f1, 6),
        }


# --------------------------------------------------------------------------- matching
def lenient_matches(gold: Sequence[Span], pred: Sequence[Span]) -> list[tuple[int, int]]:
    """Maximum matching of gold to predicted spans that overlap and share a label.

    arg gold (Sequence[Span]): gold spans of one document.
    arg pred (Sequence[Span]): predicted spans of the same document.
    RETURNS list[tuple[int, int]]: ``(gold_index, pred_index)`` pairs, sorted; every index
    appears at most once.

    EXAMPLE:
        >>> g = [Span(0, 5, "DOSE"), Span(6, 9, "DOSE")]
        >>> lenient_matches(g, [Span(0, 9, "DOSE")])
        [(0, 0)]
    """
    order = sorted(range(len(pred)), key=lambda j: (pred[j].start, pred[j].end))
    starts = [pred[j].start for j in order]
    adj: list[list[int]] = []
    for g in gold:
        # predictions starting before g.end are candidates; keep those ending after g.start
        hi = bisect.bisect_left(starts, g.end)
        adj.append([j for j in order[:hi] if pred[j].end > g.start and pred[j].label == g.label])
    match_pred: dict[int, int] = {}

    def augment(gi: int, seen: set[int]) -> bool:
        for j in adj[gi]:
            if j in seen:
                continue
            seen.add(j)
            if j not in match_pred or augment(match_pred[j], seen):
                match_pred[j] = gi
                return True
        return False

    for gi in sorted(range(len(gold)), key=lambda i: (gold[i].start, gold[i].end)):
        if adj[gi]:
            augment(gi, set())
    return sorted((gi, j) for j, gi in match_pred.items())


def _strict_tp(gold: Sequence[Span], pred: Sequence[Span]) -> int:
    keys = {(s.start, s.end, s.label) for s in gold}
    return sum(1 for s in {(p.start, p.end, p.label) for p in pred} if s in keys)


# --------------------------------------------------------------------------- languages
def _script_lang(text: str, start: int) -> str:
    """Fallback without detection: the script language of the line holding ``start``."""
    lo = text.rfind("\n", 0, start) + 1
    hi = text.find("\n", start)
    return script_lang(text[lo : hi if hi >= 0 else len(text)], mixed=False)


def _language_lookup(doc: Document) -> Callable[[int], str]:
    """A function offset -> language for ``doc`` (sentences first, then language runs)."""
    regions = doc.sentences or doc.segments
    if not regions:  # not detected yet: detect it (langid owns languages)
        detected = detect(doc)
        regions = detected.sentences or detected.segments
    if not regions:
        return lambda pos: _script_lang(doc.text, pos)
    ordered = sorted(regions, key=lambda r: (r.start, r.end))
    starts = [r.start for r in ordered]

    def lookup(pos: int) -> str:
        i = bisect.bisect_right(starts, pos) - 1
        if i >= 0 and ordered[i].start <= pos < max(ordered[i].end, ordered[i].start + 1):
            return ordered[i].lang or "und"
        return _script_lang(doc.text, pos)

    return lookup


def span_languages(doc: Document, spans: Iterable[Span]) -> list[str]:
    """The language of each span: that of the sentence (or run) holding its first character.

    EXAMPLE:
        >>> d = Document("d", "MSCs help.\\n间充质干细胞有效。")
        >>> span_languages(d, [Span(0, 4, "CELL_TYPE"), Span(11, 17, "CELL_TYPE")])
        ['en', 'zh']
    """
    lookup = _language_lookup(doc)
    return [lookup(s.start) for s in spans]


# --------------------------------------------------------------------------- evaluate
def _pair_documents(
    gold: Iterable[Document], pred: Iterable[Document], *, intersection: bool
) -> tuple[list[tuple[Document, Document]], list[str], list[str]]:
    gold_docs: dict[str, Document] = {}
    for d in gold:
        if d.id in gold_docs:
            raise InputError(f"gold has document id {d.id!r} twice; ids must be unique")
        gold_docs[d.id] = d
    pred_docs: dict[str, Document] = {}
    for d in pred:
        if d.id in pred_docs:
            raise InputError(f"predictions have document id {d.id!r} twice; ids must be unique")
        pred_docs[d.id] = d
    missing = [i for i in gold_docs if i not in pred_docs]
    extra = sorted(i for i in pred_docs if i not in gold_docs)
    if missing and not intersection:
        shown = ", ".join(repr(i) for i in missing[:_MAX_MISSING_SHOWN])
        more = f" and {len(missing) - _MAX_MISSING_SHOWN} more" if len(missing) > 10 else ""
        raise InputError(
            f"predictions lack {len(missing)} gold document(s): {shown}{more}; annotate them "
            "too, or score only the shared ids (intersection=True, --intersection)"
        )
    pairs = []
    for doc_id, g in gold_docs.items():
        p = pred_docs.get(doc_id)
        if p is None:
            continue
        if p.text != g.text:
            raise InputError(
                f"document {doc_id!r}: predicted text differs from the gold text (lengths "
                f"{len(p.text)} and {len(g.text)}); offsets are only comparable on the same "
                "text: annotate the gold texts themselves"
            )
        pairs.append((g, p))
    if not pairs:
        raise InputError("no document is shared by gold and predictions; check the ids")
    return pairs, missing, extra


def _score(
    pairs: Sequence[tuple[Sequence[Span], Sequence[Span]]], labels: Sequence[str]
) -> dict[str, Any]:
    strict = {lab: Counts() for lab in labels}
    lenient = {lab: Counts() for lab in labels}
    for gold_spans, pred_spans in pairs:
        for lab in labels:
            g = [s for s in gold_spans if s.label == lab]
            p = [s for s in pred_spans if s.label == lab]
            tp = _strict_tp(g, p)
            strict[lab] += Counts(tp, len(p) - tp, len(g) - tp)
            ltp = len(lenient_matches(g, p))
            lenient[lab] += Counts(ltp, len(p) - ltp, len(g) - ltp)

    def block(counts: dict[str, Counts]) -> dict[str, Any]:
        micro = sum(counts.values(), Counts())
        return {"micro": micro.as_dict(), "per_label": {k: v.as_dict() for k, v in counts.items()}}

    return {"strict": block(strict), "lenient": block(lenient)}


def evaluate(
    gold: Iterable[Document],
    pred: Iterable[Document],
    *,
    labels: Sequence[str] = LABELS,
    intersection: bool = False,
    by_lang: bool = False,
) -> dict[str, Any]:
    """Strict and lenient precision, recall and F1 per label and micro-averaged.

    arg gold (Iterable[Document]): reference documents with their spans.
    arg pred (Iterable[Document]): predicted documents (same ids and texts).
    arg labels (Sequence[str]): labels to score; spans with other labels are ignored.
    arg intersection (bool): score only ids present on both sides instead of raising
        :class:`InputError` when predictions lack gold documents.
    arg by_lang (bool): add ``"by_lang": {lang: {"strict", "lenient"}}``, each span scored in
        the language of the sentence it lies in.
    RETURNS dict: ``{"documents", "labels", "matching", "missing_ids", "ignored_pred_ids",
    "strict": {"micro", "per_label"}, "lenient": {...}[, "by_lang"]}``; counts carry
    ``tp, fp, fn, gold, pred, precision, recall, f1``.

    EXAMPLE:
        >>> spans = (Span(0, 4, "DOSE"), Span(8, 12, "CELL_TYPE"))
        >>> g = [Document("d", "5 mL of MSCs", spans=spans)]
        >>> p = [Document("d", "5 mL of MSCs", spans=(Span(0, 4, "DOSE"),))]
        >>> evaluate(g, p)["strict"]["micro"]["recall"]
        0.5
    """
    labels = tuple(labels)
    if not labels:
        raise InputError("no labels to score; pass at least one label, e.g. labels=('DOSE',)")
    pairs, missing, extra = _pair_documents(gold, pred, intersection=intersection)
    wanted = set(labels)
    span_pairs = [
        (
            [s for s in g.spans if s.label in wanted],
            [s for s in p.spans if s.label in wanted],
        )
        for g, p in pairs
    ]
    result: dict[str, Any] = {
        "documents": len(pairs),
        "labels": list(labels),
        "matching": MATCHING,
        "missing_ids": missing,
        "ignored_pred_ids": extra,
    }
    result.update(_score(span_pairs, labels))
    if by_lang:
        per_lang: dict[str, list[tuple[list[Span], list[Span]]]] = {}
        for (g, _), (gs, ps) in zip(pairs, span_pairs, strict=True):
            lookup = _language_lookup(g)
            langs_g = [lookup(s.start) for s in gs]
            langs_p = [lookup(s.start) for s in ps]
            for lang in sorted(set(langs_g) | set(langs_p)):
                per_lang.setdefault(lang, []).append(
                    (
                        [s for s, la in zip(gs, langs_g, strict=True) if la == lang],
                        [s for s, la in zip(ps, langs_p, strict=True) if la == lang],
                    )
                )
        result["by_lang"] = {lang: _score(per_lang[lang], labels) for lang in sorted(per_lang)}
    return result


def evaluate_many(
    gold: Iterable[Document],
    systems: Mapping[str, Iterable[Document]],
    **options: Any,
) -> dict[str, Any]:
    """Score several systems against the same gold, for a side-by-side table.

    arg systems (Mapping[str, Iterable[Document]]): system name -> predicted documents.
    arg options: passed to :func:`evaluate` (``labels``, ``intersection``, ``by_lang``).
    RETURNS dict: ``{"systems": {name: evaluate(...) result}}`` in the given order.

    EXAMPLE:
        >>> g = [Document("d", "5 mL", spans=(Span(0, 4, "DOSE"),))]
        >>> r = evaluate_many(g, {"rules": g, "empty": [Document("d", "5 mL")]})
        >>> [r["systems"][k]["strict"]["micro"]["f1"] for k in ("rules", "empty")]
        [1.0, 0.0]
    """
    if not systems:
        raise InputError("no systems to compare; pass at least one name -> documents")
    gold_docs = list(gold)
    return {
        "systems": {name: evaluate(gold_docs, docs, **options) for name, docs in systems.items()}
    }


# --------------------------------------------------------------------------- table
def _rows(result: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any], Mapping[str, Any]]]:
    labels = result.get("labels") or list(result["strict"]["per_label"])
    rows = [
        (lab, result["strict"]["per_label"][lab], result["lenient"]["per_label"][lab])
        for lab in labels
    ]
    rows.append(("micro", result["strict"]["micro"], result["lenient"]["micro"]))
    return rows


def _single_table(result: Mapping[str, Any], title: str | None = None) -> list[str]:
    head = (
        f"{'label':<11} {'gold':>5} {'pred':>5} | {'strict P':>8} {'R':>6} {'F1':>6} |"
        f" {'lenient P':>9} {'R':>6} {'F1':>6}"
    )
    lines = [title] if title else []
    lines += [head, "-" * len(head)]
    for name, s, le in _rows(result):
        if s["gold"] == 0 and s["pred"] == 0:  # nothing to score: no misleading zeros
            lines.append(
                f"{name:<11} {0:>5} {0:>5} | {'-':>8} {'-':>6} {'-':>6} |"
                f" {'-':>9} {'-':>6} {'-':>6}"
            )
            continue
        lines.append(
            f"{name:<11} {s['gold']:>5} {s['pred']:>5} | {s['precision']:>8.3f} {s['recall']:>6.3f}"
            f" {s['f1']:>6.3f} | {le['precision']:>9.3f} {le['recall']:>6.3f} {le['f1']:>6.3f}"
        )
    return lines


def format_table(result: Mapping[str, Any]) -> str:
    """Render an :func:`evaluate` result (or an :func:`evaluate_many` one) as a text table.

    A single result gives one row per label plus ``micro`` (gold/pred counts, strict and
    lenient P/R/F1; ``-`` where a label has neither gold nor predicted spans), then one such
    block per language when it has ``by_lang``. A comparison
    gives one row per label and one column group per system (strict P/R/F1, lenient F1).

    EXAMPLE:
        >>> g = [Document("d", "5 mL", spans=(Span(0, 4, "DOSE"),))]
        >>> print(format_table(evaluate(g, g)).splitlines()[4])
        DOSE            1     1 |    1.000  1.000  1.000 |     1.000  1.000  1.000
    """
    if "systems" in result:
        return _comparison_table(result["systems"])
    lines = _single_table(result, f"documents: {result.get('documents', '?')}")
    for lang, block in (result.get("by_lang") or {}).items():
        lines.append("")
        lines += _single_table({"labels": result.get("labels"), **block}, f"language: {lang}")
    return "\n".join(lines) + "\n"


def _comparison_table(systems: Mapping[str, Mapping[str, Any]]) -> str:
    names = list(systems)
    width = max([11, *(len(n) for n in names)])
    groups = " | ".join(f"{n:^{27}}" for n in names)
    sub = " | ".join(f"{'sP':>6} {'sR':>6} {'sF1':>6} {'lF1':>6}" for _ in names)
    lines = [f"{'':<{width}} | {groups}", f"{'label':<{width}} | {sub}"]
    lines.append("-" * len(lines[1]))
    per_system = [_rows(systems[n]) for n in names]
    for i, (name, _, _) in enumerate(per_system[0]):
        cells = []
        for rows in per_system:
            _, s, le = rows[i]
            cells.append(
                f"{s['precision']:>6.3f} {s['recall']:>6.3f} {s['f1']:>6.3f} {le['f1']:>6.3f}"
            )
        lines.append(f"{name:<{width}} | " + " | ".join(cells))
    return "\n".join(lines) + "\n"
