"""The linear-chain CRF (python-crfsuite) behind the learned engine: train, tag, marginals.

python-crfsuite is imported lazily (extra ``annotkit[learn]``). Training is L-BFGS with
elastic-net regularisation, deterministic for the same data; the model is kept as bytes
(``crf.crfsuite`` in the model folder) and opened in memory.

EXAMPLE:
    >>> model = train_crf([[["w=5"], ["w=ml"]]], [["B-DOSE", "E-DOSE"]])
    >>> CrfTagger(model).tag([["w=5"], ["w=ml"]])[0]
    ['B-DOSE', 'E-DOSE']
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotkit.errors import ModelNotFoundError, TrainingError

__all__ = ["CRF_FILE", "CrfParams", "CrfTagger", "train_crf"]

CRF_FILE = "crf.crfsuite"


@dataclass(frozen=True, slots=True)
class CrfParams:
    """L-BFGS settings: L1 ``c1``, L2 ``c2``, iterations, minimum feature frequency."""

    c1: float = 0.05
    c2: float = 0.05
    max_iterations: int = 150
    min_freq: float = 0.0

    def to_dict(self) -> dict[str, float | int]:
        return {"c1": self.c1, "c2": self.c2, "max_iterations": self.max_iterations,
                "feature.minfreq": self.min_freq}  # fmt: skip


def _pycrfsuite() -> Any:
    try:
        import pycrfsuite
    except ImportError:  # pragma: no cover - depends on the installation
        raise ModelNotFoundError(
            "python-crfsuite is not installed; install it with `pip install 'annotkit[learn]'`"
        ) from None
    return pycrfsuite


def train_crf(
    xseqs: Sequence[Sequence[Sequence[str]]],
    yseqs: Sequence[Sequence[str]],
    params: CrfParams = CrfParams(),
) -> bytes:
    """Train a CRF on feature sequences and tag sequences; RETURNS the model as bytes."""
    if not xseqs:
        raise TrainingError("no training sequences for the CRF; train on annotated documents")
    crfsuite = _pycrfsuite()
    trainer = crfsuite.Trainer(verbose=False)
    for x, y in zip(xseqs, yseqs, strict=True):
        trainer.append([list(f) for f in x], list(y))
    trainer.set_params({**params.to_dict(), "feature.possible_transitions": True})
    fd, name = tempfile.mkstemp(suffix=".crfsuite")
    os.close(fd)
    try:
        trainer.train(name)
        return Path(name).read_bytes()
    finally:
        Path(name).unlink(missing_ok=True)


class CrfTagger:
    """A trained CRF opened in memory: tags with per-token marginals."""

    def __init__(self, model: bytes) -> None:
        self._model = model  # crfsuite reads the model from this buffer: keep it alive
        self._tagger = _pycrfsuite().Tagger()
        self._tagger.open_inmemory(model)
        self.labels: tuple[str, ...] = tuple(self._tagger.labels())

    def tag(self, xseq: Sequence[Sequence[str]]) -> tuple[list[str], list[dict[str, float]]]:
        """Best tag sequence and, per token, the marginal probability of every label."""
        if not xseq:
            return [], []
        tags: list[str] = self._tagger.tag([list(f) for f in xseq])
        margs = [
            {y: float(self._tagger.marginal(y, t)) for y in self.labels} for t in range(len(xseq))
        ]
        return tags, margs
