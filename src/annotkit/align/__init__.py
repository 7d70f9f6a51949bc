"""Parallel passages and sentence alignment (see :mod:`annotkit.align.dp`)."""

from __future__ import annotations

from annotkit.align.dp import AlignOptions, PairScorer, align_sentences, load_scorer

__all__ = ["AlignOptions", "PairScorer", "align_sentences", "load_scorer"]
