"""The span label types: name, display colour and doccano shortcut key.

One table for every place that shows labels: the doccano project that
:func:`annotkit.sync.push` sets up and the HTML report (:mod:`annotkit.report`) colour a
label alike. Labels outside the table get colours from :data:`EXTRA_COLOURS`, in sorted
order, the same way in both places.

EXAMPLE:
    >>> label_colours(["DOSE", "ORGAN"])
    {'CELL_TYPE': '#1f77b4', 'DOSE': '#d62728', 'SCALE': '#2ca02c', 'ORGAN': '#9467bd'}
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["EXTRA_COLOURS", "LABEL_TYPES", "LabelType", "label_colours"]


@dataclass(frozen=True, slots=True)
class LabelType:
    """A span label: its name, background colour (``#rrggbb``) and shortcut key."""

    name: str
    colour: str
    key: str | None = None


#: The project's labels (docs/annotation-guidelines.md) with their doccano colours and keys.
LABEL_TYPES: tuple[LabelType, ...] = (
    LabelType("CELL_TYPE", "#1f77b4", "c"),
    LabelType("DOSE", "#d62728", "d"),
    LabelType("SCALE", "#2ca02c", "s"),
)

#: Colours for labels outside :data:`LABEL_TYPES`, given out in sorted label order (cycled).
EXTRA_COLOURS: tuple[str, ...] = (
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)


def label_colours(labels: Iterable[str] = ()) -> dict[str, str]:
    """Label -> colour: the :data:`LABEL_TYPES` first, then ``labels`` outside them, sorted.

    arg labels (Iterable[str]): labels in use (any order, repeats allowed).
    RETURNS dict[str, str]: every label of :data:`LABEL_TYPES` and of ``labels``.
    """
    colours = {t.name: t.colour for t in LABEL_TYPES}
    extra = sorted(set(labels) - set(colours))
    for i, label in enumerate(extra):
        colours[label] = EXTRA_COLOURS[i % len(EXTRA_COLOURS)]
    return colours
