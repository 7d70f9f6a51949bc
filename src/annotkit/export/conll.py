"""CoNLL files: plain CoNLL-2003 (what ``spacy convert`` reads) and annotkit's annotated
variant (comment lines for an exact round trip), and :func:`read_conll` for both.

Plain (``conll`` = BIO, ``conll-bioes`` = BIOES): one token per line in the CoNLL-2003
columns ``token -X- _ TAG``, a blank line after each sentence, ``-DOCSTART- -X- O O`` and a
blank line before each document; nothing else. ``python -m spacy convert FILE OUT -c ner``
reads it as is (one Doc per document, every entity kept)::

    -DOCSTART- -X- O O

    Patients -X- _ O
    received -X- _ O
    10 -X- _ B-DOSE
    million -X- _ I-DOSE
    ...

Annotated (``conll-annotated``, BIO): the same lines plus ``# doc_id``, ``# meta``, ``# gaps``
(JSON list: the exact text before each token of the sentence) and ``# tail`` (the text after
the last token) comment lines. :func:`read_conll` rebuilds the text as ``gap + token + gap +
token … + tail``, so the text, its offsets and the spans come back exactly. Plain files (ours or
other tools') are read too: tokens joined by spaces, sentences by newlines.

EXAMPLE:
    >>> from annotkit.doc import Document, Span
    >>> from annotkit.tags import tag_document
    >>> doc = Document("d", "Give 5 mL.", spans=(Span(5, 9, "DOSE"),))
    >>> print("\\n".join(conll_lines(doc, tag_document(doc, scheme="bio")[0])))
    -DOCSTART- -X- O O
    <BLANKLINE>
    Give -X- _ O
    5 -X- _ B-DOSE
    mL -X- _ I-DOSE
    . -X- _ O
    <BLANKLINE>
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from annotkit.doc import Document
from annotkit.errors import InputError
from annotkit.tags import TaggedSentence, decode_tags

__all__ = ["DOCSTART", "annotated_conll_lines", "conll_lines", "read_conll"]

#: The document separator spaCy's CoNLL converter splits on (CoNLL-2003 column layout).
DOCSTART = "-DOCSTART- -X- O O"
_TOKEN_LINE = re.compile(r"^(\S+) -X- _ (\S+)$")


def _token_line(doc: Document, a: int, b: int, tag: str) -> str:
    token = doc.text[a:b]
    if token.split() != [token]:
        raise InputError(
            f"token {token!r} at [{a}, {b}) holds a character that CoNLL readers take for "
            "whitespace (a control character); remove it from the text, or export as "
            "conll-annotated or jsonl",
            source=f"document {doc.id!r}",
        )
    return f"{token} -X- _ {tag}"


def conll_lines(doc: Document, sents: Sequence[TaggedSentence]) -> list[str]:
    """Plain CoNLL-2003 lines of one document (module docstring), ending with a blank line."""
    lines = [DOCSTART, ""]
    for sent in sents:
        lines.extend(
            _token_line(doc, a, b, tag) for (a, b), tag in zip(sent.tokens, sent.tags, strict=True)
        )
        lines.append("")
    return lines


def annotated_conll_lines(doc: Document, sents: Sequence[TaggedSentence]) -> list[str]:
    """CoNLL lines with annotkit's comment lines for an exact round trip (module docstring)."""
    meta = {k: v for k, v in doc.meta.items() if _jsonable(v)}
    lines = [DOCSTART, f"# doc_id = {json.dumps(doc.id, ensure_ascii=False)}"]
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
            lines.append(_token_line(doc, a, b, tag))
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


def read_conll(path: str | os.PathLike[str], *, source: str = "conll") -> list[Document]:
    """Re-import a CoNLL file (BIO or BIOES, plain or annotated) as documents with spans.

    With annotkit's comment lines the text and offsets are rebuilt exactly; plain CoNLL files
    give one document per ``-DOCSTART-`` block (ids ``<file stem>:<n>``), tokens joined by
    spaces and sentences by newlines.

    EXAMPLE:
        >>> docs = read_conll("/tmp/out/train.conll")  # doctest: +SKIP
        >>> docs[0].text_of(docs[0].spans[0])  # doctest: +SKIP
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
        if pieces:
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
