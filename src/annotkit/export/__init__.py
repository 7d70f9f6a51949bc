"""Corpus export: NER formats (:mod:`annotkit.export.ner`) and parallel formats
(:mod:`annotkit.export.parallel`, imported only when a parallel format is asked for).

EXAMPLE:
    >>> from annotkit.export import FORMATS, export
    >>> from annotkit.io import read_documents
    >>> summary = export(read_documents(["annotations/gold/seeds.jsonl"]), "hf", "/tmp/hf")
    >>> summary["files"]
    ['all.jsonl', 'labels.json', 'README.md']
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

from annotkit.errors import InputError
from annotkit.export.ner import (
    NER_FORMATS,
    export_ner,
    hf_label_list,
    parse_split,
    read_conll,
    read_jsonl,
    span_table,
)
from annotkit.tags import ZhTokens

__all__ = [
    "FORMATS",
    "NER_FORMATS",
    "PARALLEL_FORMATS",
    "export",
    "export_ner",
    "hf_label_list",
    "parse_split",
    "read_conll",
    "read_jsonl",
    "span_table",
]

#: Formats written by annotkit.export.parallel from `annotkit align` output.
PARALLEL_FORMATS: tuple[str, ...] = ("tmx", "moses", "tsv")
#: Every export format, NER first.
FORMATS: tuple[str, ...] = (*NER_FORMATS, *PARALLEL_FORMATS)


def export(
    items: Iterable[Any],
    fmt: str,
    out_dir: str | os.PathLike[str],
    *,
    split: str | Sequence[float] | None = None,
    zh_tokens: str = "char",
    sources: Sequence[str] = (),
) -> dict[str, Any]:
    """Export documents (NER formats) or align records (``tmx|moses|tsv``) into ``out_dir``.

    items (Iterable): :class:`~annotkit.doc.Document` objects for NER formats; for parallel
        formats the records of :func:`annotkit.export.parallel.read_pairs`.
    fmt (str): one of :data:`FORMATS`.
    split (str | Sequence[float] | None): ``"80/10/10"``-style shares, by document group hash.
    RETURNS (dict): a summary with the files written (a ``README.md`` dataset card among them).
    """
    if fmt in NER_FORMATS:
        tokens: ZhTokens = "word" if zh_tokens == "word" else "char"
        if zh_tokens != tokens:
            raise InputError(f"zh_tokens must be 'char' or 'word', got {zh_tokens!r}")
        return export_ner(items, fmt, out_dir, split=split, zh_tokens=tokens, sources=sources)
    if fmt in PARALLEL_FORMATS:
        from annotkit.export.parallel import export_parallel

        shares = parse_split(split)
        result: dict[str, Any] = export_parallel(list(items), fmt, out_dir, split=shares)
        return result
    raise InputError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
