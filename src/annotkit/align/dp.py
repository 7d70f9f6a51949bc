"""Monotonic sentence alignment: banded dynamic programming over beads up to 1-4/4-1.

The cost of a bead joins three signals (hunalign/Gale-Church style, no neural model):

- **lexical similarity**: weighted share of tokens on either side whose concepts (numbers,
  ``?``/``!``, identical forms, CC-CEDICT glosses for zh<->en, learned pairs) occur on the other
  side (:mod:`annotkit.align.lexicon`);
- **length agreement**: squared log-ratio of the bead's character lengths against the ratio
  estimated from the whole input (Gale-Church with the ratio learned from the data);
- **bead-type priors**: 1-1 is free, merges and null beads pay a penalty.

Search is banded, so time and memory grow with ``n x band`` instead of ``n x m``:

1. *coarse anchor path*: sentences are grouped into at most ~200 chunks per side, chunk
   concept vectors are compared (one matrix product) and a DTW path through the chunk grid
   fixes a band of a few chunks around it (skipped for small inputs: the band is everything);
2. *first pass*: DP inside that band;
3. *bootstrap*: translation pairs are learned from the first pass's confident beads (Dice over
   co-occurring forms, the way hunalign expands its dictionary) and added to the concepts;
4. *second pass*: DP in a narrow band around the first path.

EXAMPLE:
    >>> from annotkit.align.dp import align_sentences
    >>> beads = align_sentences(["我有 3 只猫。", "你好吗？"], ["I have 3 cats.", "How are you?"],
    ...                         src_lang="zh", tgt_lang="en")
    >>> [b.format() for b in beads]
    ['[0]:[0]', '[1]:[1]']
"""

from __future__ import annotations

import importlib
import logging
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from annotkit.align.lexicon import Token, cedict_zh_en, sentence_tokens
from annotkit.doc import Bead
from annotkit.errors import AlignmentError

__all__ = ["AlignOptions", "PairScorer", "align_sentences", "load_scorer", "pair_tokens"]

log = logging.getLogger(__name__)

#: ``scorer(src_sentences, tgt_sentences, pairs) -> similarities``: ``pairs`` is an ``(k, 2)``
#: int array of (source index, target index); return ``k`` similarities in [0, 1].
PairScorer = Callable[[Sequence[str], Sequence[str], np.ndarray], np.ndarray]

_INF = float("inf")
_FULL_CELLS = 20_000  # below this many sentence pairs the first band is the whole matrix
_CHUNKS = 200
_MIN_MARGIN = 20  # first-pass band reaches at least this many sentences beyond the chunk path
_COST_ROWS = 64  # DP rows whose bead costs are computed together
_COLUMNS = np.arange(1 << 12)  # column offsets of the gathers (wider bands make their own)


@dataclass(frozen=True, slots=True)
class AlignOptions:
    """Weights of the bead cost (defaults chosen on MAC-Dev and Bible; docs/benchmarks.md).

    ``max_bead``: longest side of a bead (4 allows 1-4/4-1, 2-3, 3-2); ``lex``: weight of
    lexical dissimilarity (per sentence); ``length``: weight of the Gale-Church length cost;
    ``skip``: cost of a 1-0/0-1 bead; ``merge``: penalty growing with the sentences in a bead;
    ``band``: half-width of the second-pass band; ``bootstrap``/``rounds``/``min_dice``: learn
    translation pairs (Dice >= ``min_dice``) from the previous pass and realign, ``rounds``
    times; ``noise``: share of each sentence's mean match with its neighbours subtracted as
    chance; ``idf``: how much frequent words are damped (0 = not at all); ``order``: share of
    the matched weight taken back when it sits in the wrong half of a merged bead's single
    sentence (the first of two English sentences should match the front of their Chinese
    sentence, the second its back; 0 = bag of words); ``edge_skip``: cost
    of a 1-0/0-1 bead before the first or after the last link, at the edges named by
    ``align_sentences(edges=...)`` (``None``: the same as ``skip``); ``merge_power_one``:
    exponent of the merge penalty for one-to-many/many-to-one beads (1.3 favours spreading
    extra sentences over two beads, 1.0 is neutral; beads with two or more sentences on both
    sides keep 1.3); ``position``/``position_tol``: weight of the position check inside a
    one-to-many/many-to-one bead (each sentence of the merge should match its own stretch of
    the single sentence, in order; 0 = off); ``position_mn``: the same for many-to-many
    beads (matched weight between a source and a target sentence whose stretches of the bead
    lie more than ``position_tol / 2`` apart is taken back, times this weight; 0 = off;
    needs ``position`` > 0); ``weak_end``: cost of a bead that ends at a
    clause boundary (``;`` ``；`` ``:`` ``，``) on one side and not on the other (0 = off).
    """

    max_bead: int = 4
    lex: float = 1.0
    length: float = 0.1
    skip: float = 1.5
    merge: float = 0.4
    band: int = 12
    bootstrap: bool = True
    min_dice: float = 0.4
    noise: float = 0.0
    idf: float = 0.5
    rounds: int = 1
    fit_length: bool = True
    order: float = 0.5
    edge_skip: float | None = None
    merge_power_one: float = 1.3
    position: float = 0.0
    position_tol: float = 0.15
    position_mn: float = 0.0
    weak_end: float = 0.0


# --------------------------------------------------------------------------- features
@dataclass(slots=True)
class _Side:
    toks: list[list[tuple[frozenset[int], float, str]]]
    union: list[frozenset[int]]
    weight: np.ndarray  # token weight per sentence
    length: np.ndarray  # characters per sentence (no whitespace)
    weak: np.ndarray  # 1.0 where a sentence ends at a clause boundary (; : ,), not a full stop

    @property
    def n(self) -> int:
        return len(self.toks)


