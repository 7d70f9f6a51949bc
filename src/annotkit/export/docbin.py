"""spaCy ``.spacy`` (DocBin) export for ``spacy train``: spaCy's own tokens, entities by
``Doc.char_span``, misalignments reported.

Tokens are what a blank spaCy pipeline would make (no model downloads): each sentence
(:func:`annotkit.tags.document_sentences`, so no entity crosses one) is tokenized by
``spacy.blank("en")`` when Latin script dominates it and by ``spacy.blank("zh")`` (spaCy's
character segmenter) when Han does; the Doc's text is the document text exactly, and each
sentence starts a spaCy sentence.

Entities are placed with ``doc.char_span(start, end, label, alignment_mode=...)``. With the
default ``"strict"``, a span whose edge falls inside a spaCy token cannot be an entity: its
tokens are set to *missing* (spaCy's ``-``: neither entity nor ``O``, so training does not learn
them as outside), and the span is reported (:class:`Misaligned`, a logged warning, the export
summary and the dataset card). ``"contract"``/``"expand"`` snap the span to the tokens inside
it or touching it instead, and report each snapped span.

EXAMPLE:
    >>> from annotkit.doc import Document, Span
    >>> data, bad = docbin_bytes([Document("d", "Give 5 mL now.", spans=(Span(5, 9, "DOSE"),))])
    >>> bad
    []
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from annotkit.doc import Document
from annotkit.errors import ConfigError, InputError
from annotkit.langid import script_lang
from annotkit.tags import document_sentences

__all__ = ["ALIGNMENT_MODES", "Misaligned", "docbin_bytes", "spacy_doc"]

logger = logging.getLogger(__name__)

#: ``Doc.char_span`` alignment modes.
ALIGNMENT_MODES: tuple[str, ...] = ("strict", "contract", "expand")
_LOGGED = 10  # misaligned spans logged one by one per export; the rest are counted


@dataclass(frozen=True, slots=True)
class Misaligned:
    """A span whose edges are not spaCy token edges.

    ``snapped`` is the entity written instead (``alignment_mode`` contract/expand), or None:
    the span's tokens were marked missing.
    """

    doc_id: str
    start: int
    end: int
    label: str
    text: str
    tokens: tuple[str, ...]
    snapped: tuple[int, int] | None = None

    def describe(self) -> str:
        where = f"document {self.doc_id!r}: {self.label} [{self.start}, {self.end}) {self.text!r}"
        if self.snapped is None:
            return (
                f"{where} is not on spaCy token edges {list(self.tokens)}; its tokens are missing"
            )
        a, b = self.snapped
        return f"{where} is not on spaCy token edges; written as [{a}, {b})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "start": self.start,
            "end": self.end,
            "label": self.label,
            "text": self.text,
            "tokens": list(self.tokens),
            "snapped": list(self.snapped) if self.snapped is not None else None,
        }


@lru_cache(maxsize=2)
def _blank(lang: str) -> Any:
    try:
        import spacy
    except ImportError:
        raise ConfigError(
            "the spacy export needs spaCy; install it with `pip install 'annotkit[spacy]'`"
        ) from None
    return spacy.blank(lang)


def _words(doc: Document) -> tuple[list[str], list[int]]:
    """spaCy token strings (no whitespace tokens) and the sentence start offsets."""
    text = doc.text
    ranges, _ = document_sentences(doc)
    starts = [a for a, _ in ranges]
    # every character belongs to one chunk: [0, s1), [s1, s2), ... (sentences plus the gaps)
    cuts = sorted({0, *starts[1:], len(text)})
    words: list[str] = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        chunk = text[a:b]
        lang = "zh" if script_lang(chunk, mixed=False) == "zh" else "en"
        words.extend(t.text for t in _blank(lang).make_doc(chunk) if not t.is_space)
    return words, starts


def spacy_doc(doc: Document, *, alignment: str = "strict") -> tuple[Any, list[Misaligned]]:
    """The spaCy ``Doc`` of ``doc`` with its entities, and the spans that did not align."""
    from spacy.tokens import Doc
    from spacy.util import get_words_and_spaces

    if alignment not in ALIGNMENT_MODES:
        raise InputError(
            f"unknown spaCy alignment mode {alignment!r}; choose one of "
            f"{', '.join(ALIGNMENT_MODES)}"
        )
    words, starts = _words(doc)
    words, spaces = get_words_and_spaces(words, doc.text)
    sdoc = Doc(_blank("en").vocab, words=words, spaces=spaces)
    sdoc.user_data["annotkit_id"] = doc.id
    _set_sentences(sdoc, starts)
    ents: list[Any] = []
    occupied: set[int] = set()
    later = []
    for s in doc.spans:
        ent = sdoc.char_span(s.start, s.end, label=s.label, alignment_mode="strict")
        if ent is None:
            later.append(s)
            continue
        ents.append(ent)
        occupied.update(range(ent.start, ent.end))
    missing: set[int] = set()
    bad: list[Misaligned] = []
    for s in later:
        covered = sdoc.char_span(s.start, s.end, alignment_mode="expand")
        toks = set(range(covered.start, covered.end)) if covered is not None else set()
        snapped = None
        if alignment != "strict":
            ent = sdoc.char_span(s.start, s.end, label=s.label, alignment_mode=alignment)
            if (
                ent is not None
                and ent.text.strip()
                and occupied.isdisjoint(range(ent.start, ent.end))
            ):
                ents.append(ent)
                occupied.update(range(ent.start, ent.end))
                snapped = (ent.start_char, ent.end_char)
        if snapped is None:
            missing |= toks
        tokens = tuple(sdoc[i].text for i in sorted(toks))
        bad.append(Misaligned(doc.id, s.start, s.end, s.label, doc.text_of(s), tokens, snapped))
    sdoc.set_ents(
        sorted(ents, key=lambda e: e.start),
        missing=[sdoc[a:b] for a, b in _runs(missing - occupied)],
        default="outside",
    )
    return sdoc, bad


def _runs(indices: set[int]) -> list[tuple[int, int]]:
    """Contiguous ``[a, b)`` runs of token indices."""
    out: list[tuple[int, int]] = []
    for i in sorted(indices):
        if out and out[-1][1] == i:
            out[-1] = (out[-1][0], i + 1)
        else:
            out.append((i, i + 1))
    return out


def _set_sentences(sdoc: Any, starts: Sequence[int]) -> None:
    """Each annotkit sentence starts a spaCy sentence at its first non-space token."""
    pending = sorted(starts)
    k = 0
    for tok in sdoc:
        new = tok.i == 0
        if not tok.is_space:
            while k < len(pending) and pending[k] <= tok.idx:
                new, k = True, k + 1
        tok.is_sent_start = new


def docbin_bytes(
    docs: Iterable[Document], *, alignment: str = "strict"
) -> tuple[bytes, list[Misaligned]]:
    """A serialised spaCy ``DocBin`` of ``docs`` and the spans that did not align (logged as
    warnings). The same documents give the same bytes."""
    from spacy.tokens import DocBin

    bin_ = DocBin(store_user_data=True)
    bad: list[Misaligned] = []
    for doc in docs:
        sdoc, misaligned = spacy_doc(doc, alignment=alignment)
        bin_.add(sdoc)
        bad.extend(misaligned)
    _log(bad)
    data: bytes = bin_.to_bytes()
    return data, bad


def _log(bad: Sequence[Misaligned]) -> None:
    for m in bad[:_LOGGED]:
        logger.warning("spacy export: %s", m.describe())
    if len(bad) > _LOGGED:
        logger.warning("spacy export: %d more misaligned span(s)", len(bad) - _LOGGED)
    if bad:
        logger.warning(
            "spacy export: %d span(s) not on spaCy token edges (check one with "
            "`spacy.blank('en').make_doc(text)`); see the dataset card",
            len(bad),
        )
