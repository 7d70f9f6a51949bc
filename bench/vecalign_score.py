"""Strict/lax precision, recall and F1 of sentence alignments (vecalign's ``score.py``).

Beads are pooled over files. Strict precision: share of output beads identical to a gold bead
(null beads included); lax precision: share of output beads that are strict hits or where at
least one source sentence is linked in gold to one of the bead's target sentences. Recall is
the same with gold and output swapped, after dropping beads with an empty side on both lists.

EXAMPLE:
    >>> gold = [[((0,), (0,)), ((1, 2), (1,))]]
    >>> out = [[((0,), (0,)), ((1,), (1,)), ((2,), ())]]
    >>> round(score_multiple(gold, out)["strict"]["f1"], 3)
    0.4
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

__all__ = ["Alignment", "parse_beads", "read_alignments", "score_multiple"]

Alignment = list[tuple[tuple[int, ...], tuple[int, ...]]]

_BEAD = re.compile(r"^\s*\[([\d,\s]*)\]\s*:\s*\[([\d,\s]*)\]\s*$")


def _ids(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.replace(" ", "").split(",") if x)


def parse_beads(lines: Sequence[str]) -> Alignment:
    """Parse ``[i,j]:[k]`` lines (blank lines ignored)."""
    out: Alignment = []
    for line in lines:
        if not line.strip():
            continue
        m = _BEAD.match(line)
        if m is None:
            raise ValueError(f"not a bead line: {line!r}; expected '[i,j]:[k]'")
        out.append((_ids(m.group(1)), _ids(m.group(2))))
    return out


def read_alignments(path: str | Path) -> Alignment:
    """Read one bead file."""
    return parse_beads(Path(path).read_text(encoding="utf-8").splitlines())


def _precision(goldalign: Alignment, testalign: Alignment) -> tuple[int, int, int, int]:
    """(strict hits, strict total, lax hits, lax total) of ``testalign`` against ``goldalign``."""
    gold_set = {(tuple(s), tuple(t)) for s, t in goldalign}
    links: dict[int, set[int]] = {}
    for s, t in goldalign:
        for i in s:
            links.setdefault(i, set()).update(t)
    strict = lax = total = 0
    for s, t in testalign:
        if not s and not t:
            continue
        total += 1
        if (tuple(s), tuple(t)) in gold_set:
            strict += 1
            lax += 1
        elif any(j in links.get(i, ()) for i in s for j in t):
            lax += 1
    return strict, total, lax, total


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def score_multiple(gold_list: Sequence[Alignment], test_list: Sequence[Alignment]) -> dict:
    """Pooled strict/lax P/R/F1 over several files (gold and output in the same order)."""
    if len(gold_list) != len(test_list):
        raise ValueError(f"{len(gold_list)} gold files but {len(test_list)} outputs")
    p = [0, 0, 0, 0]
    r = [0, 0, 0, 0]
    for gold, test in zip(gold_list, test_list, strict=True):
        test_no_null = [(s, t) for s, t in test if s and t]
        gold_no_null = [(s, t) for s, t in gold if s and t]
        for acc, (a, b) in ((p, (gold, test)), (r, (test_no_null, gold_no_null))):
            for k, v in enumerate(_precision(a, b)):
                acc[k] += v
    out: dict = {}
    for name, k in (("strict", 0), ("lax", 2)):
        prec = p[k] / p[k + 1] if p[k + 1] else 0.0
        rec = r[k] / r[k + 1] if r[k + 1] else 0.0
        out[name] = {"precision": prec, "recall": rec, "f1": _f1(prec, rec)}
    return out
