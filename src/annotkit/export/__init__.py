"""Corpus export: NER formats (:mod:`annotkit.export.ner`) and parallel formats
(:mod:`annotkit.export.parallel`, imported only when a parallel format is asked for).

Modules: :mod:`~annotkit.export.splits` (split shares and the empty-split rule, shared by
every format), :mod:`~annotkit.export.folder` (the folder manifest: no stale files),
:mod:`~annotkit.export.conll`, :mod:`~annotkit.export.hf`, :mod:`~annotkit.export.docbin`
(spaCy), :mod:`~annotkit.export.records` (annotkit record, Prodigy, doccano),
:mod:`~annotkit.export.card` (the dataset card).

EXAMPLE:
    >>> from annotkit.export import FORMATS, export
    >>> from annotkit.io import read_documents
    >>> docs = read_documents(["annotations/gold/seeds.jsonl"])
    >>> export(docs, "hf", "/tmp/hf")["files"]  # doctest: +SKIP
    ['all.jsonl', 'labels.json', 'README.md']
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

from annotkit.errors import InputError
from annotkit.export.conll import read_conll
from annotkit.export.docbin import ALIGNMENT_MODES
from annotkit.export.hf import hf_label_list
from annotkit.export.ner import NER_FORMATS, export_ner, span_table
from annotkit.export.records import read_doccano, read_jsonl
from annotkit.export.splits import parse_split
from annotkit.io import Backups
from annotkit.tags import ZhTokens

__all__ = [
    "ALIGNMENT_MODES",
    "FORMATS",
    "NER_FORMATS",
    "PARALLEL_FORMATS",
    "export",
    "export_ner",
    "hf_label_list",
    "parse_split",
    "read_conll",
    "read_doccano",
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
    skip_empty_splits: bool = False,
    alignment: str = "strict",
    grapheme: bool = False,
    backups: Backups | None = None,
    force: bool = False,
) -> dict[str, Any]:
    """Export documents (NER formats) or aligned documents (``tmx|moses|tsv``) into ``out_dir``.

    items (Iterable): :class:`~annotkit.doc.Document` objects (aligned ones, ``doc.pairs`` set,
        for the parallel formats).
    fmt (str): one of :data:`FORMATS`.
    split (str | Sequence[float] | None): ``"80/10/10"``-style shares, by document group hash.
    skip_empty_splits (bool): a split that would be empty is left out with a warning instead
        of raising :class:`~annotkit.errors.InputError`.
    alignment (str), grapheme (bool), zh_tokens (str), sources: see
        :func:`~annotkit.export.ner.export_ner`.
    backups (Backups | None), force (bool): a file in ``out_dir`` that annotkit did not write,
        or one changed since, is kept as ``.bak`` (``backups``) or replaced (``force``); with
        neither the export stops before touching anything
        (:func:`~annotkit.export.folder.prepare_folder`).
    RETURNS (dict): a summary with the files written (a ``README.md`` dataset card among them).
    """
    if fmt in NER_FORMATS:
        tokens: ZhTokens = "word" if zh_tokens == "word" else "char"
        if zh_tokens != tokens:
            raise InputError(f"zh_tokens must be 'char' or 'word', got {zh_tokens!r}")
        return export_ner(
            items, fmt, out_dir, split=split, zh_tokens=tokens, sources=sources,
            skip_empty_splits=skip_empty_splits, alignment=alignment, grapheme=grapheme,
            backups=backups, force=force,
        )  # fmt: skip
    if fmt in PARALLEL_FORMATS:
        from annotkit.export.parallel import export_parallel

        result: dict[str, Any] = export_parallel(
            list(items), fmt, out_dir, split=split, skip_empty_splits=skip_empty_splits,
            backups=backups, force=force,
        )  # fmt: skip
        return result
    raise InputError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
