"""Parallel passages inside one document: pair blocks across languages, then align sentences.

1. *Blocks*: consecutive language segments (from :func:`annotkit.langid.detect`) of the same
   language form a block; segments without letters (``und``) join no block.
2. *Pairing*: every two nearby blocks in different languages are aligned sentence by sentence
   (:func:`annotkit.align.dp.align_sentences`); the pair's score is the sentence-weighted mean
   bead score. Pairs above :data:`MIN_PAIR_SCORE` are kept greedily, best first, each block in
   at most one pair (a block may have no partner).
3. *Sections*: abstract headings (``BACKGROUND``/``背景``, ``METHODS``/``方法`` ...: a general
   heading lexicon, :data:`HEADINGS`) found on both sides, in the same order, cut both blocks
   into sections that are aligned separately, so one bad sentence cannot drift across sections.
4. Unaligned sentences at the edges of a passage (affiliations, reference lists) are trimmed.

EXAMPLE:
    >>> from annotkit.io import read_documents
    >>> from annotkit.align import align_document, pairs_to_record
    >>> doc = next(iter(read_documents(["seeds/004_2ac9ad6098cbbf61.txt"])))
    >>> pairs = align_document(doc)
    >>> pairs[0].src_lang, pairs[0].tgt_lang, len(pairs[0].sentences) > 10
    ('en', 'zh', True)
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from annotkit.align.dp import AlignOptions, PairScorer, align_sentences, pair_tokens
from annotkit.align.lexicon import Token
from annotkit.doc import Bead, Document, PassagePair, SentencePair
from annotkit.record import pairs_to_json
from annotkit.stages import require

__all__ = [
    "HEADINGS",
    "MIN_PAIR_SCORE",
    "PASSAGE_OPTIONS",
    "align_document",
    "heading_of",
    "pairs_to_record",
]

#: Minimum passage score (sentence-weighted mean bead score) for two blocks to be a pair.
MIN_PAIR_SCORE = 0.08
#: Aligner options for passages when none are given: sentences before the first / after the
#: last link of a passage (headers, reference lists, affiliations) are cheap to leave out;
#: abstracts translate long sentences by two to four shorter ones, so a many-to-one bead is
#: not dearer than two smaller merges (``merge_power_one``), each sentence of a merge must
#: match its own stretch of the long sentence (``position``; in a many-to-many bead, sentences
#: whose stretches lie apart must not be what links them: ``position_mn``), and a bead may not
#: close at a ``；`` on one side only (``weak_end``). Chosen on the WMT biomedical documents
#: (docs/benchmarks.md); MAC-Dev keeps the plain defaults.
PASSAGE_OPTIONS = AlignOptions(
    edge_skip=0.6, merge_power_one=1.0, position=1.0, position_mn=8.0, weak_end=0.8
)
#: How many blocks apart two blocks may be and still be paired.
MAX_BLOCK_DISTANCE = 3

#: Canonical section -> heading words (English upper/title case, Chinese simplified and
#: traditional). A heading is one of these at the start of a sentence followed by a colon.
HEADINGS: dict[str, tuple[str, ...]] = {
    "background": (
        "background",
        "introduction",
        "context",
        "rationale",
        "背景",
        "引言",
        "前言",
        "研究背景",
        "介绍",
    ),
    "objective": (
        "objective",
        "objectives",
        "aim",
        "aims",
        "purpose",
        "goal",
        "goals",
        "目的",
        "目标",
        "目標",
        "研究目的",
    ),
    "design": ("design", "study design", "setting", "设计", "設計", "研究设计"),
    "methods": (
        "methods",
        "method",
        "materials and methods",
        "patients and methods",
        "methodology",
        "方法",
        "材料与方法",
        "资料与方法",
        "材料和方法",
        "研究方法",
        "材料與方法",
        "資料與方法",
    ),
    "participants": ("participants", "patients", "subjects", "对象", "研究对象", "受试者"),
    "interventions": ("interventions", "intervention", "干预", "干预措施"),
    "measures": (
        "main outcome measures",
        "outcome measures",
        "measurements",
        "主要结局指标",
        "结局指标",
        "测量",
    ),
    "results": ("results", "findings", "结果", "結果", "研究结果"),
    "discussion": ("discussion", "讨论", "討論"),
    "conclusions": (
        "conclusions",
        "conclusion",
        "interpretation",
        "conclusions and relevance",
        "结论",
        "結論",
        "结论与意义",
        "解释",
    ),
    "significance": ("significance", "relevance", "implications", "意义", "意義"),
    "registration": ("trial registration", "registration", "试验注册", "注册"),
    "keywords": ("keywords", "key words", "关键词", "關鍵詞"),
}
_HEADING_RE = re.compile(
    r"^\s*(?P<h>"
    + "|".join(
        sorted({re.escape(w) for ws in HEADINGS.values() for w in ws}, key=len, reverse=True)
    )
    + r")\s*[:：]",
    re.IGNORECASE,
)
_HEADING_ID = {w.lower(): key for key, ws in HEADINGS.items() for w in ws}


def heading_of(sentence: str) -> str | None:
    """Canonical section id of a sentence that starts with an abstract heading, else ``None``.

    EXAMPLE:
        >>> heading_of("METHODS: Thirty-three patients"), heading_of("结果：3 名患者")
        ('methods', 'results')
    """
    m = _HEADING_RE.match(sentence)
    if m is None:
        return None
    word = m.group("h")
    if word.isascii() and not word[:1].isupper():
        return None
    return _HEADING_ID[word.lower()]


@dataclass(frozen=True, slots=True)
class _Block:
    start: int
    end: int
    lang: str
    sentences: tuple[tuple[int, int], ...]


def _blocks(doc: Document) -> list[_Block]:
    runs: list[list[Any]] = []  # [start, end, lang]
    for seg in doc.segments:
        if not seg.lang or seg.lang == "und" or seg.end <= seg.start:
            continue
        if runs and runs[-1][2] == seg.lang:
            runs[-1][1] = seg.end
        else:
            runs.append([seg.start, seg.end, seg.lang])
    sentences = sorted((s.start, s.end) for s in doc.sentences if s.end > s.start)
    starts = [s for s, _ in sentences]
    out = []
    for start, end, lang in runs:  # sentences starting in the run (bisect: linear overall)
        lo, hi = bisect_left(starts, start), bisect_left(starts, end)
        inside = tuple((s, e) for s, e in sentences[lo:hi] if e <= end)
        if inside:
            out.append(_Block(start, end, lang, inside))
    return out


def _sections(doc: Document, sents: Sequence[tuple[int, int]]) -> list[tuple[int, str]]:
    return [
        (k, h) for k, (s, e) in enumerate(sents) if (h := heading_of(doc.text[s:e])) is not None
    ]


def _matched_cuts(a: list[tuple[int, str]], b: list[tuple[int, str]]) -> list[tuple[int, int]]:
    """Longest common subsequence of the two heading sequences -> (index in a, index in b)."""
    n, m = len(a), len(b)
    table = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            table[i][j] = (
                table[i + 1][j + 1] + 1
                if a[i][1] == b[j][1]
                else max(table[i + 1][j], table[i][j + 1])
            )
    cuts, i, j = [], 0, 0
    while i < n and j < m:
        if a[i][1] == b[j][1]:
            cuts.append((a[i][0], b[j][0]))
            i, j = i + 1, j + 1
        elif table[i + 1][j] >= table[i][j + 1]:
            i += 1
        else:
            j += 1
    return cuts


def _align_blocks(
    doc: Document,
    src: _Block,
    tgt: _Block,
    options: AlignOptions | None,
    scorer: PairScorer | None,
    cache: dict[tuple[int, int, str, str], list[Token]],
) -> list[Bead]:
    """Beads between two blocks, aligned section by section where their headings match.
    ``cache`` holds the document's sentence tokens (a block meets up to
    ``2 * MAX_BLOCK_DISTANCE`` others)."""

    def tokens(block: _Block, other: str, part: Sequence[tuple[int, int]]) -> list[list[Token]]:
        out = []
        for s, e in part:
            key = (s, e, block.lang, other)
            if key not in cache:
                cache[key] = pair_tokens(doc.text[s:e], block.lang, other)
            out.append(cache[key])
        return out

    cuts = _matched_cuts(_sections(doc, src.sentences), _sections(doc, tgt.sentences))
    bounds = [(0, 0), *cuts, (len(src.sentences), len(tgt.sentences))]
    beads: list[Bead] = []
    opts = options or PASSAGE_OPTIONS
    for k, ((s0, t0), (s1, t1)) in enumerate(zip(bounds, bounds[1:], strict=False)):
        src_part, tgt_part = src.sentences[s0:s1], tgt.sentences[t0:t1]
        part = align_sentences(
            [doc.text[s:e] for s, e in src_part],
            [doc.text[s:e] for s, e in tgt_part],
            src_lang=src.lang,
            tgt_lang=tgt.lang,
            options=opts,
            scorer=scorer,
            edges=(k == 0, k == len(bounds) - 2),
            tokens=(tokens(src, tgt.lang, src_part), tokens(tgt, src.lang, tgt_part)),
        )
        beads.extend(
            Bead(tuple(i + s0 for i in b.src), tuple(j + t0 for j in b.tgt), b.score) for b in part
        )
    return beads


def _score(beads: Sequence[Bead]) -> float:
    total = sum(len(b.src) + len(b.tgt) for b in beads)
    return sum((b.score or 0.0) * (len(b.src) + len(b.tgt)) for b in beads) / max(total, 1)


def _trim(beads: list[Bead]) -> list[Bead]:
    keep = [k for k, b in enumerate(beads) if b.src and b.tgt]
    return beads[keep[0] : keep[-1] + 1] if keep else []


def align_document(
    doc: Document,
    *,
    options: AlignOptions | None = None,
    scorer: PairScorer | None = None,
    min_score: float = MIN_PAIR_SCORE,
) -> tuple[PassagePair, ...]:
    """Find passages that translate each other inside ``doc`` and align their sentences.

    Args:
        doc (Document): a document :func:`annotkit.langid.detect` has been through (its
            ``segments`` and ``sentences``); else :class:`~annotkit.stages.MissingStageError`.
        options (AlignOptions | None): sentence-aligner weights (``None``:
            :data:`PASSAGE_OPTIONS`).
        scorer (PairScorer | None): optional sentence-pair similarity hook.
        min_score (float): minimum passage score for a pair.

    RETURNS:
        tuple[PassagePair, ...]: sorted by source start; source = the earlier passage.

    EXAMPLE:
        >>> from annotkit.doc import Document
        >>> from annotkit.langid import detect
        >>> align_document(detect(Document("x", "Only English here.")))
        ()
    """
    require(doc, "align")
    blocks = _blocks(doc)
    candidates: list[tuple[float, int, int, list[Bead]]] = []
    cache: dict[tuple[int, int, str, str], list[Token]] = {}
    for a in range(len(blocks)):
        for b in range(a + 1, min(len(blocks), a + 1 + MAX_BLOCK_DISTANCE)):
            if blocks[a].lang == blocks[b].lang:
                continue
            beads = _align_blocks(doc, blocks[a], blocks[b], options, scorer, cache)
            score = _score(beads)
            if score >= min_score:
                candidates.append((score, a, b, beads))
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    used: set[int] = set()
    pairs: list[PassagePair] = []
    for score, a, b, beads in candidates:
        if a in used or b in used:
            continue
        kept = _trim(beads)
        if not kept:
            continue
        used.update((a, b))
        src, tgt = blocks[a], blocks[b]
        sentences = tuple(
            SentencePair(
                tuple(src.sentences[i] for i in bead.src),
                tuple(tgt.sentences[j] for j in bead.tgt),
                bead.score,
            )
            for bead in kept
        )
        s_idx = [i for bead in kept for i in bead.src]
        t_idx = [j for bead in kept for j in bead.tgt]
        pairs.append(
            PassagePair(
                (src.sentences[min(s_idx)][0], src.sentences[max(s_idx)][1]),
                (tgt.sentences[min(t_idx)][0], tgt.sentences[max(t_idx)][1]),
                src.lang,
                tgt.lang,
                round(score, 4),
                sentences,
            )
        )
    return tuple(sorted(pairs, key=lambda p: p.src))


def pairs_to_record(
    doc: Document, pairs: Sequence[PassagePair] | None = None, *, with_text: bool = True
) -> dict[str, Any]:
    """The ``annotkit align`` JSONL record of a document: the whole record (docs/record.md)
    with its ``pairs`` (``pairs=None``: the document's own).

    ``with_text=False`` keeps only ``id`` and ``pairs`` (a compact index of the alignment).

    EXAMPLE:
        >>> from annotkit.doc import Document
        >>> pairs_to_record(Document("x", "Only English here."), (), with_text=False)
        {'id': 'x', 'pairs': []}
    """
    from dataclasses import replace

    from annotkit.record import document_to_record

    chosen = tuple(pairs) if pairs is not None else doc.pairs or ()
    if not with_text:
        return {"id": doc.id, "pairs": pairs_to_json(chosen)}
    return document_to_record(replace(doc, pairs=chosen))
