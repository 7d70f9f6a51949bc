"""Parallel passages and sentence alignment.

- :func:`align_sentences` (:mod:`annotkit.align.dp`): pre-split sentences -> beads;
- :func:`align_document` (:mod:`annotkit.align.passages`): find translated passages inside a
  document and align them section by section, sentence by sentence;
- :func:`pairs_to_record`: the ``annotkit align`` JSONL record.

EXAMPLE:
    >>> from annotkit.align import align_sentences
    >>> [b.format() for b in align_sentences(["你好吗？"], ["How are you?"], src_lang="zh",
    ...                                      tgt_lang="en")]
    ['[0]:[0]']
"""

from __future__ import annotations

from annotkit.align.dp import AlignOptions, PairScorer, align_sentences, load_scorer
from annotkit.align.passages import HEADINGS, align_document, heading_of, pairs_to_record

__all__ = [
    "HEADINGS",
    "AlignOptions",
    "PairScorer",
    "align_document",
    "align_sentences",
    "heading_of",
    "load_scorer",
    "pairs_to_record",
]
