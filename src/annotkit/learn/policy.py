"""The combination policy: which source wins, per label and language, and calibrated scores.

A *strategy* names sources in order of precedence, ``"terms>crf"``: take the ``terms`` spans
of the label, then every ``crf`` span of the label that overlaps none of them (so where the
two disagree about a boundary, ``terms`` wins). Sources: ``rules`` (the packaged rules engine),
``terms`` (the rules with the project terms and exclusions), ``crf`` (the sequence model,
which sees both as features) and ``stanza`` (the stanza NER model, when the policy was given
its held-out predictions). :func:`choose_policy` picks, per label and language, the strategy
with the best held-out strict F1; ties go to the earlier candidate (the trainer lists
``terms`` first: what annotators taught the project is used unless held-out documents say
it hurts); labels or languages never seen in training keep ``rules``.

Scores: every span gets the sequence model's confidence in it (the smallest marginal of its
tags), mapped to the precision that confidence had on held-out documents (isotonic
regression, per label), so a score of 0.8 means about 8 in 10 such spans were right.

EXAMPLE:
    >>> from annotkit.doc import Span
    >>> spans = combine("terms>crf", {"terms": [Span(0, 4, "DOSE")],
    ...                               "crf": [Span(0, 9, "DOSE"), Span(12, 15, "DOSE")]})
    >>> [s.key for s in spans]
    [(0, 4, 'DOSE'), (12, 15, 'DOSE')]
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from annotkit.doc import Span

__all__ = [
    "DEFAULT_STRATEGY",
    "Calibration",
    "Policy",
    "candidate_strategies",
    "choose_policy",
    "combine",
    "fit_calibration",
]

DEFAULT_STRATEGY = "rules"
_SMOOTH = 1.0  # pseudo-counts (half right, half wrong) in every calibration block
MIN_SCORE = 0.01


def candidate_strategies(sources: Sequence[str]) -> list[str]:
    """Single sources, then every ordered pair, in the given order."""
    out = list(sources)
    out += [f"{a}>{b}" for a in sources for b in sources if a != b]
    return out


def combine(strategy: str, sources: Mapping[str, Sequence[Span]]) -> list[Span]:
    """The spans of ``strategy``: sources in precedence order, later ones fill gaps only."""
    kept: list[Span] = []
    for name in strategy.split(">"):
        for span in sources.get(name, ()):
            if not any(span.start < k.end and k.start < span.end for k in kept):
                kept.append(span)
    kept.sort(key=lambda s: (s.start, s.end))
    return kept


@dataclass(frozen=True, slots=True)
class Calibration:
    """Isotonic map from raw confidence to held-out precision: ``bounds`` are the upper raw
    edges of the blocks, ``values`` their smoothed precision (non-decreasing)."""

    bounds: tuple[float, ...] = ()
    values: tuple[float, ...] = ()
    support: int = 0

    def __call__(self, raw: float) -> float:
        if not self.values:
            return max(MIN_SCORE, min(1.0, raw))
        i = bisect.bisect_left(self.bounds, raw)
        return self.values[min(i, len(self.values) - 1)]

    def to_dict(self) -> dict[str, Any]:
        return {"bounds": list(self.bounds), "values": list(self.values), "support": self.support}

    @classmethod
    def from_dict(cls, rec: Mapping[str, Any]) -> Calibration:
        bounds = tuple(map(float, rec.get("bounds", ())))
        return cls(bounds, tuple(map(float, rec.get("values", ()))), int(rec.get("support", 0)))


def fit_calibration(pairs: Iterable[tuple[float, bool]]) -> Calibration:
    """Pool-adjacent-violators over ``(raw confidence, was right)`` pairs.

    Each block's value is ``(right + 0.5) / (n + 1)``, so no score is 0 or 1 from a handful
    of spans; the values are non-decreasing in the raw confidence.
    """
    tally: dict[float, list[float]] = {}
    for r, ok in pairs:
        cell = tally.setdefault(round(float(r), 6), [0.0, 0.0])
        cell[0] += bool(ok)
        cell[1] += 1
    if not tally:
        return Calibration()
    support = int(sum(n for _, n in tally.values()))
    blocks: list[list[float]] = []  # [upper raw, right, n], one per distinct raw value first
    for raw in sorted(tally):
        blocks.append([raw, *tally[raw]])
        while len(blocks) > 1 and blocks[-2][1] / blocks[-2][2] >= blocks[-1][1] / blocks[-1][2]:
            up, right, n = blocks.pop()
            blocks[-1] = [up, blocks[-1][1] + right, blocks[-1][2] + n]
    values = [(right + _SMOOTH / 2) / (n + _SMOOTH) for _, right, n in blocks]
    for i in range(1, len(values)):  # smoothing can only lower a high block below a low one
        values[i] = max(values[i], values[i - 1])
    bounds = [up for up, _, _ in blocks]
    return Calibration(tuple(bounds), tuple(max(MIN_SCORE, v) for v in values), support)


@dataclass(frozen=True, slots=True)
class Policy:
    """Per ``(label, lang)`` strategy, per-label calibration, and the evidence behind them."""

    choices: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    calibration: Mapping[str, Calibration] = field(default_factory=dict)
    evidence: Mapping[str, Any] = field(default_factory=dict)

    def strategy(self, label: str, lang: str) -> str:
        return self.choices.get(label, {}).get(lang, DEFAULT_STRATEGY)

    def sources(self) -> set[str]:
        """Every source some choice uses."""
        out = {DEFAULT_STRATEGY}
        for by_lang in self.choices.values():
            for strategy in by_lang.values():
                out.update(strategy.split(">"))
        return out

    def score(self, label: str, raw: float) -> float:
        cal = self.calibration.get(label) or self.calibration.get("*") or Calibration()
        return cal(raw)

    def to_dict(self) -> dict[str, Any]:
        return {
            "choices": {k: dict(v) for k, v in sorted(self.choices.items())},
            "calibration": {k: v.to_dict() for k, v in sorted(self.calibration.items())},
            "evidence": dict(self.evidence),
        }

    @classmethod
    def from_dict(cls, rec: Mapping[str, Any]) -> Policy:
        return cls(
            {str(k): {str(a): str(b) for a, b in v.items()} for k, v in rec["choices"].items()},
            {str(k): Calibration.from_dict(v) for k, v in rec.get("calibration", {}).items()},
            dict(rec.get("evidence", {})),
        )


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


#: A strategy other than the rules (and the rules with project terms, which only must not be
#: worse) is chosen only when it beats the rules in at least this share of bootstrap
#: resamples of the held-out documents: a small held-out set makes a lucky winner likely.
CONFIDENCE = 0.9
RESAMPLES = 400
_SAFE = ("terms",)

PerDoc = Sequence[tuple[int, int, int]]


def _pooled(rows: PerDoc) -> tuple[int, int, int]:
    return (sum(r[0] for r in rows), sum(r[1] for r in rows), sum(r[2] for r in rows))


def _win_share(cand: PerDoc, base: PerDoc, samples: Sequence[Sequence[int]]) -> float:
    """Share of document resamples in which ``cand`` has a higher F1 than ``base``."""
    wins = 0
    for idx in samples:
        c = _f1(*_pooled([cand[i] for i in idx]))
        b = _f1(*_pooled([base[i] for i in idx]))
        wins += c > b + 1e-12
    return wins / len(samples) if samples else 0.0


def choose_policy(
    counts: Mapping[tuple[str, str, str], PerDoc],
    candidates: Sequence[str],
    *,
    confidence: float = CONFIDENCE,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> tuple[dict[str, dict[str, str]], dict[str, Any]]:
    """Best strategy per ``(label, lang)`` from held-out ``(tp, fp, fn)`` per document.

    counts: ``(label, lang, strategy) -> [(tp, fp, fn) per held-out document]`` (the same
        documents, in the same order, for every key).
    A candidate is eligible when it is the rules, is ``terms`` and not worse than the rules,
    or beats the rules in ``confidence`` of ``resamples`` bootstrap resamples of the
    documents (seeded: deterministic); the eligible one with the best pooled F1 wins, ties
    to the earlier candidate.
    RETURNS (choices, evidence): ``{label: {lang: strategy}}`` and, per label and language,
    every candidate's pooled counts, F1 and bootstrap win share.
    """
    import random

    cells = sorted({(label, lang) for label, lang, _ in counts})
    n_docs = max((len(v) for v in counts.values()), default=0)
    rng = random.Random(seed)
    samples = [[rng.randrange(n_docs) for _ in range(n_docs)] for _ in range(resamples)]
    choices: dict[str, dict[str, str]] = {}
    evidence: dict[str, Any] = {}
    empty: PerDoc = [(0, 0, 0)] * n_docs
    for label, lang in cells:
        base = counts.get((label, lang, DEFAULT_STRATEGY), empty)
        base_f1 = _f1(*_pooled(base))
        best, best_f1 = DEFAULT_STRATEGY, -1.0
        table: dict[str, Any] = {}
        for strategy in candidates:
            rows = counts.get((label, lang, strategy), empty)
            tp, fp, fn = _pooled(rows)
            f1 = _f1(tp, fp, fn)
            if strategy == DEFAULT_STRATEGY:
                share, ok = 1.0, True
            elif strategy in _SAFE:
                share, ok = float("nan"), f1 >= base_f1 - 1e-12
            else:
                share = _win_share(rows, base, samples) if f1 > base_f1 else 0.0
                ok = share >= confidence
            table[strategy] = {"tp": tp, "fp": fp, "fn": fn, "f1": round(f1, 4),
                               "win_share": None if share != share else round(share, 3),
                               "eligible": ok}  # fmt: skip
            if ok and f1 > best_f1 + 1e-12:
                best, best_f1 = strategy, f1
        gold = sum(_pooled(base)[i] for i in (0, 2))
        if gold == 0:
            best = DEFAULT_STRATEGY  # nothing to learn from: keep the rules
        choices.setdefault(label, {})[lang] = best
        evidence.setdefault(label, {})[lang] = {"chosen": best, "candidates": table}
    return choices, evidence
