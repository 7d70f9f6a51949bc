"""Spans <-> token tags (BIOES/BIO): the one place tag schemes live.

Training (:mod:`annotkit.train`), the stanza model adapter (:mod:`annotkit.annotate.ner`)
and the corpus exporters (:mod:`annotkit.export`) all use these functions, so a span becomes
the same tokens and tags everywhere.

1. **Sentences** come from ``doc.sentences`` when :mod:`annotkit.langid` filled them, else
   from the project's rule splitter (:func:`annotkit.segment.sentence_bounds`). A sentence
   boundary that falls inside a span is removed (the two sentences are merged), so no
   entity is ever cut in two.
2. **Tokens** come from the project's one tokenizer (:func:`annotkit.segment.tokenize`;
   Chinese per character or per jieba word). *Span-edge policy*: a token that a span starts
   or ends inside is split at the span edge (``"BM-MSCs"`` with a CELL_TYPE on ``"MSCs"``
   becomes ``"BM-"`` + ``"MSCs"``), so every span is exactly a run of tokens; the number of
   split tokens is counted in :class:`TagStats`. Spans outside every sentence (only possible
   with hand-made ``doc.sentences``) are dropped and counted.
3. **Tags**: BIOES (stanza's scheme) or BIO, one per token; :func:`decode_tags` reverses it.

EXAMPLE:
    >>> from annotkit.doc import Document, Span
    >>> doc = Document("d", "Give 5 mL now.", spans=(Span(5, 9, "DOSE"),))
    >>> tag_document(doc)[0][0].tags
    ('O', 'B-DOSE', 'E-DOSE', 'O', 'O')
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from annotkit.doc import Document, Span
from annotkit.errors import InputError
from annotkit.langid import script_lang
from annotkit.segment import sentence_bounds, tokenize

__all__ = [
    "SCHEMES",
    "TagStats",
    "TaggedSentence",
    "ZhTokens",
    "decode_tags",
    "document_sentences",
    "iter_sentences_json",
    "span_tags",
    "tag_document",
    "tag_documents",
    "to_stanza_json",
]

logger = logging.getLogger(__name__)

SCHEMES: tuple[str, ...] = ("bioes", "bio")
ZhTokens = Literal["char", "word"]


@dataclass(frozen=True, slots=True)
class TaggedSentence:
    """One sentence of a document as tokens with tags.

    ``tokens`` are code-point ``(start, end)`` offsets into the document text; ``tags`` has
    one tag per token (BIOES or BIO); ``lang`` is ``en``, ``zh`` or ``mixed`` by script.
    """

    doc_id: str
    start: int
    end: int
    lang: str
    tokens: tuple[tuple[int, int], ...]
    tags: tuple[str, ...]

    def words(self, text: str) -> list[str]:
        """The token strings, given the document text."""
        return [text[a:b] for a, b in self.tokens]


@dataclass(frozen=True, slots=True)
class TagStats:
    """What tagging did: sizes, tokens split at span edges, spans dropped."""

    documents: int = 0
    sentences: int = 0
    tokens: int = 0
    spans: int = 0
    split_tokens: int = 0
    dropped_spans: int = 0
    merged_sentences: int = 0

    def __add__(self, other: TagStats) -> TagStats:
        return TagStats(*(getattr(self, f) + getattr(other, f) for f in self.__dataclass_fields__))

    def to_dict(self) -> dict[str, int]:
        return {f: getattr(self, f) for f in self.__dataclass_fields__}


def _sentence_ranges(doc: Document) -> list[tuple[int, int]]:
    if doc.sentences:
        return [(s.start, s.end) for s in doc.sentences if s.end > s.start]
    return sentence_bounds(doc.text)


def document_sentences(doc: Document) -> tuple[list[tuple[int, int]], int]:
    """Sentence ranges of ``doc`` with boundaries inside spans removed.

    RETURNS (ranges, merged): ``merged`` counts the boundaries removed because a span
    crossed them.

    EXAMPLE:
        >>> document_sentences(Document("d", "One. Two."))
        ([(0, 4), (5, 9)], 0)
    """
    ranges = _sentence_ranges(doc)
    merged = 0
    out: list[tuple[int, int]] = []
    for a, b in ranges:
        if out and any(s.start < out[-1][1] and s.end > a for s in doc.spans):
            out[-1] = (out[-1][0], b)
            merged += 1
        else:
            out.append((a, b))
    return out, merged


def _split_at_edges(
    tokens: Sequence[tuple[int, int]], cuts: Sequence[int]
) -> tuple[list[tuple[int, int]], int]:
    out: list[tuple[int, int]] = []
    split = 0
    for a, b in tokens:
        inner = [c for c in cuts if a < c < b]
        if not inner:
            out.append((a, b))
            continue
        split += 1
        edges = [a, *inner, b]
        out.extend(zip(edges, edges[1:], strict=False))
    return out, split


def span_tags(
    tokens: Sequence[tuple[int, int]], spans: Sequence[Span], *, scheme: str = "bioes"
) -> list[str]:
    """One BIOES/BIO tag per token for sorted, non-overlapping ``spans`` (a span covers the
    tokens it overlaps; spans should fall on token edges, see :func:`tag_document`).

    EXAMPLE:
        >>> span_tags([(0, 4), (5, 6), (7, 9)], [Span(5, 9, "DOSE")])
        ['O', 'B-DOSE', 'E-DOSE']
    """
    if scheme not in SCHEMES:
        raise InputError(f"unknown tag scheme {scheme!r}; choose one of {', '.join(SCHEMES)}")
    return _tags_for(tokens, spans, scheme)


def _tags_for(tokens: Sequence[tuple[int, int]], spans: Sequence[Span], scheme: str) -> list[str]:
    tags = ["O"] * len(tokens)
    i = 0
    for span in spans:
        while i < len(tokens) and tokens[i][1] <= span.start:
            i += 1
        j = i
        while j < len(tokens) and tokens[j][0] < span.end:
            j += 1
        n = j - i
        if n == 0:
            continue
        lab = span.label
        if scheme == "bio":
            tags[i : i + n] = [f"B-{lab}"] + [f"I-{lab}"] * (n - 1)
        elif n == 1:
            tags[i] = f"S-{lab}"
        else:
            tags[i : i + n] = [f"B-{lab}"] + [f"I-{lab}"] * (n - 2) + [f"E-{lab}"]
        i = j
    return tags


def tag_document(
    doc: Document,
    *,
    scheme: str = "bioes",
    zh_tokens: ZhTokens = "char",
    respect_spans: bool = True,
) -> tuple[list[TaggedSentence], TagStats]:
    """Tokens and BIOES/BIO tags for every sentence of ``doc``.

    doc (Document): text and gold spans.
    scheme (str): ``"bioes"`` (stanza) or ``"bio"`` (CoNLL-2003).
    zh_tokens (str): Chinese tokens per ``"char"`` or per jieba ``"word"``.
    respect_spans (bool): split tokens at span edges (the policy in the module docstring).
    RETURNS (tuple): ``([TaggedSentence, ...], TagStats)``.

    EXAMPLE:
        >>> doc = Document("d", "Give 5 mL now.", spans=(Span(5, 9, "DOSE"),))
        >>> tag_document(doc)[0][0].tags
        ('O', 'B-DOSE', 'E-DOSE', 'O', 'O')
    """
    if scheme not in SCHEMES:
        raise InputError(f"unknown tag scheme {scheme!r}; choose one of {', '.join(SCHEMES)}")
    ranges, merged = document_sentences(doc)
    cuts = sorted({c for s in doc.spans for c in (s.start, s.end)}) if respect_spans else []
    out: list[TaggedSentence] = []
    n_split = n_tokens = covered = 0
    for a, b in ranges:
        toks = tokenize(doc.text, a, b, zh_tokens=zh_tokens)
        if not toks:
            continue
        toks, split = _split_at_edges(toks, [c for c in cuts if a < c < b])
        n_split += split
        spans = [s for s in doc.spans if s.start >= a and s.end <= b]
        covered += len(spans)
        tags = _tags_for(toks, spans, scheme)
        n_tokens += len(toks)
        sent_text = doc.text[a:b]
        out.append(TaggedSentence(doc.id, a, b, script_lang(sent_text), tuple(toks), tuple(tags)))
    dropped = len(doc.spans) - covered
    if dropped:
        logger.warning(
            "document %r: %d span(s) lie outside every sentence and were dropped", doc.id, dropped
        )
    stats = TagStats(1, len(out), n_tokens, covered, n_split, dropped, merged)
    return out, stats


def tag_documents(
    docs: Iterable[Document], *, scheme: str = "bioes", zh_tokens: ZhTokens = "char"
) -> tuple[list[TaggedSentence], TagStats]:
    """:func:`tag_document` over many documents; stats summed; split tokens logged."""
    sents: list[TaggedSentence] = []
    total = TagStats()
    for doc in docs:
        s, st = tag_document(doc, scheme=scheme, zh_tokens=zh_tokens)
        sents.extend(s)
        total = total + st
    if total.split_tokens:
        logger.info(
            "%d token(s) split at span edges so that spans fall on token boundaries",
            total.split_tokens,
        )
    return sents, total


def decode_tags(
    tokens: Sequence[tuple[int, int]], tags: Sequence[str], *, source: str = "model"
) -> list[Span]:
    """Spans from BIOES or BIO tags (lenient: a stray ``I-``/``E-`` starts an entity).

    EXAMPLE:
        >>> decode_tags([(0, 2), (3, 5), (6, 9)], ["B-DOSE", "E-DOSE", "O"])
        [Span(start=0, end=5, label='DOSE', source='model', score=None, norm=None)]
    """
    spans: list[Span] = []
    cur: tuple[int, int, str] | None = None

    def close() -> None:
        nonlocal cur
        if cur is not None:
            spans.append(Span(cur[0], cur[1], cur[2], source=source))
        cur = None

    for (a, b), tag in zip(tokens, tags, strict=True):
        if tag == "O" or len(tag) < 3 or tag[1] != "-":
            close()
            continue
        prefix, label = tag[0], tag[2:]
        if prefix in "BS" or cur is None or cur[2] != label:
            close()
            cur = (a, b, label)
        else:
            cur = (cur[0], b, label)
        if prefix in "SE":
            close()
    close()
    return spans


def to_stanza_json(text: str, sentences: Iterable[TaggedSentence]) -> list[list[dict[str, str]]]:
    """Stanza NER JSON: a list of sentences, each a list of ``{"text", "ner"}`` tokens.

    EXAMPLE:
        >>> s = TaggedSentence("d", 0, 4, "en", ((0, 1), (2, 4)), ("O", "S-DOSE"))
        >>> to_stanza_json("a 5m", [s])
        [[{'text': 'a', 'ner': 'O'}, {'text': '5m', 'ner': 'S-DOSE'}]]
    """
    return [
        [{"text": text[a:b], "ner": tag} for (a, b), tag in zip(s.tokens, s.tags, strict=True)]
        for s in sentences
    ]


def iter_sentences_json(
    docs: Iterable[Document], *, zh_tokens: ZhTokens = "char"
) -> Iterator[list[dict[str, str]]]:
    """Stanza NER JSON sentences of documents, one list of tokens per sentence."""
    for doc in docs:
        sents, _ = tag_document(doc, zh_tokens=zh_tokens)
        yield from to_stanza_json(doc.text, sents)
