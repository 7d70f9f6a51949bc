"""Word clusters from the user's own unlabelled corpus, as features of the CRF.

A word's cluster says "words used like this one": with tens of corrected documents most
words of a new document were never seen in training, but their cluster was (cluster
features are a proven small-data gain for CRF taggers; Turian et al. 2010). The vectors are
:func:`annotkit.learn.vectors.build_vectors` (PPMI-SVD over the corpus); each size in
``sizes`` is one seeded spherical k-means over them (at most one cluster per ten words),
coarse and fine, so a word gets one id per size (``"64:12"``, ``"256:201"``).
Deterministic for the same texts and seed.

The clusters are part of the model: ``clusters.tsv`` in the model folder (``word`` then one
column per size); a model without the file has no cluster features.

EXAMPLE:
    >>> texts = ["mesenchymal stem cells were injected", "stromal cells were injected",
    ...          "patients were treated", "children were treated"] * 10
    >>> cl = build_clusters(texts, sizes=(2,), dim=4)
    >>> sorted(cl.sizes), len(cl.ids) > 0
    ([2], True)
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from annotkit.errors import InputError
from annotkit.learn.vectors import build_vectors

__all__ = ["CLUSTERS_FILE", "SIZES", "WordClusters", "build_clusters", "cluster_words"]

CLUSTERS_FILE = "clusters.tsv"
#: Cluster counts, coarse to fine.
SIZES = (64, 256)
_UNKNOWN = ("unk",)


@dataclass(frozen=True, slots=True)
class WordClusters:
    """Lower-cased word -> its cluster id per size (``"SIZE:ID"``)."""

    ids: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sizes: tuple[int, ...] = ()

    def of(self, word: str) -> tuple[str, ...]:
        """The cluster ids of ``word`` (any case); ``("unk",)`` for a word not in the corpus."""
        return self.ids.get(word.lower(), _UNKNOWN)

    def write(self, folder: str | Path) -> Path:
        """Write ``clusters.tsv`` into ``folder`` (a model folder being built)."""
        path = Path(folder) / CLUSTERS_FILE
        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, delimiter="\t", lineterminator="\n")
            w.writerow(["word", *(str(s) for s in self.sizes)])
            for word in sorted(self.ids):
                w.writerow([word, *(c.split(":", 1)[1] for c in self.ids[word])])
        return path

    @classmethod
    def read(cls, folder: str | Path) -> WordClusters | None:
        """What :meth:`write` wrote; ``None`` when the folder has no ``clusters.tsv``."""
        path = Path(folder) / CLUSTERS_FILE
        if not path.is_file():
            return None
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh, delimiter="\t"))
        try:
            sizes = tuple(int(s) for s in rows[0][1:])
            ids = {}
            for n, row in enumerate(rows[1:], 2):
                if len(row) != len(sizes) + 1:
                    raise ValueError(f"line {n} has {len(row)} columns, not {len(sizes) + 1}")
                ids[row[0]] = tuple(f"{s}:{int(c)}" for s, c in zip(sizes, row[1:], strict=True))
        except (IndexError, ValueError) as err:
            raise InputError(
                f"{path} is not a clusters file ({err}); retrain the model with "
                "`annotkit train --corpus FILE`"
            ) from None
        return cls(ids, sizes)


def _kmeans(x: np.ndarray[Any, Any], k: int, seed: int, iterations: int = 25) -> list[int]:
    """Spherical k-means of the unit rows of ``x``: the cluster of each row."""
    rng = np.random.default_rng(seed)
    centres = x[np.sort(rng.choice(len(x), size=k, replace=False))].astype(np.float64)
    assign = (x @ centres.T).argmax(axis=1)
    for _ in range(iterations):
        for j in range(k):
            members = x[assign == j]
            if len(members):
                mean = members.mean(axis=0)
                norm = float(np.linalg.norm(mean))
                centres[j] = mean / norm if norm > 0 else mean
        new = (x @ centres.T).argmax(axis=1)
        if np.array_equal(new, assign):
            break
        assign = new
    return [int(a) for a in assign]


def cluster_words(
    words: Sequence[str],
    vecs: np.ndarray[Any, Any],
    *,
    sizes: Sequence[int] = SIZES,
    seed: int = 0,
) -> WordClusters:
    """Cluster the unit word vectors ``vecs`` (one row per word of ``words``, as
    :func:`annotkit.learn.vectors.build_vectors` returns them), once per size."""
    x = vecs.astype(np.float64)
    # at most one cluster per ten words: a small corpus gets fewer, larger clusters
    per_size = [_kmeans(x, max(1, min(k, len(words) // 10)), seed + k) for k in sizes]
    ids = {
        w: tuple(f"{k}:{lab[i]}" for k, lab in zip(sizes, per_size, strict=True))
        for i, w in enumerate(words)
    }
    return WordClusters(ids, tuple(sizes))


def build_clusters(
    texts: Iterable[str],
    *,
    sizes: Sequence[int] = SIZES,
    dim: int = 50,
    min_count: int = 2,
    seed: int = 0,
) -> WordClusters:
    """Cluster the words of ``texts`` (seen ``min_count`` times or more), once per size:
    :func:`annotkit.learn.vectors.build_vectors` then :func:`cluster_words`."""
    words, vecs = build_vectors(texts, dim=dim, min_count=min_count, seed=seed)
    return cluster_words(words, vecs, sizes=sizes, seed=seed)
