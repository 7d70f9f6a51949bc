"""Token sequences and CRF features for the learned engine.

A document becomes *sequences* (paragraphs, joined where a span of any source, or a gold
span, crosses a blank line) of *fine tokens*: the project tokens (:func:`annotkit.segment.tokenize`,
Chinese one per character) cut again into letter runs, digit runs and single other characters
(``ALLO-ASC`` -> ``ALLO`` ``-`` ``ASC``; ``10x10^6`` -> ``10`` ``x`` ``10`` ``^`` ``6``), and cut
at every edge of a span the sources propose (and, in training, of every gold span). So a span
of any source is a run of tokens, and a corrected boundary inside a project token
(``Allo-[hMSCs]``) can be learned.

Each token's features (strings for python-crfsuite): the word, its shape, prefixes and
suffixes, white space around it, and, from the knowledge sources, the BIOES tag of the rules'
span covering it (``r=B-DOSE``) with the rule set that made it (``rs=dose``), of a packaged
lexicon hit (``lx=…``), of a project-term hit (``pt=…``) and whether a project exclusion
removes the rules' span there (``ex``); the same for neighbours at -2..+2, and character
bigrams for Chinese.

EXAMPLE:
    >>> from annotkit.doc import Span
    >>> seqs = sequences("Give 5 mL now.", [[Span(5, 9, "DOSE")]])
    >>> [("Give 5 mL now."[a:b]) for a, b in seqs[0].tokens]
    ['Give', '5', 'mL', 'now', '.']
"""

from __future__ import annotations

import bisect
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import regex

from annotkit.doc import Segment, Span
from annotkit.langid import script_lang
from annotkit.learn.clusters import WordClusters
from annotkit.segment import tokenize
from annotkit.tags import span_tags

__all__ = [
    "KEEP",
    "SourceTags",
    "TokenSeq",
    "delta_marginals",
    "from_delta",
    "neighbours",
    "rule_tags",
    "sequence_features",
    "sequences",
    "span_langs",
    "to_delta",
    "trim_span",
]

_SUB = regex.compile(r"\p{N}+|(?:\p{L}\p{M}*)+|\S\p{M}*", regex.V1)
_HAN = regex.compile(r"\p{Han}")
_WORDISH = regex.compile(r"[\p{L}\p{N}]", regex.V1)


@dataclass(frozen=True, slots=True)
class TokenSeq:
    """One sentence of a document as fine tokens (code-point offsets into the text)."""

    start: int
    end: int
    lang: str
    tokens: tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class SourceTags:
    """What the knowledge sources say about one document, as spans (each tuple sorted and
    non-overlapping): the rules, packaged-lexicon hits, project-term hits, and the rules'
    spans that a project exclusion removes."""

    rules: tuple[Span, ...]
    lexicon: tuple[Span, ...] = ()
    project: tuple[Span, ...] = ()
    excluded: tuple[Span, ...] = ()


_BLANK_LINE = regex.compile(r"\n[ \t\r\f\v]*\n")


def _blocks(text: str) -> list[tuple[int, int]]:
    """Paragraphs: the text between blank lines, without edge white space."""
    out = []
    pos = 0
    for m in [*_BLANK_LINE.finditer(text), None]:
        end = m.start() if m is not None else len(text)
        a, b = pos, end
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            out.append((a, b))
        if m is not None:
            pos = m.end()
    return out


def _merge_crossed(
    ranges: Sequence[tuple[int, int]], spans: Iterable[Span]
) -> list[tuple[int, int]]:
    crossing = sorted((s.start, s.end) for s in spans)
    out: list[tuple[int, int]] = []
    for a, b in ranges:
        if out and any(s < out[-1][1] and e > a for s, e in crossing):
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    # a span lying (partly) outside every sentence extends the nearest one
    for s, e in crossing:
        if not any(a <= s and e <= b for a, b in out):
            hit = [i for i, (a, b) in enumerate(out) if a < e and s < b]
            if hit:
                i, j = hit[0], hit[-1]
                out[i : j + 1] = [(min(out[i][0], s), max(out[j][1], e))]
            else:
                out.append((s, e))
                out.sort()
    return out


