"""Export splits: ``--split`` shares, split names and the empty-split rule, for every format.

NER and parallel exports split the same way: :func:`annotkit.split.split_documents` by a
hash of each document's group id (a document and its translation share a split), with
``min_nonempty`` so that no asked-for split stays empty while there are enough groups.

The empty-split rule: a split with a zero share (``90/10/0``) was not asked for and is not
written. A split with a share that would still be empty (fewer document groups than
splits) is an :class:`~annotkit.errors.InputError` naming the fix, or, with
``skip_empty=True``, a warning: it is not written and the dataset card says why.

EXAMPLE:
    >>> from annotkit.doc import Document
    >>> plan = plan_splits([Document(f"d{i}", "x") for i in range(5)], parse_split("80/10/10"))
    >>> {name: len(docs) for name, docs in plan.parts.items()}
    {'train': 3, 'dev': 1, 'test': 1}
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from annotkit.doc import Document
from annotkit.errors import InputError
from annotkit.split import group_key, split_documents

__all__ = ["SplitPlan", "parse_split", "plan_splits", "split_names"]

logger = logging.getLogger(__name__)

_NAMES = {2: ("train", "test"), 3: ("train", "dev", "test")}


def parse_split(value: str | Sequence[float] | None) -> tuple[float, ...] | None:
    """``"80/10/10"`` -> ``(80.0, 10.0, 10.0)``; None stays None.

    EXAMPLE:
        >>> parse_split("80/20")
        (80.0, 20.0)
    """
    if value is None:
        return None
    try:
        parts = (
            tuple(float(x) for x in value.split("/"))
            if isinstance(value, str)
            else tuple(float(x) for x in value)
        )
    except ValueError:
        parts = ()
    if len(parts) not in (2, 3) or any(not p >= 0 for p in parts) or sum(parts) <= 0:
        raise InputError(
            f"bad --split {value!r}; give two or three shares like 80/10/10 (train/dev/test) "
            "or 90/10 (train/test)"
        )
    return parts


def split_names(shares: Sequence[float] | None) -> tuple[str, ...]:
    """``("all",)`` without shares, ``train/test`` for two, ``train/dev/test`` for three."""
    return _NAMES[len(shares)] if shares else ("all",)


@dataclass(frozen=True, slots=True)
class SplitPlan:
    """Which documents go to which split, and which splits are not written and why.

    ``parts`` holds only the splits to write, in order (``train``, ``dev``, ``test``).
    """

    shares: tuple[float, ...] | None
    parts: Mapping[str, list[Document]]
    left_out: Mapping[str, str] = field(default_factory=dict)


def plan_splits(
    docs: Sequence[Document], shares: Sequence[float] | None, *, skip_empty: bool = False
) -> SplitPlan:
    """Split ``docs`` for an export by the empty-split rule (module docstring).

    docs (Sequence[Document]): the documents to export (at least one).
    shares (Sequence[float] | None): :func:`parse_split` output; None: one ``all`` split.
    skip_empty (bool): a split that would be empty is left out with a warning instead of
        raising :class:`~annotkit.errors.InputError`.
    RETURNS (SplitPlan): the splits to write and the ones left out.
    """
    if not shares:
        return SplitPlan(None, {"all": list(docs)})
    names = split_names(shares)
    parts = split_documents(docs, shares, names, min_nonempty=True)
    groups = len(set(group_key(docs).values()))
    asked = sum(1 for s in shares if s > 0)
    left_out: dict[str, str] = {}
    for name, share in zip(names, shares, strict=True):
        if share <= 0:
            left_out[name] = "share 0: not asked for"
        elif not parts[name]:
            why = (
                f"empty: {len(docs)} document(s) form {groups} group(s) (a document and its "
                f"translation are one group) for {asked} split(s)"
            )
            if not skip_empty:
                shown = "/".join(f"{s:g}" for s in shares)
                raise InputError(
                    f"split {name!r} of --split {shown} would be {why}; give fewer shares "
                    "(e.g. --split 80/20) or more documents, or pass --skip-empty-splits to "
                    "leave it out with a warning"
                )
            logger.warning("split %r is not written: %s", name, why)
            left_out[name] = why
    kept = {name: part for name, part in parts.items() if name not in left_out}
    return SplitPlan(tuple(float(s) for s in shares), kept, left_out)
