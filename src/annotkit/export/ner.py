"""NER corpus export: the annotkit record, CoNLL (plain and annotated), stanza JSON, Hugging
Face ``datasets``, spaCy DocBin, Prodigy, doccano, CSV and Parquet.

Every export writes one file per split (``all`` without ``--split``; ``train``/``dev``/``test``
with ``80/10/10``; ``train``/``test`` with two shares), a dataset card ``README.md`` and the
folder's manifest (:mod:`annotkit.export.folder`: the previous export's files are removed
first, files annotkit did not write are never touched). Splits follow
:mod:`annotkit.export.splits`: by a hash of each document's group id, a document and its
translation together, and a split that would be empty is an error unless ``skip_empty_splits``
(then it is not written and the card says why).

Tokens come from :func:`annotkit.segment.tokenize` and are split at span edges
(:mod:`annotkit.tags`), so every span is a run of whole tokens and tags round-trip exactly;
the spaCy export uses spaCy's own tokens instead (:mod:`annotkit.export.docbin`).

EXAMPLE:
    >>> from annotkit.io import read_documents
    >>> docs = list(read_documents(["tests/data/ner_tiny.jsonl"]))
    >>> summary = export_ner(docs, "conll", "/tmp/out", split=(80, 10, 10))  # doctest: +SKIP
    >>> summary["files"]  # doctest: +SKIP
    ['train.conll', 'dev.conll', 'test.conll', 'README.md']
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from annotkit.doc import Document
from annotkit.errors import InputError
from annotkit.export.card import ner_card
from annotkit.export.conll import annotated_conll_lines, conll_lines
from annotkit.export.docbin import ALIGNMENT_MODES
from annotkit.export.folder import finish_folder, prepare_folder
from annotkit.export.hf import hf_front_matter, hf_label_list, hf_rows
from annotkit.export.records import doccano_record, prodigy_record
from annotkit.export.splits import parse_split, plan_splits
from annotkit.io import Backups, atomic_output, atomic_writer, document_to_record, dumps_record
from annotkit.tags import TaggedSentence, ZhTokens, tag_document, to_stanza_json

__all__ = ["NER_FORMATS", "TABLE_COLUMNS", "export_ner", "span_table"]

#: format -> file extension
NER_FORMATS: dict[str, str] = {
    "jsonl": "jsonl",
    "conll": "conll",
    "conll-bioes": "conll",
    "conll-annotated": "conll",
    "stanza": "json",
    "hf": "jsonl",
    "spacy": "spacy",
    "prodigy": "jsonl",
    "doccano": "jsonl",
    "csv": "csv",
    "parquet": "parquet",
}
TABLE_COLUMNS = ("doc_id", "lang", "start", "end", "label", "text", "norm")
_BIOES = ("conll-bioes", "stanza")

Tagged = list[tuple[Document, list[TaggedSentence]]]


def _doc_lang(doc: Document, sents: Sequence[TaggedSentence]) -> str:
    langs = {s.lang for s in sents if s.lang != "und"}
    if doc.lang:
        return doc.lang
    if len(langs) == 1:
        return next(iter(langs))
    return "mixed" if langs else "und"


def span_table(docs: Iterable[Document]) -> list[dict[str, Any]]:
    """One row per span: ``doc_id, lang, start, end, label, text, norm`` (norm as JSON).

    ``lang`` is the language of the sentence the span lies in
    (:func:`annotkit.evaluate.span_languages`).
    """
    from annotkit.evaluate import span_languages

    rows: list[dict[str, Any]] = []
    for doc in docs:
        langs = span_languages(doc, doc.spans) if doc.spans else []
        for span, lang in zip(doc.spans, langs, strict=True):
            rows.append(
                {
                    "doc_id": doc.id,
                    "lang": lang,
                    "start": span.start,
                    "end": span.end,
                    "label": span.label,
                    "text": doc.text[span.start : span.end],
                    "norm": json.dumps(dict(span.norm), ensure_ascii=False, sort_keys=True)
                    if span.norm is not None
                    else None,
                }
            )
    return rows


def _write_lines(path: Path, lines: Iterable[str]) -> None:
    with atomic_writer(path) as fh:
        for line in lines:
            fh.write(line + "\n")


def _write_split(fmt: str, path: Path, tagged: Tagged, label_list: Sequence[str],
                 *, grapheme: bool, alignment: str) -> list[dict[str, Any]]:  # fmt: skip
    """Write one split file; RETURNS the spans the format could not place (spaCy only)."""
    docs = [d for d, _ in tagged]
    if fmt == "jsonl":
        _write_lines(path, (dumps_record(document_to_record(d)) for d in docs))
    elif fmt in ("conll", "conll-bioes", "conll-annotated"):
        lines = annotated_conll_lines if fmt == "conll-annotated" else conll_lines
        _write_lines(path, (line for d, sents in tagged for line in lines(d, sents)))
    elif fmt == "stanza":
        rows = [row for doc, sents in tagged for row in to_stanza_json(doc.text, sents)]
        _write_lines(path, [json.dumps(rows, ensure_ascii=False, indent=0)])
    elif fmt == "hf":
        rows_ = (r for doc, sents in tagged for r in hf_rows(doc, sents, label_list))
        _write_lines(path, (dumps_record(r) for r in rows_))
    elif fmt == "prodigy":
        recs = (prodigy_record(d, [t for s in sents for t in s.tokens]) for d, sents in tagged)
        _write_lines(path, (dumps_record(r) for r in recs))
    elif fmt == "doccano":
        _write_lines(path, (dumps_record(doccano_record(d, grapheme=grapheme)) for d in docs))
    elif fmt == "spacy":
        from annotkit.export.docbin import docbin_bytes

        data, bad = docbin_bytes(docs, alignment=alignment)
        with atomic_output(path) as tmp:
            tmp.write_bytes(data)
        return [m.to_dict() for m in bad]
    else:  # csv, parquet
        import pandas as pd

        frame = pd.DataFrame(span_table(docs), columns=list(TABLE_COLUMNS))
        frame = frame.astype({"start": "int64", "end": "int64"})
        if fmt == "csv":
            with atomic_writer(path) as fh:
                frame.to_csv(fh, index=False, lineterminator="\n")
        else:
            with atomic_output(path) as tmp:
                frame.to_parquet(tmp, index=False)
    return []


def export_ner(
    docs: Iterable[Document],
    fmt: str,
    out_dir: str | os.PathLike[str],
    *,
    split: str | Sequence[float] | None = None,
    zh_tokens: ZhTokens = "char",
    sources: Sequence[str] = (),
    skip_empty_splits: bool = False,
    alignment: str = "strict",
    grapheme: bool = False,
    backups: Backups | None = None,
    force: bool = False,
) -> dict[str, Any]:
    """Write ``docs`` as an NER corpus in ``fmt`` under ``out_dir`` with a dataset card.

    docs (Iterable[Document]): annotated documents.
    fmt (str): one of :data:`NER_FORMATS`.
    out_dir (path): output folder (created; the previous export's files are replaced).
    split (str | Sequence[float] | None): ``"80/10/10"`` etc.; None writes one ``all`` split.
    zh_tokens (str): Chinese tokens per ``"char"`` or jieba ``"word"`` (token formats).
    sources (Sequence[str]): input names recorded in the card.
    skip_empty_splits (bool): leave out a split that would be empty (warning) instead of
        raising :class:`~annotkit.errors.InputError`.
    alignment (str): ``spacy`` format: ``Doc.char_span`` mode, ``strict`` (misaligned spans'
        tokens marked missing), ``contract`` or ``expand`` (snapped); always reported.
    grapheme (bool): ``doccano`` format: offsets in grapheme clusters instead of UTF-16 units.
    backups, force: what to do with files in the folder annotkit did not write (or that were
        changed since): :func:`~annotkit.export.folder.prepare_folder`.
    RETURNS (dict): ``{"format", "files", "splits": {name: counts}, "left_out": {name: why},
        "removed", "misaligned", ...}`` (also in the card).

    EXAMPLE:
        >>> from annotkit.doc import Span
        >>> doc = Document("d", "5 mL", spans=(Span(0, 4, "DOSE"),))
        >>> export_ner([doc], "conll", "/tmp/c")["files"]  # doctest: +SKIP
        ['all.conll', 'README.md']
    """
    if fmt not in NER_FORMATS:
        raise InputError(
            f"unknown NER export format {fmt!r}; choose one of {', '.join(NER_FORMATS)}"
        )
    if alignment not in ALIGNMENT_MODES:
        raise InputError(
            f"unknown alignment mode {alignment!r}; choose one of {', '.join(ALIGNMENT_MODES)}"
        )
    docs = list(docs)
    if not docs:
        raise InputError("nothing to export: the inputs hold no documents")
    plan = plan_splits(docs, parse_split(split), skip_empty=skip_empty_splits)
    scheme = "bioes" if fmt in _BIOES else "bio"
    labels = sorted({s.label for d in docs for s in d.spans})
    label_list = hf_label_list(labels)
    split_files = {name: f"{name}.{NER_FORMATS[fmt]}" for name in plan.parts}
    files = [*split_files.values(), *(["labels.json"] if fmt == "hf" else []), "README.md"]
    out = Path(out_dir)
    removed = prepare_folder(out, files, fmt=fmt, backups=backups, force=force)
    counts: dict[str, dict[str, Any]] = {}
    misaligned: list[dict[str, Any]] = []
    languages: set[str] = set()
    for name, part in plan.parts.items():
        tagged = [(d, tag_document(d, scheme=scheme, zh_tokens=zh_tokens)[0]) for d in part]
        misaligned += _write_split(fmt, out / split_files[name], tagged, label_list,
                                   grapheme=grapheme, alignment=alignment)  # fmt: skip
        counts[name] = _counts(tagged)
        languages.update(s.lang for _, sents in tagged for s in sents)
    if fmt == "hf":
        _write_lines(out / "labels.json", [json.dumps(label_list, indent=1)])
    summary: dict[str, Any] = {
        "format": fmt,
        "scheme": scheme,
        "zh_tokens": zh_tokens,
        "split": list(plan.shares) if plan.shares else None,
        "files": files,
        "splits": counts,
        "left_out": dict(plan.left_out),
        "labels": labels,
        "sources": list(sources),
        "removed": removed,
        "misaligned": misaligned,
        "alignment": alignment,
        "doccano_offsets": "grapheme clusters" if grapheme else "UTF-16 code units",
    }
    front = hf_front_matter(split_files, label_list, languages) if fmt == "hf" else ""
    with atomic_writer(out / "README.md") as fh:
        fh.write(ner_card(summary, front_matter=front))
    finish_folder(out, files, fmt=fmt)
    return summary


def _counts(tagged: Tagged) -> dict[str, Any]:
    langs: Counter[str] = Counter()
    label_counts: Counter[str] = Counter()
    for doc, sents in tagged:
        langs[_doc_lang(doc, sents)] += 1
        label_counts.update(s.label for s in doc.spans)
    return {
        "documents": len(tagged),
        "sentences": sum(len(s) for _, s in tagged),
        "tokens": sum(len(x.tokens) for _, s in tagged for x in s),
        "spans": sum(len(d.spans) for d, _ in tagged),
        "labels": dict(sorted(label_counts.items())),
        "languages": dict(sorted(langs.items())),
    }
