"""How annotators changed the pre-annotations: kept, removed, added, relabelled, moved.

Spans are ``(start, end, LABEL)`` triples in code points. Per example, each pre-annotated
span is matched to at most one final span, in this order: the same span (*kept*), the same
offsets with another label (*relabelled*), an overlapping span with the same label and other
offsets (*boundary-changed*); unmatched pre spans were *removed*, unmatched final spans
*added*. Pre-annotation precision per label is kept / pre-annotated and recall is kept /
final (strict match), both as judged by the annotators.

EXAMPLE:
    >>> r = ChangeReport()
    >>> r.add([(0, 4, "DOSE"), (10, 14, "SCALE")], [(0, 4, "DOSE"), (9, 14, "SCALE")])
    >>> r.totals()["kept"], r.totals()["boundary_changed"]
    (1, 1)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ChangeReport", "compare_spans", "format_report"]

Triple = tuple[int, int, str]
_KINDS = ("kept", "removed", "added", "relabelled", "boundary_changed")


def compare_spans(
    pre: Iterable[Triple], final: Iterable[Triple]
) -> dict[str, list[tuple[Triple | None, Triple | None]]]:
    """Match pre-annotated to final spans; RETURNS kind -> [(pre, final), ...]."""
    left = sorted(set(pre))
    right = sorted(set(final))
    out: dict[str, list[tuple[Triple | None, Triple | None]]] = {k: [] for k in _KINDS}

    def take(kind: str, test: Any) -> None:
        for p in list(left):
            match = next((f for f in right if test(p, f)), None)
            if match is not None:
                left.remove(p)
                right.remove(match)
                out[kind].append((p, match))

    take("kept", lambda p, f: p == f)
    take("relabelled", lambda p, f: p[:2] == f[:2])
    take("boundary_changed", lambda p, f: p[2] == f[2] and p[0] < f[1] and f[0] < p[1])
    out["removed"] = [(p, None) for p in left]
    out["added"] = [(None, f) for f in right]
    return out


@dataclass(slots=True)
class ChangeReport:
    """Counts per label over the examples added (usually the confirmed ones)."""

    examples: int = 0
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    pre_total: Counter[str] = field(default_factory=Counter)
    final_total: Counter[str] = field(default_factory=Counter)

    def add(self, pre: Iterable[Triple], final: Iterable[Triple]) -> None:
        pre = list(pre)
        final = list(final)
        self.examples += 1
        self.pre_total.update(p[2] for p in set(pre))
        self.final_total.update(f[2] for f in set(final))
        for kind, pairs in compare_spans(pre, final).items():
            for p, f in pairs:
                label = p[2] if p is not None else f[2]  # type: ignore[index]
                self.counts.setdefault(label, Counter())[kind] += 1

    def labels(self) -> list[str]:
        return sorted(set(self.counts) | set(self.pre_total) | set(self.final_total))

    def row(self, label: str | None = None) -> dict[str, Any]:
        if label is None:
            counts: Counter[str] = Counter()
            for c in self.counts.values():
                counts.update(c)
            pre, final = sum(self.pre_total.values()), sum(self.final_total.values())
        else:
            counts = self.counts.get(label, Counter())
            pre, final = self.pre_total[label], self.final_total[label]
        kept = counts["kept"]
        row: dict[str, Any] = {k: counts[k] for k in _KINDS}
        row.update(
            pre_annotated=pre,
            final=final,
            precision=round(kept / pre, 4) if pre else None,
            recall=round(kept / final, 4) if final else None,
        )
        return row

    def totals(self) -> dict[str, Any]:
        return self.row(None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"examples", "labels": {LABEL: row}, "micro": row}``."""
        return {
            "examples": self.examples,
            "labels": {label: self.row(label) for label in self.labels()},
            "micro": self.totals(),
        }


def format_report(report: dict[str, Any]) -> str:
    """A plain-text table of :meth:`ChangeReport.to_dict` output."""
    head = ["label", *_KINDS, "precision", "recall"]
    rows = [head]
    items = [*report["labels"].items(), ("(micro)", report["micro"])]
    for label, row in items:
        rows.append(
            [label]
            + [str(row[k]) for k in _KINDS]
            + ["-" if row[k] is None else f"{row[k]:.3f}" for k in ("precision", "recall")]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)
