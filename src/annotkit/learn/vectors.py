"""Word vectors from the user's own unlabelled corpus, as a stanza pretrain file.

Offline and dependency-light: counts of words co-occurring within ``window`` tokens
(weighted 1/distance) become positive pointwise mutual information (context counts raised
to 0.75, Levy & Goldberg 2015), factorised by a seeded randomised truncated SVD
(``torch.svd_lowrank`` on the sparse matrix); a word's vector is ``U·sqrt(S)``, rows scaled
to unit length. Tokens are the project tokens (:func:`annotkit.segment.tokenize`, Chinese
per character), lower-cased as stanza looks them up. The result is written in word2vec text
form and converted by stanza itself (``stanza.models.common.pretrain.Pretrain``) into the
``.pt`` that ``annotkit train --pretrain`` / ``--corpus`` hands to stanza's
``--wordvec_pretrain_file``.

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
    (words sorted by frequency, then alphabetically)."""
    try:
        import torch
    except ImportError:  # pragma: no cover - depends on the installation
        raise ModelNotFoundError(
            "torch is not installed; word vectors are for stanza: `pip install 'annotkit[stanza]'`"
        ) from None
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
    pairs: dict[tuple[int, int], float] = {}
    for d in docs:
        ids = [index.get(w, -1) for w in d]
        for i, a in enumerate(ids):
            if a < 0:
                continue
            for k in range(1, window + 1):
                if i + k >= len(ids):
                    break
                b = ids[i + k]
                if b >= 0:
                    pairs[(a, b)] = pairs.get((a, b), 0.0) + 1.0 / k
                    pairs[(b, a)] = pairs.get((b, a), 0.0) + 1.0 / k
    if not pairs:
        raise TrainingError("no word co-occurs with another in the corpus; pass more text")
    keys = sorted(pairs)
    rows = np.array([k[0] for k in keys], dtype=np.int64)
    cols = np.array([k[1] for k in keys], dtype=np.int64)
    vals = np.array([pairs[k] for k in keys], dtype=np.float64)
    n = len(vocab)
    row_sum = np.bincount(rows, weights=vals, minlength=n)
    ctx = np.bincount(cols, weights=vals, minlength=n) ** 0.75
    total = vals.sum()
    pmi = np.log(vals * ctx.sum() / (row_sum[rows] * ctx[cols])) if total else vals
    keep = pmi > 0
    k = max(1, min(dim, n - 1))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        mat = torch.sparse_coo_tensor(
            torch.tensor(np.stack([rows[keep], cols[keep]])),
            torch.tensor(pmi[keep], dtype=torch.float32),
            (n, n),
            check_invariants=True,
        ).coalesce()
        u, s, _ = torch.svd_lowrank(mat, q=k, niter=4)
    vecs = (u * torch.sqrt(s)).numpy().astype(np.float64)
    if vecs.shape[1] < dim:
        vecs = np.pad(vecs, ((0, 0), (0, dim - vecs.shape[1])))
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    unit: np.ndarray[Any, Any] = (vecs / np.where(norms > 0, norms, 1.0)).astype(np.float32)
    return vocab, unit


def write_pretrain(words: list[str], vectors: np.ndarray[Any, Any], path: str | Path) -> Path:
    """Write a stanza pretrain ``.pt`` (through stanza's own converter); RETURNS the path."""
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
    if not all(math.isfinite(float(x)) for x in vecs.ravel()[:1000]):
        raise TrainingError("the word vectors are not finite; pass more unlabelled text")
    return write_pretrain(words, vecs, path)
