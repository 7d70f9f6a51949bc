"""Word vectors from the user's own unlabelled corpus, as a stanza pretrain file.

Offline and dependency-light: counts of words co-occurring within ``window`` tokens
(weighted 1/distance) become positive pointwise mutual information (context counts raised
to 0.75, Levy & Goldberg 2015), factorised by a seeded randomised truncated SVD (numpy
only, on the sparse matrix: the CRF's word clusters need no torch); a word's vector is
``U·sqrt(S)``, rows scaled to unit length. Tokens are the project tokens
(:func:`annotkit.segment.tokenize`, Chinese per character), lower-cased as stanza looks
them up. For stanza the result is written in word2vec text form and converted by stanza
itself (``stanza.models.common.pretrain.Pretrain``) into the ``.pt`` that ``annotkit train
--pretrain`` / ``--corpus`` hands to stanza's ``--wordvec_pretrain_file``.

EXAMPLE:
    >>> words, vecs = build_vectors(["stem cells were injected", "MSCs were injected"] * 20,
    ...                             dim=4, min_count=2)
    >>> len(words) == vecs.shape[0], vecs.shape[1]
    (True, 4)
"""

from __future__ import annotations

import math
import tempfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from annotkit.errors import ModelNotFoundError, TrainingError
from annotkit.segment import tokenize

__all__ = ["PRETRAIN_FILE", "build_pretrain", "build_vectors", "write_pretrain"]

PRETRAIN_FILE = "pretrain.pt"


def _tokens(text: str) -> list[str]:
    return [text[a:b].lower() for a, b in tokenize(text, zh_tokens="char") if b > a]


_CHUNK = 4_000_000  # co-occurrence keys merged per numpy step
_DOT_FLOATS = 8_000_000  # floats of one sparse-product step (64 MB)


