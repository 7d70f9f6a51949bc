"""Deterministic, leakage-free document splits (train/dev/test, cross-validation folds).

A document and its translation (``meta["translation_of"]``, ``meta["group"]``,
``group_id``, ``pair_id``) always land in the same split; the split of a group is a hash of
its id, so it does not depend on the order or the size of the batch.

EXAMPLE:
    >>> from annotkit.doc import Document
    >>> docs = [Document(f"d{i}", "x") for i in range(10)]
    >>> {k: len(v) for k, v in split_documents(docs).items()}
    {'train': 8, 'dev': 1, 'test': 1}
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence

from annotkit.doc import Document
from annotkit.errors import InputError

__all__ = ["fold_documents", "group_key", "split_documents"]


_GROUP_KEYS = ("translation_of", "group", "group_id", "pair_id")


def group_key(docs: Sequence[Document]) -> dict[str, str]:
    """Map each document id to its group id: documents linked by ``meta["translation_of"]``
    (or a shared ``meta["group"]``/``group_id``/``pair_id``) share the smallest id in the group.

    EXAMPLE:
        >>> group_key([Document("en1", "a"), Document("zh1", "b", meta={"translation_of": "en1"})])
        {'en1': 'en1', 'zh1': 'en1'}
    """
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(x: str, y: str) -> None:
        rx, ry = find(x), find(y)
        if rx != ry:
            lo, hi = sorted((rx, ry))
            parent[hi] = lo

    for doc in docs:
        find(doc.id)
        for key in _GROUP_KEYS:
            value = doc.meta.get(key)
            if isinstance(value, str | int) and str(value):
                # group values live in their own namespace so "group: 7" ≠ a doc with id "7"
                other = str(value) if key == "translation_of" else f"\x00{key}:{value}"
                union(doc.id, other)
    groups: dict[str, list[str]] = {}
    for doc in docs:
        groups.setdefault(find(doc.id), []).append(doc.id)
    out: dict[str, str] = {}
    for members in groups.values():
        key = min(members)
        for m in members:
            out[m] = key
    return out


def _unit_hash(key: str) -> float:
    return int(hashlib.sha1(key.encode("utf-8")).hexdigest()[:12], 16) / float(16**12)


def split_documents(
    docs: Iterable[Document],
    ratios: Sequence[float] = (0.8, 0.1, 0.1),
    names: Sequence[str] = ("train", "dev", "test"),
    *,
    min_nonempty: bool = False,
) -> dict[str, list[Document]]:
    """Deterministic, leakage-free document split by a hash of each document's group id.

    docs (Iterable[Document]): documents; translations are kept together (:func:`group_key`).
    ratios (Sequence[float]): shares per split (normalised; ``80/10/10`` -> 0.8, 0.1, 0.1).
    names (Sequence[str]): split names, one per ratio.
    min_nonempty (bool): with at least as many groups as splits, move whole groups so that no
        split with a non-zero ratio is empty (small data sets).
    RETURNS (dict[str, list[Document]]): split name -> documents in input order.

    EXAMPLE:
        >>> docs = [Document(f"d{i}", "x") for i in range(10)]
        >>> {k: len(v) for k, v in split_documents(docs).items()}
        {'train': 8, 'dev': 1, 'test': 1}
    """
    docs = list(docs)
    if len(ratios) != len(names) or not ratios or any(r < 0 for r in ratios) or sum(ratios) <= 0:
        raise InputError(
            f"split ratios {list(ratios)} do not match split names {list(names)}; give one "
            "non-negative share per split, e.g. 80/10/10"
        )
    total = float(sum(ratios))
    bounds: list[float] = []
    acc = 0.0
    for r in ratios:
        acc += r / total
        bounds.append(acc)
    keys = group_key(docs)
    unit_of: dict[str, float] = {k: _unit_hash(k) for k in set(keys.values())}

    def bucket(h: float) -> int:
        for i, bound in enumerate(bounds):
            if h < bound:
                return i
        return len(bounds) - 1

    assign = {k: bucket(h) for k, h in unit_of.items()}
    if min_nonempty and len(assign) >= sum(1 for r in ratios if r > 0):
        for i, r in enumerate(ratios):
            if r <= 0 or i in assign.values():
                continue
            # take the group, from the fullest split, whose hash lies closest to this bucket
            counts = Counter(assign.values())
            donors = [k for k, b in assign.items() if counts[b] > 1]
            lo = bounds[i - 1] if i else 0.0
            mid = (lo + bounds[i]) / 2
            best = min(donors, key=lambda k: (abs(unit_of[k] - mid), k))
            assign[best] = i
    out: dict[str, list[Document]] = {n: [] for n in names}
    for doc in docs:
        out[names[assign[keys[doc.id]]]].append(doc)
    return out


def fold_documents(docs: Iterable[Document], k: int, *, seed: str = "") -> list[list[Document]]:
    """``k`` cross-validation folds of (almost) equal numbers of groups, leakage-free.

    Groups (:func:`group_key`) are ordered by a hash of ``seed`` and their id and dealt out
    round robin, so fold sizes differ by at most one group and the folds do not depend on
    the input order; another ``seed`` gives another partition (repeated cross-validation).
    With fewer groups than ``k`` there are as many folds as groups.

    RETURNS (list[list[Document]]): the folds, documents in input order.

    EXAMPLE:
        >>> docs = [Document(f"d{i}", "x") for i in range(7)]
        >>> [len(f) for f in fold_documents(docs, 3)]
        [3, 2, 2]
    """
    docs = list(docs)
    if k < 1:
        raise InputError(f"cannot make {k} folds; ask for at least 1")
    keys = group_key(docs)
    groups = sorted(set(keys.values()), key=lambda g: (_unit_hash(f"{seed}\x00{g}"), g))
    n = min(k, len(groups))
    fold_of = {g: i % n for i, g in enumerate(groups)} if n else {}
    out: list[list[Document]] = [[] for _ in range(n)]
    for doc in docs:
        out[fold_of[keys[doc.id]]].append(doc)
    return out
