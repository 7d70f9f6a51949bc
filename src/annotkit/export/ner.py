"""NER corpus export (doccano JSONL, CoNLL BIO/BIOES, stanza JSON, HF JSONL, CSV, Parquet)
and re-import (JSONL, CoNLL).

Every export writes one file per split (``all`` without ``--split``; ``train``/``dev``/``test``
with ``80/10/10``; ``train``/``test`` with two shares) and a dataset card ``README.md``.
Splits are by a hash of each document's group id (:func:`annotkit.split.split_documents`):
deterministic, and a document and its translation always share a split.

Tokens come from :func:`annotkit.segment.tokenize` and are split at span edges
(:mod:`annotkit.train`), so every span is a run of whole tokens and tags round-trip exactly.

CoNLL layout (``conll`` = BIO, ``conll-bioes`` = BIOES), one token per line in the
CoNLL-2003 columns ``token -X- _ TAG``, a blank line after each sentence::

    -DOCSTART- -X- -X- O
    # doc_id = "en01"
    # meta = {"lang": "en"}

    # gaps = ["", " ", " "]
    Patients -X- _ O
    received -X- _ O
    10 -X- _ B-DOSE
    ...

    # tail = "."

``# gaps`` holds, JSON-encoded, the exact text between each token and the previous one (or
the previous sentence); ``# tail`` the text after the last token. ``read_conll`` rebuilds the
document text as ``gap + token + gap + token … + tail``, so the text, its offsets and the
spans come back exactly. Files without these comments (other tools' CoNLL) are read too: tokens
joined by spaces, sentences by newlines.

EXAMPLE:
    >>> from annotkit.io import read_documents
    >>> docs = list(read_documents(["tests/data/ner_tiny.jsonl"]))
    >>> summary = export_ner(docs, "conll", "/tmp/out", split=(80, 10, 10))
    >>> back = read_conll("/tmp/out/train.conll")
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from annotkit.doc import Document
from annotkit.errors import InputError
from annotkit.io import atomic_output, atomic_writer, document_to_record, read_documents
from annotkit.split import split_documents
from annotkit.tags import TaggedSentence, ZhTokens, decode_tags, tag_document, to_stanza_json

__all__ = [
    "NER_FORMATS",
    "export_ner",
    "hf_label_list",
    "parse_split",
    "read_conll",
    "read_jsonl",
    "span_table",
]

#: format -> file extension
NER_FORMATS: dict[str, str] = {
    "jsonl": "jsonl",
    "conll": "conll",
    "conll-bioes": "conll",
    "stanza": "json",
    "hf": "jsonl",
    "csv": "csv",
    "parquet": "parquet",
}
_SPLIT_NAMES = {1: ("all",), 2: ("train", "test"), 3: ("train", "dev", "test")}
_TOKEN_LINE = re.compile(r"^(\S+) -X- _ (\S+)$")
_DOCSTART = "-DOCSTART- -X- -X- O"
TABLE_COLUMNS = ("doc_id", "lang", "start", "end", "label", "text", "norm")


def parse_split(value: str | Sequence[float] | None) -> tuple[float, ...] | None:
    """``"80/10/10"`` -> ``(80.0, 10.0, 10.0)``; None stays None.

    EXAMPLE:
        >>> parse_split("80/20")
        (80.0, 20.0)
    """
    if value is None:
        return None
    try:
        parts = (
            tuple(float(x) for x in value.split("/"))
            if isinstance(value, str)
            else tuple(float(x) for x in value)
        )
    except ValueError:
        parts = ()
    if len(parts) not in (2, 3) or any(p < 0 for p in parts) or sum(parts) <= 0:
        raise InputError(
            f"bad --split {value!r}; give two or three shares like 80/10/10 (train/dev/test) "
            "or 90/10 (train/test)"
        )
    return parts


def _doc_lang(doc: Document, sents: Sequence[TaggedSentence]) -> str:
    langs = {s.lang for s in sents if s.lang != "und"}
    if doc.lang:
        return doc.lang
    if len(langs) == 1:
        return next(iter(langs))
    return "mixed" if langs else "und"


def hf_label_list(labels: Iterable[str]) -> list[str]:
    """HF tag names for BIO: ``O`` then ``B-X``, ``I-X`` per label in sorted order.

    EXAMPLE:
        >>> hf_label_list(["DOSE", "CELL_TYPE"])
        ['O', 'B-CELL_TYPE', 'I-CELL_TYPE', 'B-DOSE', 'I-DOSE']
    """
    out = ["O"]
    for lab in sorted(set(labels)):
        out += [f"B-{lab}", f"I-{lab}"]
    return out


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


# --------------------------------------------------------------------------- writers
def _conll_doc(doc: Document, sents: Sequence[TaggedSentence]) -> list[str]:
    meta = {k: v for k, v in doc.meta.items() if _jsonable(v)}
    lines = [_DOCSTART, f"# doc_id = {json.dumps(doc.id, ensure_ascii=False)}"]
    if meta:
        lines.append(f"# meta = {json.dumps(meta, ensure_ascii=False, sort_keys=True)}")
    lines.append("")
    pos = 0
    for sent in sents:
        gaps = []
        for a, b in sent.tokens:
            gaps.append(doc.text[pos:a])
            pos = b
        lines.append(f"# gaps = {json.dumps(gaps, ensure_ascii=False)}")
        for (a, b), tag in zip(sent.tokens, sent.tags, strict=True):
            lines.append(f"{doc.text[a:b]} -X- _ {tag}")
        lines.append("")
    lines.append(f"# tail = {json.dumps(doc.text[pos:], ensure_ascii=False)}")
    lines.append("")
    return lines


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def _tagged(
    docs: Sequence[Document], scheme: str, zh_tokens: ZhTokens
) -> list[tuple[Document, list[TaggedSentence]]]:
    return [(d, tag_document(d, scheme=scheme, zh_tokens=zh_tokens)[0]) for d in docs]


def _write_split(
    fmt: str,
    path: Path,
    docs: Sequence[Document],
    tagged: Sequence[tuple[Document, list[TaggedSentence]]],
    label_list: Sequence[str],
) -> None:
    if fmt == "jsonl":
        with atomic_writer(path) as fh:
            for doc in docs:
                fh.write(json.dumps(document_to_record(doc), ensure_ascii=False) + "\n")
    elif fmt in ("conll", "conll-bioes"):
        with atomic_writer(path) as fh:
            for doc, sents in tagged:
                fh.write("\n".join(_conll_doc(doc, sents)) + "\n")
    elif fmt == "stanza":
        rows = [row for doc, sents in tagged for row in to_stanza_json(doc.text, sents)]
        with atomic_writer(path) as fh:
            fh.write(json.dumps(rows, ensure_ascii=False, indent=0) + "\n")
    elif fmt == "hf":
        ids = {tag: i for i, tag in enumerate(label_list)}
        with atomic_writer(path) as fh:
            for doc, sents in tagged:
                for i, s in enumerate(sents):
                    row = {
                        "id": f"{doc.id}#{i}",
                        "doc_id": doc.id,
                        "lang": s.lang,
                        "tokens": s.words(doc.text),
                        "ner_tags": [ids[t] for t in s.tags],
                        "offsets": [list(t) for t in s.tokens],
                    }
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    elif fmt in ("csv", "parquet"):
        import pandas as pd

        frame = pd.DataFrame(span_table(docs), columns=list(TABLE_COLUMNS))
        frame = frame.astype({"start": "int64", "end": "int64"})
        if fmt == "csv":
            with atomic_writer(path) as fh:
                frame.to_csv(fh, index=False, lineterminator="\n")
        else:
            with atomic_output(path) as tmp:
                frame.to_parquet(tmp, index=False)


def export_ner(
    docs: Iterable[Document],
    fmt: str,
    out_dir: str | os.PathLike[str],
    *,
    split: str | Sequence[float] | None = None,
    zh_tokens: ZhTokens = "char",
    sources: Sequence[str] = (),
) -> dict[str, Any]:
    """Write ``docs`` as an NER corpus in ``fmt`` under ``out_dir`` with a dataset card.

    docs (Iterable[Document]): annotated documents.
    fmt (str): one of :data:`NER_FORMATS`.
    out_dir (path): output folder (created).
    split (str | Sequence[float] | None): ``"80/10/10"`` etc.; None writes one ``all`` split.
    zh_tokens (str): Chinese tokens per ``"char"`` or jieba ``"word"`` (token formats).
    sources (Sequence[str]): input names recorded in the card.
    RETURNS (dict): ``{"format", "files", "splits": {name: counts}}`` (also in the card).

    EXAMPLE:
        >>> from annotkit.doc import Span
        >>> doc = Document("d", "5 mL", spans=(Span(0, 4, "DOSE"),))
        >>> export_ner([doc], "conll", "/tmp/c")["files"]
        ['all.conll', 'README.md']
    """
    if fmt not in NER_FORMATS:
        raise InputError(
            f"unknown NER export format {fmt!r}; choose one of {', '.join(NER_FORMATS)}"
        )
    docs = list(docs)
    if not docs:
        raise InputError("nothing to export: the inputs hold no documents")
    shares = parse_split(split)
    names = _SPLIT_NAMES[len(shares)] if shares else _SPLIT_NAMES[1]
    parts = split_documents(docs, shares or (1.0,), names)
    scheme = "bioes" if fmt in ("conll-bioes", "stanza") else "bio"
    labels = sorted({s.label for d in docs for s in d.spans})
    label_list = hf_label_list(labels)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files: list[str] = []
    counts: dict[str, dict[str, Any]] = {}
    for name in names:
        part = parts[name]
        tagged = _tagged(part, scheme, zh_tokens)
        fname = f"{name}.{NER_FORMATS[fmt]}"
        _write_split(fmt, out / fname, part, tagged, label_list)
        files.append(fname)
        counts[name] = _counts(part, tagged)
    if fmt == "hf":
        with atomic_writer(out / "labels.json") as fh:
            fh.write(json.dumps(label_list, indent=1) + "\n")
        files.append("labels.json")
    summary: dict[str, Any] = {
        "format": fmt,
        "scheme": scheme,
        "zh_tokens": zh_tokens,
        "split": list(shares) if shares else None,
        "files": [*files, "README.md"],
        "splits": counts,
        "labels": labels,
        "sources": list(sources),
    }
    with atomic_writer(out / "README.md") as fh:
        fh.write(_dataset_card(summary))
    return summary


def _counts(
    docs: Sequence[Document], tagged: Sequence[tuple[Document, list[TaggedSentence]]]
) -> dict[str, Any]:
    langs: Counter[str] = Counter()
    label_counts: Counter[str] = Counter()
    for doc, sents in tagged:
        langs[_doc_lang(doc, sents)] += 1
        label_counts.update(s.label for s in doc.spans)
    return {
        "documents": len(docs),
        "sentences": sum(len(s) for _, s in tagged),
        "tokens": sum(len(x.tokens) for _, s in tagged for x in s),
        "spans": sum(len(d.spans) for d in docs),
        "labels": dict(sorted(label_counts.items())),
        "languages": dict(sorted(langs.items())),
    }


_FORMAT_NOTES = {
    "jsonl": "doccano JSONL: `id`, `text`, `label` ([start, end, LABEL], code points), "
    "`meta.entities` (span text, source, norm). Re-import: `annotkit.export.read_jsonl`.",
    "conll": "CoNLL-2003 columns `token -X- _ TAG`, BIO tags, blank line between sentences, "
    "`-DOCSTART-` before each document. `# doc_id`, `# meta`, `# gaps` (JSON list: the exact "
    "text before each token) and `# tail` comment lines make re-import exact: "
    "`annotkit.export.read_conll` rebuilds the text as gap+token+…+tail.",
    "stanza": 'stanza NER JSON: a list of sentences, each a list of `{"text", "ner"}` tokens, '
    "BIOES tags (input for `python -m stanza.models.ner_tagger`).",
    "hf": "Hugging Face style JSONL, one sentence per line: `tokens`, `ner_tags` (ids into "
    "`labels.json`, BIO), `offsets` (code points into the document), `doc_id`, `lang`.",
    "csv": "span table: `doc_id, lang, start, end, label, text, norm` (norm as JSON), one row "
    "per span; `lang` = language of the sentence holding the span.",
}
_FORMAT_NOTES["conll-bioes"] = _FORMAT_NOTES["conll"].replace("BIO tags", "BIOES tags")
_FORMAT_NOTES["parquet"] = _FORMAT_NOTES["csv"].replace("(norm as JSON)", "(norm as JSON text)")


def _dataset_card(summary: Mapping[str, Any]) -> str:
    splits: Mapping[str, Mapping[str, Any]] = summary["splits"]
    labels = summary["labels"]
    lines = [
        f"# NER dataset ({summary['format']})",
        "",
        "Exported by `annotkit export`. Labels follow the project's annotation guidelines "
        "(CELL_TYPE, DOSE, SCALE).",
        "",
        f"- format: {_FORMAT_NOTES[summary['format']]}",
        f"- tokens: annotkit.segment.tokenize (Chinese per {summary['zh_tokens']}), split at "
        "span edges so every span is whole tokens",
        f"- tag scheme (token formats): {summary['scheme'].upper()}",
        f"- split: {_split_text(summary['split'])}",
        f"- sources: {', '.join(summary['sources']) or '(in-memory documents)'}",
        f"- files: {', '.join(summary['files'])}",
        "",
        "## Counts per split",
        "",
        "| split | documents | sentences | tokens | spans |",
        "|---|---|---|---|---|",
    ]
    for name, c in splits.items():
        lines.append(
            f"| {name} | {c['documents']} | {c['sentences']} | {c['tokens']} | {c['spans']} |"
        )
    lines += ["", "## Spans per label", "", "| split | " + " | ".join(labels) + " |"]
    lines.append("|---|" + "---|" * len(labels))
    for name, c in splits.items():
        lines.append(f"| {name} | " + " | ".join(str(c["labels"].get(x, 0)) for x in labels) + " |")
    langs = sorted({lang for c in splits.values() for lang in c["languages"]})
    lines += ["", "## Documents per language", "", "| split | " + " | ".join(langs) + " |"]
    lines.append("|---|" + "---|" * len(langs))
    for name, c in splits.items():
        lines.append(
            f"| {name} | " + " | ".join(str(c["languages"].get(x, 0)) for x in langs) + " |"
        )
    lines.append("")
    return "\n".join(lines)


def _split_text(shares: Sequence[float] | None) -> str:
    if not shares:
        return "none (one `all` split)"
    return (
        "/".join(f"{s:g}" for s in shares)
        + " by SHA-1 of each document's group id (a document and its translation, linked by "
        "`meta.translation_of` or a shared `meta.group`, share a split; mixed-language "
        "documents are one unit); deterministic"
    )


# --------------------------------------------------------------------------- readers
def read_jsonl(path: str | os.PathLike[str]) -> list[Document]:
    """Re-import a doccano JSONL export (the ``jsonl`` format)."""
    return list(read_documents([str(path)]))


def read_conll(path: str | os.PathLike[str], *, source: str = "conll") -> list[Document]:
    """Re-import a CoNLL export (BIO or BIOES) as documents with spans.

    With annotkit's comment lines the text and offsets are rebuilt exactly; plain CoNLL files
    (no comments) give one document per ``-DOCSTART-`` block, tokens joined by spaces and
    sentences by newlines.

    EXAMPLE:
        >>> docs = read_conll("/tmp/out/train.conll")
        >>> docs[0].text_of(docs[0].spans[0])
        '10 million'
    """
    p = Path(path)
    try:
        with open(p, encoding="utf-8", newline="") as fh:
            lines = fh.read().split("\n")
    except OSError as err:
        raise InputError(f"cannot read CoNLL file: {err.strerror}", source=str(p)) from None
    docs: list[Document] = []
    state: dict[str, Any] = {}

    def flush_sentence() -> None:
        toks = state.get("tokens") or []
        if not toks:
            return
        gaps = state.get("gaps")
        pieces: list[str] = state.setdefault("pieces", [])
        offsets: list[tuple[int, int]] = []
        pos = sum(len(x) for x in pieces)
        if gaps is None or len(gaps) != len(toks):
            gaps = [("\n" if pieces else "") if i == 0 else " " for i in range(len(toks))]
        for gap, (tok, _) in zip(gaps, toks, strict=True):
            pos += len(gap)
            pieces.append(gap + tok)
            offsets.append((pos, pos + len(tok)))
            pos += len(tok)
        tags = [t for _, t in toks]
        state.setdefault("spans", []).extend(decode_tags(offsets, tags, source=source))
        state["tokens"], state["gaps"] = [], None

    def flush_doc() -> None:
        flush_sentence()
        pieces = state.get("pieces")
        if pieces is not None:
            text = "".join(pieces) + state.get("tail", "")
            doc_id = state.get("doc_id") or f"{p.stem}:{len(docs)}"
            docs.append(
                Document(doc_id, text, spans=tuple(state.get("spans", [])),
                         meta=state.get("meta", {}))
            )  # fmt: skip
        state.clear()

    for n, line in enumerate(lines, 1):
        where = f"{p}:{n}"
        if line.startswith("-DOCSTART-"):
            flush_doc()
            state["pieces"] = []
            continue
        m = _TOKEN_LINE.match(line)
        if m is None and line.startswith("# ") and " = " in line:
            key, _, raw = line[2:].partition(" = ")
            value = _json(raw, where)
            if key == "gaps":
                flush_sentence()
                state["gaps"] = value
            elif key in ("doc_id", "tail", "meta"):
                state[key] = value
            continue
        if not line.strip():
            flush_sentence()
            continue
        if m is None:
            cols = line.split()
            if len(cols) < 2:
                raise InputError(f"expected 'token ... TAG', got {line!r}", source=where)
            tok, tag = cols[0], cols[-1]
        else:
            tok, tag = m.group(1), m.group(2)
        state.setdefault("tokens", []).append((tok, tag))
    flush_doc()
    return docs


def _json(raw: str, where: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        raise InputError(
            f"comment value {raw!r} is not JSON; annotkit CoNLL comments hold JSON values",
            source=where,
        ) from None