def sequences(text: str, span_sets: Iterable[Iterable[Span]]) -> list[TokenSeq]:
    """Fine-token sequences of ``text``, cut at every edge of every span in ``span_sets``.

    A sequence is a paragraph (text between blank lines), not a sentence: a sentence
    splitter cuts ``0. 25 mg`` after ``0.``, and a boundary learned inside one sequence must
    be one the model can see at prediction time. Paragraphs that a span crosses are joined.
    ``lang`` is the paragraph's script language (spans get theirs from :func:`span_langs`).
    """
    spans = [s for group in span_sets for s in group]
    cuts = sorted({c for s in spans for c in (s.start, s.end)})
    out: list[TokenSeq] = []
    for a, b in _merge_crossed(_blocks(text), spans):
        toks: list[tuple[int, int]] = []
        for ta, tb in tokenize(text, a, b, zh_tokens="char"):
            for m in _SUB.finditer(text, ta, tb):
                toks.append(m.span())
        if not toks:
            continue
        inner = [c for c in cuts if a < c < b]
        toks = _cut(toks, inner)
        lang = script_lang(text[a:b], mixed=False)
        out.append(TokenSeq(a, b, "en" if lang == "und" else lang, tuple(toks)))
    return out


def _cut(tokens: list[tuple[int, int]], cuts: Sequence[int]) -> list[tuple[int, int]]:
    if not cuts:
        return tokens
    out: list[tuple[int, int]] = []
    i = 0
    for a, b in tokens:
        while i < len(cuts) and cuts[i] <= a:
            i += 1
        j = i
        edges = [a]
        while j < len(cuts) and cuts[j] < b:
            edges.append(cuts[j])
            j += 1
        edges.append(b)
        out.extend(zip(edges, edges[1:], strict=False))
    return out


def _shape(word: str) -> str:
    out = []
    for ch in word:
        if ch.isupper():
            out.append("X")
        elif ch.islower():
            out.append("x")
        elif ch.isdigit():
            out.append("d")
        elif _HAN.match(ch):
            out.append("H")
        else:
            out.append(ch)
    short: list[str] = []
    for c in out:
        if not short or short[-1] != c:
            short.append(c)
    return "".join(short)


def _in(seq_spans: Sequence[Span], a: int, b: int) -> list[Span]:
    return [s for s in seq_spans if s.start < b and a < s.end]


def _rule_family(source: str | None) -> str:
    if not source:
        return "-"
    return source.split(":", 1)[-1].split(".", 1)[0]


def sequence_features(
    text: str, seq: TokenSeq, tags: SourceTags, clusters: WordClusters | None = None
) -> list[list[str]]:
    """python-crfsuite features (one list of strings per token) for one sequence; with
    ``clusters``, also the word clusters of the token and its neighbours."""
    toks = seq.tokens
    a, b = seq.start, seq.end
    rules = _in(tags.rules, a, b)
    r = span_tags(toks, rules)
    lx = span_tags(toks, _in(tags.lexicon, a, b))
    pt = span_tags(toks, _in(tags.project, a, b))
    ex = span_tags(toks, _in(tags.excluded, a, b))
    fam = ["-"] * len(toks)
    k = 0
    for span in rules:
        while k < len(toks) and toks[k][1] <= span.start:
            k += 1
        m = k
        while m < len(toks) and toks[m][0] < span.end:
            fam[m] = _rule_family(span.source)
            m += 1
    words = [text[s:e] for s, e in toks]
    low = [w.lower() for w in words]
    shapes = [_shape(w) for w in words]
    n = len(toks)
    feats: list[list[str]] = []
    for i, (s, e) in enumerate(toks):
        w, lw = words[i], low[i]
        f = [
            "b",
            f"w={lw}",
            f"sh={shapes[i]}",
            f"p2={lw[:2]}",
            f"s2={lw[-2:]}",
            f"s3={lw[-3:]}",
            f"r={r[i]}",
            f"rs={fam[i]}",
            f"lx={lx[i]}",
            f"pt={pt[i]}",
            f"r|w={r[i]}|{lw}",
        ]
        if len(w) > 3:
            f += [f"p3={lw[:3]}", f"s4={lw[-4:]}"]
        if ex[i] != "O":
            f.append("ex")
        if w.isupper() and len(w) > 1:
            f.append("up")
        elif w[:1].isupper():
            f.append("ti")
        f.append(f"spl={int(s > 0 and text[s - 1].isspace())}")
        f.append(f"spr={int(e < len(text) and text[e].isspace())}")
        f.append(f"cat={unicodedata.category(w[0])}")
        for d in (-2, -1, 1, 2):
            j = i + d
            if 0 <= j < n:
                f += [f"{d}w={low[j]}", f"{d}r={r[j]}"]
                if abs(d) == 1:
                    f += [f"{d}sh={shapes[j]}", f"{d}lx={lx[j]}", f"{d}pt={pt[j]}"]
            elif abs(d) == 1:
                f.append(f"{d}w=" + ("<s>" if d < 0 else "</s>"))
        if i > 0:
            f.append(f"bg-={low[i - 1]}|{lw}")
        if i + 1 < n:
            f.append(f"bg+={lw}|{low[i + 1]}")
        if clusters is not None:
            for d in (-1, 0, 1):
                if 0 <= i + d < n:
                    f += [f"{d}c={c}" for c in clusters.of(low[i + d])]
        feats.append(f)
    return feats


