"""Plain-text summaries of a learned model's card: CV metrics and the change from the last one.

EXAMPLE:
    >>> print(format_change({"cv": {}, "previous": None}))  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["format_change"]


def _f(x: Any) -> str:
    return "  -  " if x is None else f"{float(x):.3f}"


def format_change(extra: Mapping[str, Any], metrics: Mapping[str, Any] | None = None) -> str:
    """Per label: cross-validated strict F1 of the new model and of the rules, then the
    change from the previous model on the documents that model did not train on."""
    lines: list[str] = []
    cv = extra.get("cv", {})
    learned = metrics or cv.get("learned") or {}
    rules = cv.get("rules") or {}
    per = learned.get("strict", {}).get("per_label", {})
    base = rules.get("strict", {}).get("per_label", {})
    if per:
        lines.append(f"cross-validated strict F1 ({cv.get('folds')} folds): learned / rules")
        for label in sorted(per):
            lines.append(f"  {label:<10} {_f(per[label].get('f1'))} / "
                         f"{_f(base.get(label, {}).get('f1'))}")  # fmt: skip
        lines.append(f"  {'micro':<10} {_f(learned['strict']['micro']['f1'])} / "
                     f"{_f(rules.get('strict', {}).get('micro', {}).get('f1'))}")  # fmt: skip
    prev = extra.get("previous")
    if not prev:
        lines.append("no previous (promoted) model to compare with")
        return "\n".join(lines)
    n = prev.get("documents", 0)
    if not n:
        lines.append(f"previous model {prev.get('ref')}: no new documents to compare on")
        return "\n".join(lines)
    which = "all" if prev.get("all_documents") else "new"
    lines.append(
        f"change from {prev.get('ref')} on {n} {which} document(s) (strict F1: "
        "previous -> new [rules])"
    )
    for label, row in sorted(prev.get("per_label", {}).items()):
        lines.append(f"  {label:<10} {_f(row.get('previous'))} -> {_f(row.get('new'))} "
                     f"[{_f(row.get('rules'))}]")  # fmt: skip
    micro = prev.get("micro", {})
    lines.append(f"  {'micro':<10} {_f(micro.get('previous'))} -> {_f(micro.get('new'))} "
                 f"[{_f(micro.get('rules'))}]")  # fmt: skip
    return "\n".join(lines)