class _Interner(dict[str, int]):
    """Concept strings -> small ints (per alignment), with each concept set's ids memoised
    (a sentence list repeats the same words, so most sets are seen before)."""

    def __init__(self) -> None:
        super().__init__()
        self._sets: dict[frozenset[str], frozenset[int]] = {}

    def ids(self, concepts: frozenset[str]) -> frozenset[int]:
        got = self._sets.get(concepts)
        if got is None:
            got = self._sets[concepts] = frozenset(self.setdefault(c, len(self)) for c in concepts)
        return got


def _side(
    tokens: list[list[Token]], texts: Sequence[str], interner: _Interner, idf: float = 0.0
) -> _Side:
    df = Counter(f for sent in tokens for f in {t.form for t in sent})
    n = max(len(tokens), 1)

    def weight_of(t: Token) -> float:
        # frequent forms (said, patients, cancer) are weak evidence: damp them by their IDF
        if idf <= 0.0 or n < 20:
            return t.weight
        return t.weight * ((1.0 - idf) + idf * min(1.0, math.log(n / df[t.form]) / math.log(n / 2)))

    toks = [[(interner.ids(t.concepts), weight_of(t), t.form) for t in sent] for sent in tokens]
    union = [frozenset().union(*(c for c, _, _ in sent)) for sent in toks]
    weight = np.array([sum(w for _, w, _ in sent) for sent in toks], dtype=np.float64)
    length = np.array([len("".join(t.split())) for t in texts], dtype=np.float64)
    weak = np.array([_weak_end(t) for t in texts], dtype=np.float64)
    return _Side(toks, union, weight, length, weak)


_CLOSERS = "\"'”’)）]】」』 \t\r\n"
_WEAK = frozenset(";；:：,，、")


def _weak_end(text: str) -> float:
    """1.0 when ``text`` ends at a clause boundary (``；`` ``;`` ``：`` ``，``), else 0.0."""
    t = text.rstrip(_CLOSERS)
    return 1.0 if t and t[-1] in _WEAK else 0.0


def _lang_base(lang: str | None) -> str:
    return str(lang or "").lower().split("-")[0].split("_")[0]


def _dictionaries(src_lang: str | None, tgt_lang: str | None) -> tuple[Any, Any]:
    s, t = _lang_base(src_lang), _lang_base(tgt_lang)
    if {s, t} == {"zh", "en"}:
        d = cedict_zh_en()
        return (d, None) if s == "zh" else (None, d)
    return None, None


def pair_tokens(text: str, lang: str | None, other_lang: str | None) -> list[Token]:
    """The tokens :func:`align_sentences` uses for a ``lang`` sentence aligned with
    ``other_lang`` text (the zh->en glosses only when the other side is English)."""
    return sentence_tokens(text, lang, dictionary=_dictionaries(lang, other_lang)[0])