def trim_span(text: str, span: Span) -> Span | None:
    """``span`` without edge white space or punctuation (None when nothing is left)."""
    s, e = span.start, span.end
    while s < e and (text[s].isspace() or unicodedata.category(text[s]).startswith("P")):
        s += 1
    while e > s and (text[e - 1].isspace() or unicodedata.category(text[e - 1]).startswith("P")):
        e -= 1
    if e <= s:
        return None
    if (s, e) == (span.start, span.end):
        return span
    return Span(s, e, span.label, span.source, span.score, span.norm, span.status, span.by)


def neighbours(text: str, start: int, end: int) -> tuple[str, str]:
    """The nearest token left and right of ``[start, end)`` (lower case; a Han character, a
    letter/digit run, or one other character; ``""`` at the text's edge)."""
    i = start
    while i > 0 and text[i - 1].isspace():
        i -= 1
    left = ""
    if i > 0:
        ch = text[i - 1]
        if _HAN.match(ch) or not _WORDISH.match(ch):
            left = ch
        else:
            j = i - 1
            while j > 0 and _WORDISH.match(text[j - 1]) and not _HAN.match(text[j - 1]):
                j -= 1
            left = text[j:i]
    k = end
    while k < len(text) and text[k].isspace():
        k += 1
    right = ""
    if k < len(text):
        ch = text[k]
        if _HAN.match(ch) or not _WORDISH.match(ch):
            right = ch
        else:
            m = k + 1
            while m < len(text) and _WORDISH.match(text[m]) and not _HAN.match(text[m]):
                m += 1
            right = text[k:m]
    return left.lower(), right.lower()


def span_langs(text: str, spans: Sequence[Span], *, sentences: Sequence[Segment] = ()) -> list[str]:
    """The language (``en``/``zh``, by script) of the paragraph holding each span.

    Paragraphs, not sentences: a line ``2. 5 mg / d`` inside a Chinese passage belongs to
    the Chinese text around it. ``sentences`` is accepted for symmetry and not used.
    """
    del sentences
    ranges = _blocks(text) or [(0, len(text))]
    langs = []
    for a, b in ranges:
        lang = script_lang(text[a:b], mixed=False)
        langs.append("en" if lang == "und" else lang)
    starts = [a for a, _ in ranges]
    return [langs[max(0, bisect.bisect_right(starts, s.start) - 1)] for s in spans]


#: The CRF label meaning "the rules' tag here is right" (the ``delta`` target).
KEEP = "KEEP"


def rule_tags(seq: TokenSeq, rules: Sequence[Span]) -> list[str]:
    """BIOES tags of the rules' spans over a sequence's tokens."""
    return span_tags(seq.tokens, _in(rules, seq.start, seq.end))


def to_delta(gold: Sequence[str], rules: Sequence[str]) -> list[str]:
    """Gold tags relative to the rules': :data:`KEEP` where they agree."""
    return [KEEP if g == r else g for g, r in zip(gold, rules, strict=True)]


def from_delta(tags: Sequence[str], rules: Sequence[str]) -> list[str]:
    """Undo :func:`to_delta`: :data:`KEEP` becomes the rules' tag."""
    return [r if t == KEEP else t for t, r in zip(tags, rules, strict=True)]


def delta_marginals(
    margs: Sequence[dict[str, float]], rules: Sequence[str]
) -> list[dict[str, float]]:
    """Per-token marginals over real tags: the mass of :data:`KEEP` goes to the rules' tag."""
    out = []
    for m, r in zip(margs, rules, strict=True):
        d = {k: v for k, v in m.items() if k != KEEP}
        d[r] = d.get(r, 0.0) + m.get(KEEP, 0.0)
        out.append(d)
    return out
