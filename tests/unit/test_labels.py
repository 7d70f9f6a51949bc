"""annotkit.labels: one colour table, the same in doccano and in the report."""

from __future__ import annotations

from annotkit.doc import Document, Span
from annotkit.labels import LABEL_TYPES, label_colours


def test_labels_project_labels_first_extras_sorted_and_cycled() -> None:
    colours = label_colours(["ZZ", "DOSE", "AA"] + [f"X{i}" for i in range(6)])
    assert list(colours)[:3] == [t.name for t in LABEL_TYPES]
    assert colours["AA"] == "#9467bd" and colours["X0"] == "#8c564b"
    assert colours["X5"] == colours["AA"]  # the seventh extra label wraps around


def test_labels_doccano_push_uses_the_same_colours() -> None:
    from annotkit.sync import _label_specs

    doc = Document("d", "MSCs in the ORGAN", spans=(Span(12, 17, "ORGAN"),))
    specs = _label_specs([doc])
    assert {s.text: s.color for s in specs} == label_colours(["ORGAN"])
    assert {s.text: s.key for s in specs if s.key} == {t.name: t.key for t in LABEL_TYPES}
