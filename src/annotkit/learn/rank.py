"""Active learning: order unlabelled documents by the expected value of correcting them.

For each document the learned engine's analysis gives

* **uncertainty**: the expected number of errors in its pre-annotation, ``Σ (1 − score)``
  over the spans it proposes (a calibrated score is the chance the span is right) plus
  ``Σ P(entity)`` over the tokens it leaves outside every span (the sequence model's
  probability that an entity was missed there);
* **disagreement**: the number of spans that some sources propose and others do not
  (rules, rules with project terms, CRF, stanza when used): where the sources disagree, a
  correction settles a question the model could not.

``value = uncertainty + 0.5 × disagreement`` (a disagreement counts as a coin flip). The
highest value comes first: those are the corrections the next model learns most from.

EXAMPLE:
    >>> ranked = rank_documents(docs, load_learned_model("models/ner/v2"))
    >>> [(r.id, round(r.value, 2)) for r in ranked[:2]]
    [('doc-17', 4.31), ('doc-03', 2.9)]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from annotkit.doc import Document
from annotkit.learn.engine import Analysis, LearnedModel, decide
from annotkit.learn.policy import Policy

__all__ = ["DISAGREEMENT_WEIGHT", "Ranked", "rank_analyses", "rank_documents"]

DISAGREEMENT_WEIGHT = 0.5


@dataclass(frozen=True, slots=True)
class Ranked:
    """One document's place in the ranking and why (``position`` 1 = annotate first)."""

    id: str
    position: int
    value: float
    uncertainty: float
    disagreement: int
    spans: int

    def to_dict(self) -> dict[str, Any]:
        return {"position": self.position, "value": round(self.value, 4),
                "uncertainty": round(self.uncertainty, 4), "disagreement": self.disagreement,
                "spans": self.spans}  # fmt: skip


def _value(doc: Document, an: Analysis, policy: Policy) -> tuple[float, float, int, int]:
    final = decide(an, policy)
    uncertainty = sum(1.0 - (s.score if s.score is not None else 0.5) for s in final)
    covered = [(s.start, s.end) for s in final]
    for a, b, p_o in an.token_o:
        if not any(s <= a and b <= e for s, e in covered):
            uncertainty += 1.0 - p_o
    names = [n for n in ("rules", "terms", "crf", "stanza") if n in an.sources]
    keysets = [{s.key for s in an.sources[n]} for n in names]
    union = set().union(*keysets) if keysets else set()
    common = set.intersection(*keysets) if keysets else set()
    disagreement = len(union - common)
    value = uncertainty + DISAGREEMENT_WEIGHT * disagreement
    return value, uncertainty, disagreement, len(final)


def rank_analyses(analyses: Iterable[tuple[Document, Analysis]], policy: Policy) -> list[Ranked]:
    """Rank documents from their analyses (highest value first; ties by id)."""
    scored = [(d.id, *_value(d, an, policy)) for d, an in analyses]
    scored.sort(key=lambda r: (-r[1], r[0]))
    return [
        Ranked(doc_id, i, value, unc, dis, n)
        for i, (doc_id, value, unc, dis, n) in enumerate(scored, 1)
    ]


def rank_documents(docs: Sequence[Document], model: LearnedModel) -> list[Ranked]:
    """Rank ``docs`` with a loaded learned model (:func:`annotkit.learn.load_learned_model`)."""
    return rank_analyses(((d, model.analyse(d)) for d in docs), model.policy)