# --------------------------------------------------------------------------- band
def _chunk_band(src: _Side, tgt: _Side, n_chunks: int) -> tuple[np.ndarray, np.ndarray]:
    """Band [lo[i], hi[i]] per DP row from a DTW path through a chunk similarity grid."""
    n, m = src.n, tgt.n
    ks, kt = math.ceil(n / n_chunks), math.ceil(m / n_chunks)
    cs, ct = math.ceil(n / ks), math.ceil(m / kt)
    shared = sorted(frozenset().union(*src.union) & frozenset().union(*tgt.union))
    col = {c: k for k, c in enumerate(shared)}
    a = np.zeros((cs, len(shared) + 1), dtype=np.float32)
    b = np.zeros((ct, len(shared) + 1), dtype=np.float32)
    for side, mat, k in ((src, a, ks), (tgt, b, kt)):
        for i, u in enumerate(side.union):
            idx = [col[c] for c in u if c in col]
            if idx:
                mat[i // k, idx] = 1.0
    a[:, -1] = b[:, -1] = 1e-3
    sim = (a @ b.T) / np.sqrt(np.outer(a.sum(1), b.sum(1)))
    cost = 1.0 - sim / max(float(sim.max()), 1e-9)
    acc = np.full((cs + 1, ct + 1), _INF)
    acc[0, 0] = 0.0
    for c in range(1, cs + 1):
        row, prev = acc[c], acc[c - 1]
        for d in range(1, ct + 1):
            row[d] = cost[c - 1, d - 1] + min(prev[d - 1], prev[d] + 0.3, row[d - 1] + 0.3)
    c, d = cs, ct
    lo_c = np.full(cs, ct, dtype=np.int64)
    hi_c = np.zeros(cs, dtype=np.int64)
    while c > 0 and d > 0:
        lo_c[c - 1] = min(lo_c[c - 1], d - 1)
        hi_c[c - 1] = max(hi_c[c - 1], d - 1)
        steps = (acc[c - 1, d - 1], acc[c - 1, d] + 0.3, acc[c, d - 1] + 0.3)
        k = int(np.argmin(steps))
        c, d = (c - 1, d - 1) if k == 0 else (c - 1, d) if k == 1 else (c, d - 1)
    rows = np.arange(n + 1)
    chunk = np.minimum(rows // ks, cs - 1)
    margin = max(kt, _MIN_MARGIN)
    lo = np.maximum(0, lo_c[chunk] * kt - margin)
    hi = np.minimum(m, (hi_c[chunk] + 1) * kt + margin)
    return _monotone(lo, hi, m)


def _path_band(path: list[tuple[int, int]], n: int, m: int, width: int) -> tuple[np.ndarray, ...]:
    lo = np.full(n + 1, m, dtype=np.int64)
    hi = np.zeros(n + 1, dtype=np.int64)
    for i, j in path:
        lo[i] = min(lo[i], j)
        hi[i] = max(hi[i], j)
    for i in range(1, n + 1):  # rows crossed by a multi-sentence bead
        if hi[i] < lo[i]:
            lo[i], hi[i] = hi[i - 1], hi[i - 1]
    return _monotone(lo - width, hi + width, m)


def _monotone(lo: np.ndarray, hi: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    lo = np.clip(lo, 0, m)
    hi = np.clip(hi, 0, m)
    lo = np.minimum.accumulate(lo[::-1])[::-1].copy()
    hi = np.maximum.accumulate(hi)
    lo[0] = 0
    hi[-1] = m
    lo = np.minimum(lo, hi)
    return lo, hi


# --------------------------------------------------------------------------- pair scores
def _pair_prefix(
    src: _Side,
    tgt: _Side,
    lo: np.ndarray,
    hi: np.ndarray,
    maxb: int,
    extra: Callable[[np.ndarray], np.ndarray] | None,
    noise_k: float,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Per source sentence: prefix sums over target sentences of the matched token weight."""
    n, m = src.n, tgt.n
    plo = np.zeros(n, dtype=np.int64)
    prefix: list[np.ndarray] = []
    rows: list[np.ndarray] = []
    for i in range(n):
        a = max(0, int(lo[i + 1]) - maxb)
        b = min(m, int(hi[min(n, i + maxb)]))
        plo[i] = a
        vals = np.zeros(max(0, b - a), dtype=np.float64)
        su, stoks = src.union[i], src.toks[i]
        for j in range(a, b):
            tu = tgt.union[j]
            if su.isdisjoint(tu):
                continue
            vals[j - a] = sum(w for c, w, _ in stoks if not c.isdisjoint(tu)) + sum(
                w for c, w, _ in tgt.toks[j] if not c.isdisjoint(su)
            )
        if extra is not None and len(vals):
            js = np.arange(a, b)
            pairs = np.stack([np.full(len(js), i), js], axis=1)
            sims = np.clip(np.asarray(extra(pairs), dtype=np.float64), 0.0, 1.0)
            vals = 0.5 * vals + 0.5 * sims * (src.weight[i] + tgt.weight[js])
        rows.append(vals)
    # chance matches (broad glosses, frequent words): subtract each sentence's mean match with
    # the sentences around it, so merged beads do not collect noise from every pair
    if noise_k <= 0.0:
        return plo, [np.concatenate(([0.0], np.cumsum(vals))) for vals in rows]
    row_mean = np.array([float(v.mean()) if len(v) else 0.0 for v in rows])
    col_sum = np.zeros(m)
    col_cnt = np.zeros(m)
    for i, vals in enumerate(rows):
        col_sum[plo[i] : plo[i] + len(vals)] += vals
        col_cnt[plo[i] : plo[i] + len(vals)] += 1
    col_mean = col_sum / np.maximum(col_cnt, 1)
    for i, vals in enumerate(rows):
        noise = noise_k * (row_mean[i] + col_mean[plo[i] : plo[i] + len(vals)])
        clean = np.maximum(0.0, vals - noise)
        prefix.append(np.concatenate(([0.0], np.cumsum(clean))))
    return plo, prefix


def _halves(
    side: _Side,
) -> list[tuple[frozenset[int], frozenset[int], list[Any], list[Any]]]:
    """Per sentence: the concepts of its front and back halves of tokens, and the halves."""
    out = []
    for sent in side.toks:
        k = len(sent) // 2
        front, back = sent[:k], sent[k:]
        out.append(
            (
                frozenset().union(*(c for c, _, _ in front)),
                frozenset().union(*(c for c, _, _ in back)),
                front,
                back,
            )
        )
    return out


def _order_rows(
    src: _Side, tgt: _Side, plo: np.ndarray, widths: list[int]
) -> tuple[list[np.ndarray], ...]:
    """Matched weight that sits in the wrong half of a merged bead's single sentence.

    For source ``i`` and target ``j``: ``mf_t`` is the evidence linking ``i`` to the *back*
    half of ``j`` (misplaced when ``i`` opens a many-to-one bead on ``j``), ``mb_t`` to its
    front half (misplaced when ``i`` closes it); ``mf_s``/``mb_s`` the same with the halves
    taken on the source side (one-to-many beads).
    """
    hs, ht = _halves(src), _halves(tgt)
    out: tuple[list[np.ndarray], ...] = ([], [], [], [])
    for i in range(src.n):
        a, w = int(plo[i]), widths[i]
        arrs = [np.zeros(w, dtype=np.float32) for _ in range(4)]
        su, stoks = src.union[i], src.toks[i]
        sf, sb, sft, sbt = hs[i]
        for j in range(a, a + w):
            tu = tgt.union[j]
            if su.isdisjoint(tu):
                continue
            tf, tb, tft, tbt = ht[j]
            # i's tokens found only in j's back / front half, and j's back / front tokens in i
            in_back = sum(wt for c, wt, _ in stoks if c.isdisjoint(tf) and not c.isdisjoint(tb))
            in_front = sum(wt for c, wt, _ in stoks if c.isdisjoint(tb) and not c.isdisjoint(tf))
            arrs[0][j - a] = in_back + sum(wt for c, wt, _ in tbt if not c.isdisjoint(su))
            arrs[1][j - a] = in_front + sum(wt for c, wt, _ in tft if not c.isdisjoint(su))
            ttoks = tgt.toks[j]
            t_back = sum(wt for c, wt, _ in ttoks if c.isdisjoint(sf) and not c.isdisjoint(sb))
            t_front = sum(wt for c, wt, _ in ttoks if c.isdisjoint(sb) and not c.isdisjoint(sf))
            arrs[2][j - a] = t_back + sum(wt for c, wt, _ in sbt if not c.isdisjoint(tu))
            arrs[3][j - a] = t_front + sum(wt for c, wt, _ in sft if not c.isdisjoint(tu))
        for k in range(4):
            out[k].append(arrs[k])
    return out


def _position_rows(
    src: _Side, tgt: _Side, plo: np.ndarray, widths: list[int]
) -> tuple[list[np.ndarray], ...]:
    """Where in the other sentence a pair's matches sit (weight and weight x position).

    For source ``i`` and target ``j``: ``(w_t, p_t)`` are the matched weight of ``j``'s tokens
    and its sum of relative token positions in ``j`` (0 = first token, 1 = last);
    ``(w_s, p_s)`` the same for ``i``'s tokens inside ``i``.
    """
    out: tuple[list[np.ndarray], ...] = ([], [], [], [])
    for i in range(src.n):
        a, w = int(plo[i]), widths[i]
        arrs = [np.zeros(w, dtype=np.float32) for _ in range(4)]
        su, stoks = src.union[i], src.toks[i]
        ns = max(len(stoks) - 1, 1)
        for j in range(a, a + w):
            tu = tgt.union[j]
            if su.isdisjoint(tu):
                continue
            ttoks = tgt.toks[j]
            nt = max(len(ttoks) - 1, 1)
            for k, (c, wt, _) in enumerate(ttoks):
                if not c.isdisjoint(su):
                    arrs[0][j - a] += wt
                    arrs[1][j - a] += wt * k / nt
            for k, (c, wt, _) in enumerate(stoks):
                if not c.isdisjoint(tu):
                    arrs[2][j - a] += wt
                    arrs[3][j - a] += wt * k / ns
        for k in range(4):
            out[k].append(arrs[k])
    return out


# --------------------------------------------------------------------------- DP
def _take(arr: np.ndarray, start: int, width: int, left: float, right: float) -> np.ndarray:
    """``arr[start:start+width]`` as a new array, ``left``/``right`` filling out-of-range cells."""
    if start >= 0 and start + width <= len(arr):
        return arr[start : start + width].copy()
    out = np.empty(width)
    a, b = max(0, -start), min(width, len(arr) - start)
    out[: max(0, min(a, width))] = left
    if b < width:
        out[max(b, 0) :] = right
    if a < b:
        out[a:b] = arr[start + a : start + b]
    return out


class _Window:
    """An array with fill values beyond its ends: ``at(start, width)`` is
    ``_take(arr, start, width, left, right)``, as a view of a padded copy (no bounds checks,
    no allocation) wherever ``pad`` cells of fill cover the window, else by ``_take``.
    Only the padded copy is kept (same dtype): the caller drops the original."""

    __slots__ = ("data", "left", "pad", "right", "size")

    def __init__(self, arr: np.ndarray, left: float, right: float, pad: int) -> None:
        self.left, self.right, self.pad = left, right, pad
        fill = (np.full(pad, left, dtype=arr.dtype), np.full(pad, right, dtype=arr.dtype))
        self.data = np.concatenate((fill[0], arr, fill[1]))
        self.size = len(self.data)

    @property
    def arr(self) -> np.ndarray:
        return self.data[self.pad : self.size - self.pad]

    def at(self, start: int, width: int) -> np.ndarray:
        a = start + self.pad
        if a >= 0 and a + width <= self.size:
            return self.data[a : a + width]
        return _take(self.arr, start, width, self.left, self.right)


class _Stack:
    """Arrays of different lengths as rows of one matrix with fill values beyond their ends:
    ``at(rows, starts, width)[r]`` is ``_take(arrays[rows[r]], starts[r], width, left,
    right)`` (``right=None``: each array's last value), with one gather for all rows. Indices
    are clipped into the fill cells, so any start is right. The list is emptied as it goes."""

    __slots__ = ("data", "pad", "size")

    def __init__(
        self, arrays: list[np.ndarray], left: float, right: float | None, pad: int
    ) -> None:
        longest = max((len(x) for x in arrays), default=0)
        dtype = np.result_type(*arrays) if arrays else np.float64
        self.pad, self.size = pad, longest + 2 * pad
        self.data = np.full((len(arrays), self.size), left, dtype=dtype)
        arrays.reverse()
        k = 0
        while arrays:
            arr = arrays.pop()
            self.data[k, pad : pad + len(arr)] = arr
            fill = (arr[-1] if len(arr) else left) if right is None else right
            self.data[k, pad + len(arr) :] = fill
            k += 1

    def at(self, rows: np.ndarray, starts: np.ndarray | int, width: int) -> np.ndarray:
        out: np.ndarray
        if isinstance(starts, (int, np.integer)):  # one start for every row: a slice
            a = int(starts) + self.pad
            if a >= 0 and a + width <= self.size:
                out = self.data[rows, a : a + width]
                return out
            cols = np.clip(np.arange(a, a + width), 0, self.size - 1)
            out = self.data[rows[:, None], cols]
            return out
        cols = starts[:, None] + _columns(width, self.pad)
        np.maximum(cols, 0, out=cols)
        np.minimum(cols, self.size - 1, out=cols)
        out = self.data[rows[:, None], cols]
        return out


def _columns(width: int, pad: int) -> np.ndarray:
    """``pad, pad + 1, ..., pad + width - 1``."""
    return _COLUMNS[pad : pad + width] if pad + width <= len(_COLUMNS) else np.arange(width) + pad


def _bead_types(max_bead: int) -> list[tuple[int, int]]:
    types = [(a, b) for a in range(1, max_bead + 1) for b in range(1, max_bead + 1)]
    # long beads only in the skewed shapes literary translation produces (1-4, 2-3, ...)
    return [(a, b) for a, b in types if a + b <= max(5, 2 + 2) and min(a, b) <= 2]


@dataclass(slots=True)
class _Pass:
    beads: list[Bead]
    path: list[tuple[int, int]]


def _dp(
    src: _Side,
    tgt: _Side,
    lo: np.ndarray,
    hi: np.ndarray,
    opts: AlignOptions,
    extra: Callable[[np.ndarray], np.ndarray] | None,
    var: float | None = None,
    edges: tuple[bool, bool] = (True, True),
) -> _Pass:
    n, m = src.n, tgt.n
    types = _bead_types(opts.max_bead)
    plo, prefix = _pair_prefix(src, tgt, lo, hi, opts.max_bead, extra, opts.noise)
    order = _order_rows(src, tgt, plo, [len(p) - 1 for p in prefix]) if opts.order > 0 else None
    where = (
        _position_rows(src, tgt, plo, [len(p) - 1 for p in prefix]) if opts.position > 0 else None
    )
    lex = opts.lex
    ratio = float(tgt.length.sum() + m) / float(src.length.sum() + n)
    cw_s = np.concatenate(([0.0], np.cumsum(src.weight)))
    cw_t = np.concatenate(([0.0], np.cumsum(tgt.weight)))
    cl_s = np.concatenate(([0.0], np.cumsum(src.length)))
    cl_t = np.concatenate(([0.0], np.cumsum(tgt.length)))
    skip = opts.skip
    edge = skip if opts.edge_skip is None else opts.edge_skip
    if var is None:  # loose prior (about 30% deviation for 1-1 beads); fitted after pass 1
        var = 0.1 * float(cl_s[-1] * ratio + cl_t[-1]) / (n + m)
    var = max(var, 0.5)  # empty sentences only: keep the division defined
    # Bead costs do not depend on the search, so they are computed for many rows at once:
    # per-sentence arrays are stacked into padded matrices and read by gathers (indices
    # clipped into the fill cells, which is _take's semantics at any distance).
    pad = opts.max_bead + 2
    pre_m = _Stack(prefix, 0.0, None, pad)
    order_m = None if order is None else [_Stack(o, 0.0, 0.0, pad) for o in order]
    where_m = None if where is None else [_Stack(o, 0.0, 0.0, pad) for o in where]
    del prefix, order, where
    cw_t_end = _Stack([cw_t], 0.0, None, pad)
    cl_t_end = _Stack([cl_t], 0.0, None, pad)  # fill: the total beyond the end
    cl_t_zero = _Stack([cl_t], 0.0, 0.0, pad)
    len_t_zero = _Stack([tgt.length], 0.0, 0.0, pad)
    weak_t_zero = _Stack([tgt.weak], 0.0, 0.0, pad)
    zero = np.zeros(1, dtype=np.int64)
    # the whole matrix (a first pass on a small input): every row starts at column 0, so
    # the gathers below are slices of one column range (``_Stack.at`` with an int start)
    dense = not lo.any() and bool((hi == m).all()) and not plo.any()

    def rel(j0: Any, s: np.ndarray) -> Any:
        """Column ``j0`` of rows ``s`` relative to where their pair arrays start."""
        return j0 if dense else j0 - plo[s]

    def terms(
        rows: np.ndarray, j0: Any, width: int, a: int, b: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Similarity and length cost of beads (a, b) ending at each row of ``rows``, columns
        ``j0 .. j0 + width - 1`` of that row (an array per row: shape (rows, width); an int
        ``j0`` is the same first column for every row)."""
        first = rows - a
        matched = np.zeros((len(rows), width))
        for d in range(a):
            s = first + d
            off = rel(j0, s)
            matched += pre_m.at(s, off, width) - pre_m.at(s, off - b, width)
        if order_m is not None and (a > 1) != (b > 1):
            mf_t, mb_t, mf_s, mb_s = order_m
            if b == 1:  # many-to-one: the first source sentence faces the target's front
                for s, arr in ((first, mf_t), (rows - 1, mb_t)):
                    matched -= opts.order * arr.at(s, rel(j0, s) - 1, width)
            else:
                s = rows - 1
                off = rel(j0, s)
                matched -= opts.order * mf_s.at(s, off - b, width)
                matched -= opts.order * mb_s.at(s, off - 1, width)
            matched = np.maximum(matched, 0.0)
        if where_m is not None and (a > 1) != (b > 1):
            matched = np.maximum(matched - _misplaced(where_m, rows, j0, width, a, b), 0.0)
        elif where_m is not None and a > 1 and b > 1 and opts.position_mn > 0:
            matched = np.maximum(matched - _crossed(rows, j0, width, a, b), 0.0)
        w_t = cw_t_end.at(zero, j0, width) - cw_t_end.at(zero, j0 - b, width)
        l_t = cl_t_end.at(zero, j0, width) - cl_t_end.at(zero, j0 - b, width)
        sim = np.minimum(1.0, matched / ((cw_s[rows] - cw_s[first])[:, None] + w_t + 2.0))
        ls = (cl_s[rows] - cl_s[first])[:, None]
        # Gale-Church: deviation from the input's length ratio, variance grows with length
        delta2 = (l_t - ratio * ls) ** 2 / (var * (ratio * ls + l_t + 2.0) / 2.0)
        return sim, np.minimum(delta2 / 2.0, 8.0)

    def _misplaced(
        where: list[_Stack], rows: np.ndarray, j0: Any, width: int, a: int, b: int
    ) -> np.ndarray:
        """Matched weight far from where each sentence of a merge should sit in the single one.

        The sentences of a many-to-one bead translate consecutive stretches of the single
        sentence, in order and roughly in proportion to their lengths: evidence whose mean
        position in the single sentence is more than ``position_tol`` away from the middle of
        the sentence's expected stretch is taken back (``position`` x weight x distance).
        """
        w_t, p_t, w_s, p_s = where
        out = np.zeros((len(rows), width))
        tol, k = opts.position_tol, opts.position
        first = rows - a
        if b == 1:  # sentences i-a..i-1 cover consecutive stretches of target j-1
            total = (cl_s[rows] - cl_s[first] + 1e-9)[:, None]
            for d in range(a):
                s = first + d
                mid = (cl_s[s] - cl_s[first] + src.length[s] / 2.0)[:, None] / total
                off = rel(j0, s) - 1
                w = w_t.at(s, off, width)
                pos = p_t.at(s, off, width) / np.maximum(w, 1e-9)
                out += k * w * np.maximum(0.0, np.abs(pos - mid) - tol)
        else:  # target sentences j-b..j-1 cover consecutive stretches of source i-1
            s = rows - 1
            off = rel(j0, s)
            base = cl_t_zero.at(zero, j0 - b, width)
            total = cl_t_end.at(zero, j0, width) - base + 1e-9
            for d in range(b, 0, -1):  # target j-d
                start = cl_t_zero.at(zero, j0 - d, width) - base
                ln = len_t_zero.at(zero, j0 - d, width)
                mid = (start + ln / 2.0) / total
                w = w_s.at(s, off - d, width)
                pos = p_s.at(s, off - d, width) / np.maximum(w, 1e-9)
                out += k * w * np.maximum(0.0, np.abs(pos - mid) - tol)
        return out

    def _crossed(rows: np.ndarray, j0: Any, width: int, a: int, b: int) -> np.ndarray:
        """Matched weight between sentences of a many-to-many bead whose stretches are apart."""
        out = np.zeros((len(rows), width))
        first = rows - a
        ls = (cl_s[rows] - cl_s[first] + 1e-9)[:, None]
        t_base = cl_t_zero.at(zero, j0 - b, width)
        lt = cl_t_end.at(zero, j0, width) - t_base + 1e-9
        for e in range(a):
            s = first + e
            s0 = (cl_s[s] - cl_s[first])[:, None] / ls
            s1 = (cl_s[s + 1] - cl_s[first])[:, None] / ls
            off = rel(j0, s)
            for d in range(b, 0, -1):  # target j-d
                w = pre_m.at(s, off - d + 1, width) - pre_m.at(s, off - d, width)
                t0 = (cl_t_zero.at(zero, j0 - d, width) - t_base) / lt
                t1 = (cl_t_zero.at(zero, j0 - d + 1, width) - t_base) / lt
                gap = np.maximum(0.0, np.maximum(s0, t0) - np.minimum(s1, t1))
                out += opts.position_mn * w * np.maximum(0.0, gap - opts.position_tol / 2)
        return out

    merge = [
        opts.merge * (a + b - 2) ** (1.3 if min(a, b) > 1 else opts.merge_power_one)
        for a, b in types
    ]

    def costs(r0: int, r1: int) -> np.ndarray:
        """Bead costs of rows ``r0 .. r1 - 1``: shape (types, rows, widest band); a type
        whose bead does not fit above a row costs infinity there (cells past a row's band
        width are not used)."""
        width = int((hi[r0:r1] - lo[r0:r1]).max()) + 1
        out = np.full((len(types), r1 - r0, width), _INF)
        for k, (a, b) in enumerate(types):
            first = max(r0, a)
            if first >= r1:
                continue
            rows = np.arange(first, r1)
            with np.errstate(all="ignore"):  # cells past a row's width may divide by 0
                sim, lcost = terms(rows, 0 if dense else lo[rows], width, a, b)
            out[k, first - r0 :] = (
                ((a + b) / 2.0) * lex * (1.0 - sim) + opts.length * lcost + merge[k]
            )
        return out

    row_w: list[_Window] = []
    backs: list[np.ndarray] = []
    n_types = len(types)
    block = np.zeros((0, 0, 0))
    r0 = 0
    for i in range(n + 1):
        if i % _COST_ROWS == 0:  # bounded memory: the costs of a block of rows at a time
            r0 = i
            block = costs(i, min(n + 1, i + _COST_ROWS))
        j0, width = int(lo[i]), int(hi[i] - lo[i] + 1)
        best = np.full(width, _INF)
        back = np.full(width, -1, dtype=np.int8)
        if i == 0:
            best[0] = 0.0
        else:
            # every bead type at once: the previous rows' best scores shifted by the bead's
            # target side, plus its cost; the first type with the lowest total wins (as if
            # the types were tried in order, each replacing only a strictly better one)
            fits = [k for k, (a, _) in enumerate(types) if i - a >= 0]
            prev = np.empty((len(fits), width))
            for r, k in enumerate(fits):
                a, b = types[k]
                prev[r] = row_w[i - a].at(j0 - b - int(lo[i - a]), width)
                if j0 - b < 0:
                    prev[r, : b - j0] = _INF
            cand = prev + block[fits, i - r0, :width]
            if opts.weak_end > 0.0:
                # a bead that closes at a clause boundary on one side only cuts a sentence
                t_weak = weak_t_zero.at(zero, j0 - 1, width)[0]
                cand += (opts.weak_end * np.abs(src.weak[i - 1] - t_weak))[None, :]
            pick = cand.argmin(axis=0)
            low = cand[pick, np.arange(width)]
            better = low < best
            best[better] = low[better]
            back[better] = np.asarray(fits, dtype=np.int8)[pick[better]]
        if i > 0:  # 1-0: skip source sentence i-1
            cand1 = row_w[i - 1].at(j0 - int(lo[i - 1]), width) + skip
            if edge != skip:  # source sentences before the first / after the last target one
                if j0 == 0 and edges[0]:
                    cand1[0] += edge - skip
                if j0 + width - 1 == m and edges[1]:
                    cand1[-1] += edge - skip
            better = cand1 < best
            best[better] = cand1[better]
            back[better] = n_types
        # 0-1 within the row: best[j] = min(best[j], best[j-1] + skip)
        free = (i == 0 and edges[0]) or (i == n and edges[1])
        steps = np.arange(width) * (edge if free else skip)
        scan = np.minimum.accumulate(best - steps) + steps
        took = scan < best - 1e-12
        best[took] = scan[took]
        back[took] = n_types + 1
        row_w.append(_Window(best, _INF, _INF, pad))
        backs.append(back)
    if not math.isfinite(row_w[n].arr[m - lo[n]]):
        raise AlignmentError(
            f"no alignment path for {n} x {m} sentences inside the search band; "
            "report this input (it is a bug in the band construction)"
        )
    ends: list[tuple[int, int, int]] = []  # (i, j, bead type) from the end
    path = [(n, m)]
    i, j = n, m
    while i > 0 or j > 0:
        k = int(backs[i][j - lo[i]])
        a, b = (1, 0) if k == n_types else (0, 1) if k == n_types + 1 else types[k]
        ends.append((i, j, k))
        i, j = i - a, j - b
        path.append((i, j))
    ends.reverse()
    path.reverse()
    scores = [0.0] * len(ends)  # null beads score 0; the others, one terms call per type
    for k, (a, b) in enumerate(types):
        at = [r for r, e in enumerate(ends) if e[2] == k]
        if at:
            sim, lcost = terms(
                np.array([ends[r][0] for r in at]), np.array([ends[r][1] for r in at]), 1, a, b
            )
            for r, x, c in zip(at, sim[:, 0].tolist(), lcost[:, 0].tolist(), strict=True):
                scores[r] = x * math.exp(-c / 2.0)
    beads = []
    for (i, j, k), score in zip(ends, scores, strict=True):
        a, b = (1, 0) if k == n_types else (0, 1) if k == n_types + 1 else types[k]
        beads.append(Bead(tuple(range(i - a, i)), tuple(range(j - b, j)), round(score, 4)))
    return _Pass(beads, path)


# --------------------------------------------------------------------------- bootstrap
def _length_variance(src: _Side, tgt: _Side, beads: list[Bead]) -> float | None:
    """Gale-Church variance per character fitted on the confident 1-1 beads of a pass.

    ``(lt - r*ls)^2 / ((r*ls + lt) / 2)`` follows ``var * chi2(1)``; its median over the beads
    divided by chi2(1)'s median (0.455) estimates ``var`` robustly. ``None`` below 10 beads.
    """
    pairs = [
        (src.length[b.src[0]], tgt.length[b.tgt[0]])
        for b in beads
        if len(b.src) == 1 and len(b.tgt) == 1 and (b.score or 0.0) >= 0.1
    ]
    if len(pairs) < 10:
        return None
    ls, lt = np.array(pairs).T
    ratio = float(tgt.length.sum() + tgt.n) / float(src.length.sum() + src.n)
    dev = (lt - ratio * ls) ** 2 / ((ratio * ls + lt + 2.0) / 2.0)
    return max(float(np.median(dev)) / 0.455, 0.5)


def _learn_pairs(
    src: _Side, tgt: _Side, beads: list[Bead], min_dice: float, max_beads: int = 2000
) -> dict[str, set[str]]:
    """Translation pairs (source form -> target forms) from confident first-pass beads.

    Uses at most ``max_beads`` of the most confident beads and only forms seen in two of them,
    so memory stays bounded whatever the input size.
    """
    good = sorted(
        (b for b in beads if b.src and b.tgt and (b.score or 0.0) >= 0.05),
        key=lambda b: (-(b.score or 0.0), b.src),
    )[:max_beads]
    sides = [
        (
            {f for i in bead.src for _, _, f in src.toks[i]},
            {f for j in bead.tgt for _, _, f in tgt.toks[j]},
        )
        for bead in good
    ]
    f_s: Counter[str] = Counter(f for fs, _ in sides for f in fs)
    f_t: Counter[str] = Counter(f for _, ft in sides for f in ft)
    co: Counter[tuple[str, str]] = Counter()
    for fs, ft in sides:
        keep_t = [b for b in ft if f_t[b] >= 2]
        co.update((a, b) for a in fs if f_s[a] >= 2 for b in keep_t)
    learned: dict[str, set[str]] = {}
    for (a, b), c in co.items():
        if c >= 2 and 2.0 * c / (f_s[a] + f_t[b]) >= min_dice:
            learned.setdefault(a, set()).add(b)
    return learned


def _augment(side: _Side, learned: dict[str, set[str]], interner: _Interner) -> _Side:
    toks = []
    for sent in side.toks:
        new = []
        for c, w, f in sent:
            if f in learned:
                c = c | interner.ids(frozenset(f"w:{t}" for t in learned[f]))
            new.append((c, w, f))
        toks.append(new)
    union = [frozenset().union(*(c for c, _, _ in sent)) for sent in toks]
    return _Side(toks, union, side.weight, side.length, side.weak)


# --------------------------------------------------------------------------- public
def load_scorer(path: str) -> PairScorer:
    """Import a :data:`PairScorer` from ``"package.module:function"``.

    EXAMPLE:
        >>> load_scorer("mypkg.embed:labse_scorer")  # doctest: +SKIP
    """
    module, _, attr = path.partition(":")
    if not module or not attr:
        raise AlignmentError(
            f"scorer {path!r} is not an import path; write it as 'package.module:function'"
        )
    try:
        func = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as err:
        raise AlignmentError(
            f"cannot import scorer {path!r} ({err}); check the module is installed"
        ) from err
    if not callable(func):
        raise AlignmentError(f"scorer {path!r} is not callable; point it at a function")
    return func  # type: ignore[no-any-return]


def align_sentences(
    src: Sequence[str],
    tgt: Sequence[str],
    *,
    src_lang: str | None,
    tgt_lang: str | None,
    options: AlignOptions | None = None,
    scorer: PairScorer | None = None,
    edges: tuple[bool, bool] = (True, True),
    tokens: tuple[Sequence[list[Token]], Sequence[list[Token]]] | None = None,
) -> list[Bead]:
    """Align two lists of sentences monotonically; every sentence is in exactly one bead.

    Args:
        src (Sequence[str]): source sentences, in order.
        tgt (Sequence[str]): target sentences, in order.
        src_lang (str | None): ISO 639-1 code (``"zh"``, ``"en"``, ``"de"`` ...).
        tgt_lang (str | None): ISO 639-1 code of the target.
        options (AlignOptions | None): cost weights; defaults tuned on MAC-Dev.
        scorer (PairScorer | None): optional sentence-pair similarity (e.g. embeddings),
            averaged with the lexical score.
        edges (tuple[bool, bool]): whether ``options.edge_skip`` prices unaligned sentences
            at the start / at the end (a passage's outer edges, not a section cut inside it).
        tokens: the sentences' :func:`pair_tokens` (source side, target side) when the caller
            has them already (``align_document`` tokenizes each sentence of a document once).

    RETURNS:
        list[Bead]: beads in order; ``()`` is an empty side; ``score`` in [0, 1] is the bead's
        lexical similarity times its length agreement (0 for null beads).

    EXAMPLE:
        >>> [b.format() for b in align_sentences([], ["a", "b"], src_lang="de", tgt_lang="fr")]
        ['[]:[0]', '[]:[1]']
    """
    opts = options or AlignOptions()
    if opts.max_bead < 2:
        raise AlignmentError(f"max_bead must be at least 2, got {opts.max_bead}")
    for name, seq in (("src", src), ("tgt", tgt)):
        bad = [k for k, s in enumerate(seq) if not isinstance(s, str)]
        if bad:
            raise AlignmentError(
                f"{name} sentence {bad[0]} is {type(seq[bad[0]]).__name__}, not str; "
                "pass a list of sentence strings"
            )
    n, m = len(src), len(tgt)
    if n == 0 or m == 0:
        return [Bead((i,), (), 0.0) for i in range(n)] + [Bead((), (j,), 0.0) for j in range(m)]
    if tokens is None:
        tokens = (
            [pair_tokens(s, src_lang, tgt_lang) for s in src],
            [pair_tokens(t, tgt_lang, src_lang) for t in tgt],
        )
    elif (len(tokens[0]), len(tokens[1])) != (n, m):
        raise AlignmentError(
            f"tokens for {len(tokens[0])} x {len(tokens[1])} sentences given for {n} x {m}; "
            "pass one token list per sentence"
        )
    interner = _Interner()
    s_side = _side(list(tokens[0]), src, interner, opts.idf)
    t_side = _side(list(tokens[1]), tgt, interner, opts.idf)
    del tokens  # the sides hold what the search needs (memory on long inputs)
    extra = None
    if scorer is not None:
        user = scorer

        def extra(pairs: np.ndarray) -> np.ndarray:
            return user(src, tgt, pairs)

    if n * m <= _FULL_CELLS:
        lo, hi = np.zeros(n + 1, dtype=np.int64), np.full(n + 1, m, dtype=np.int64)
    else:
        lo, hi = _chunk_band(s_side, t_side, _CHUNKS)
    # the order-aware match (4 more arrays per row) waits for the narrow second-pass band
    wide = n * m > _FULL_CELLS and opts.bootstrap and min(n, m) >= 8
    first_opts = replace(opts, order=0.0) if wide else opts
    first = _dp(s_side, t_side, lo, hi, first_opts, extra, edges=edges)
    if not opts.bootstrap or min(n, m) < 8:
        return first.beads
    result = first
    base = s_side
    for k in range(max(1, opts.rounds)):
        learned = _learn_pairs(base, t_side, result.beads, opts.min_dice)
        log.debug("bootstrap learned %d source forms", len(learned))
        var = _length_variance(base, t_side, result.beads) if opts.fit_length else None
        if k == 0 and not learned and var is None and n * m <= _FULL_CELLS and opts.noise <= 0:
            # nothing learned: the first pass's costs again, in a band around its path, which
            # was the best over the whole matrix; the search would return that path again
            break
        s_side = _augment(base, learned, interner)
        lo, hi = _path_band(result.path, n, m, opts.band)
        result = _dp(s_side, t_side, lo, hi, opts, extra, var, edges)
    return result.beads