class _Sparse:
    """A sparse ``n x n`` matrix as row-sorted ``(rows, cols, vals)``; :meth:`dot` is ``A @ x``
    in steps of at most :data:`_DOT_FLOATS` floats (no scipy; bounded memory)."""

    def __init__(self, rows: np.ndarray[Any, Any], cols: np.ndarray[Any, Any],
                 vals: np.ndarray[Any, Any], n: int) -> None:  # fmt: skip
        order = np.argsort(rows, kind="stable")
        self.rows, self.cols, self.n = rows[order], cols[order], n
        self.vals = vals[order].astype(np.float32)

    def transpose(self) -> _Sparse:
        return _Sparse(self.cols, self.rows, self.vals, self.n)

    def dot(self, x: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        out = np.zeros((self.n, x.shape[1]), dtype=np.float64)
        step = max(1, _DOT_FLOATS // max(1, x.shape[1]))
        x32 = x.astype(np.float32)  # products and per-row sums in single precision
        for a in range(0, len(self.rows), step):
            rows = self.rows[a : a + step]
            contrib = self.vals[a : a + step, None] * x32[self.cols[a : a + step]]
            starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
            out[rows[starts]] += np.add.reduceat(contrib, starts, axis=0)
        return out


def _cooccurrences(
    docs: list[list[int]], n: int, window: int
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Sorted keys ``a * n + b`` of word pairs within ``window`` tokens (both directions) and
    their summed ``1/distance`` weights; ``-1`` ids (out of vocabulary) are skipped."""
    keys: np.ndarray[Any, Any] = np.zeros(0, dtype=np.int64)
    vals: np.ndarray[Any, Any] = np.zeros(0, dtype=np.float64)
    pending_k: list[np.ndarray[Any, Any]] = []
    pending_v: list[np.ndarray[Any, Any]] = []
    size = 0

    def merge() -> None:
        nonlocal keys, vals, size
        allk = np.concatenate([keys, *pending_k])
        allv = np.concatenate([vals, *pending_v])
        keys, inverse = np.unique(allk, return_inverse=True)
        vals = np.bincount(inverse, weights=allv, minlength=len(keys))
        pending_k.clear()
        pending_v.clear()
        size = 0

    for doc in docs:
        ids = np.asarray(doc, dtype=np.int64)
        for k in range(1, window + 1):
            if len(ids) <= k:
                break
            a, b = ids[:-k], ids[k:]
            ok = (a >= 0) & (b >= 0)
            a, b = a[ok], b[ok]
            pending_k += [a * n + b, b * n + a]
            pending_v += [np.full(2 * len(a), 1.0 / k)]
            size += 2 * len(a)
        if size >= _CHUNK:
            merge()
    merge()
    return keys, vals


def _low_rank(a: _Sparse, k: int, seed: int, niter: int = 4) -> np.ndarray[Any, Any]:
    """``U[:, :k] * sqrt(S[:k])`` of a seeded randomised SVD (Halko et al. 2011: range finder
    with ``niter`` power iterations and 10 extra columns); each column's sign is fixed so
    that its largest entry is positive."""
    q = min(a.n, k + 10)
    omega = np.random.default_rng(seed).standard_normal((a.n, q))
    at = a.transpose()
    basis, _ = np.linalg.qr(a.dot(omega))
    for _ in range(niter):
        basis, _ = np.linalg.qr(at.dot(basis))
        basis, _ = np.linalg.qr(a.dot(basis))
    small = at.dot(basis).T  # (Q^T A), q x n
    ub, s, _ = np.linalg.svd(small, full_matrices=False)
    u = (basis @ ub)[:, :k]
    signs = np.sign(u[np.abs(u).argmax(axis=0), np.arange(u.shape[1])])
    low: np.ndarray[Any, Any] = u * np.where(signs == 0, 1.0, signs) * np.sqrt(s[:k])
    return low


def build_vectors(
    texts: Iterable[str],
    *,
    dim: int = 50,
    window: int = 3,
    min_count: int = 2,
    max_vocab: int = 50_000,
    seed: int = 0,
) -> tuple[list[str], np.ndarray[Any, Any]]:
    """PPMI-SVD vectors; RETURNS ``(words, matrix)`` with one unit-length row per word
    (words sorted by frequency, then alphabetically). numpy only: no torch needed."""
    docs = [_tokens(t) for t in texts]
    freq = Counter(w for d in docs for w in d)
    vocab = sorted((w for w, n in freq.items() if n >= min_count), key=lambda w: (-freq[w], w))
    vocab = vocab[:max_vocab]
    if len(vocab) < 2:
        raise TrainingError(
            f"the corpus gives {len(vocab)} word(s) seen at least {min_count} times; word "
            "vectors need more unlabelled text (pass a larger --corpus)"
        )
    index = {w: i for i, w in enumerate(vocab)}
    n = len(vocab)
    keys, vals = _cooccurrences([[index.get(w, -1) for w in d] for d in docs], n, window)
    if not len(keys):
        raise TrainingError("no word co-occurs with another in the corpus; pass more text")
    rows, cols = keys // n, keys % n
    row_sum = np.bincount(rows, weights=vals, minlength=n)
    ctx = np.bincount(cols, weights=vals, minlength=n) ** 0.75
    pmi = np.log(vals * ctx.sum() / (row_sum[rows] * ctx[cols]))
    keep = pmi > 0
    k = max(1, min(dim, n - 1))
    vecs = _low_rank(_Sparse(rows[keep], cols[keep], pmi[keep], n), k, seed)
    if vecs.shape[1] < dim:
        vecs = np.pad(vecs, ((0, 0), (0, dim - vecs.shape[1])))
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    unit: np.ndarray[Any, Any] = (vecs / np.where(norms > 0, norms, 1.0)).astype(np.float32)
    return vocab, unit


def write_pretrain(words: list[str], vectors: np.ndarray[Any, Any], path: str | Path) -> Path:
    """Write a stanza pretrain ``.pt`` (through stanza's own converter); RETURNS the path."""
    if not all(math.isfinite(float(x)) for x in vectors.ravel()[:1000]):
        raise TrainingError("the word vectors are not finite; pass more unlabelled text")
    try:
        from stanza.models.common.pretrain import Pretrain
    except ImportError:  # pragma: no cover - depends on the installation
        raise ModelNotFoundError(
            "stanza is not installed; install it with `pip install 'annotkit[stanza]'`"
        ) from None
    target = Path(path)
    with tempfile.TemporaryDirectory(prefix="annotkit-vectors-") as tmp:
        txt = Path(tmp) / "vectors.txt"
        with txt.open("w", encoding="utf-8") as fh:
            fh.write(f"{len(words)} {vectors.shape[1]}\n")
            for w, v in zip(words, vectors, strict=True):
                fh.write(w + " " + " ".join(f"{x:.6f}" for x in v) + "\n")
        pre = Pretrain(str(target), str(txt))
        pre.load()
    if not target.is_file():
        raise TrainingError(f"stanza did not write the pretrain file {target}")
    return target


def build_pretrain(texts: Iterable[str], path: str | Path, *, dim: int = 50,
                   seed: int = 0) -> Path:  # fmt: skip
    """:func:`build_vectors` then :func:`write_pretrain`."""
    words, vecs = build_vectors(texts, dim=dim, seed=seed)
    return write_pretrain(words, vecs, path)
