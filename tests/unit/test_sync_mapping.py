"""Code point <-> doccano offsets (UTF-16 and grapheme) and the change report."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotkit.doc import Document, Span
from annotkit.errors import OffsetError
from annotkit.offsets import OffsetMap
from annotkit.sync.diff import ChangeReport, compare_spans, format_report
from annotkit.sync.mapping import (
    ExampleRecord,
    _Utf16Map,
    spans_from_doccano,
    spans_to_doccano,
    to_import_record,
)


def test_sync_mapping_utf16_tricky_round_trip(tricky_doc: Document) -> None:
    rec = to_import_record(tricky_doc, mode="utf16")
    assert rec["annotkit_id"] == "tricky"
    # annotators read example meta in doccano: no bookkeeping goes there
    assert set(rec) == {"text", "label", "annotkit_id"}
    units = tricky_doc.text.encode("utf-16-le")
    for (s, e, label), span in zip(rec["label"], tricky_doc.spans, strict=True):
        assert units[2 * s : 2 * e].decode("utf-16-le") == tricky_doc.text_of(span)
        assert label == span.label
    back = spans_from_doccano(tricky_doc.text, rec["label"], mode="utf16")
    assert [(s.start, s.end, s.label) for s in back] == [
        (s.start, s.end, s.label) for s in tricky_doc.spans
    ]


def test_sync_mapping_grapheme_round_trip(tricky_doc: Document) -> None:
    items = spans_to_doccano(tricky_doc.text, tricky_doc.spans, mode="grapheme")
    # "😀 MSCs\r\n": the emoji is one cluster and CRLF is one cluster
    assert items[0][:2] == [2, 6]
    assert items[1][0] == tricky_doc.spans[1].start - 1  # CRLF is one cluster
    back = spans_from_doccano(tricky_doc.text, items, mode="grapheme")
    assert [(s.start, s.end) for s in back] == [(s.start, s.end) for s in tricky_doc.spans]


def test_sync_mapping_grapheme_rejects_cut_cluster() -> None:
    text = "cafe\u0301 ok"
    with pytest.raises(OffsetError):
        spans_to_doccano(text, [Span(0, 4, "DOSE")], mode="grapheme")


def test_sync_mapping_utf16_rejects_half_surrogate() -> None:
    with pytest.raises(OffsetError):
        spans_from_doccano("😀 MSCs", [[1, 4, "CELL_TYPE"]], mode="utf16")


def test_sync_mapping_overlaps_and_duplicates_collapse() -> None:
    text = "5 mL of MSCs"
    spans = spans_from_doccano(
        text,
        [[0, 4, "DOSE"], [0, 4, "DOSE"], [2, 4, "DOSE"], [8, 12, "CELL_TYPE"]],
        mode="utf16",
    )
    assert [(s.start, s.end, s.label) for s in spans] == [(0, 4, "DOSE"), (8, 12, "CELL_TYPE")]


@given(
    st.text(alphabet=st.sampled_from(["a", " ", "😀", "𠀀", "\r", "\n", "中", "é"]), max_size=30)
)
def test_sync_mapping_utf16_fast_map_matches_offsetmap(text: str) -> None:
    fast, slow = _Utf16Map(text), OffsetMap.build(text, "utf16")
    for i in range(len(text) + 1):
        assert fast.to_external(i) == slow.to_external(i)
    for u in range(slow.units[-1] + 2):
        try:
            expected: int | None = slow.from_external(u)
        except OffsetError:
            expected = None
        try:
            got: int | None = fast.from_external(u)
        except OffsetError:
            got = None
        assert got == expected


def test_sync_mapping_meta_goes_to_doccano_and_legacy_keys_are_read() -> None:
    # the document's own meta stays in the ledger: doccano's importer turns keys missing
    # from some lines into NaN, which its database rejects
    doc = Document("d", "5 mL", spans=(Span(0, 4, "DOSE"),), meta={"source": "a.txt"})
    rec = to_import_record(doc, mode="utf16")
    assert rec == {"text": "5 mL", "label": [[0, 4, "DOSE"]], "annotkit_id": "d"}
    old = ExampleRecord(
        example_id=7,
        text="😀 MSCs",
        meta={"annotkit_id": "d", "annotkit_pre": [[2, 6, "DOSE"]], "annotkit_hash": "h",
              "source": "a.txt"},
        label=((3, 7, "CELL_TYPE"),),
    )  # fmt: skip
    assert old.annotkit_id == "d" and old.legacy_pre() == ((2, 6, "DOSE"),)
    assert old.has_legacy_meta and old.user_meta() == {"source": "a.txt"}
    new = ExampleRecord(example_id=8, text="x", meta={"annotkit_id": "e"}, label=())
    assert new.legacy_pre() is None and not new.has_legacy_meta and new.user_meta() == {}


def test_sync_diff_classifies_each_change() -> None:
    pre = [(0, 4, "DOSE"), (10, 14, "SCALE"), (20, 24, "CELL_TYPE"), (30, 34, "DOSE")]
    final = [(0, 4, "DOSE"), (10, 14, "DOSE"), (19, 24, "CELL_TYPE"), (40, 44, "SCALE")]
    kinds = {k: len(v) for k, v in compare_spans(pre, final).items()}
    assert kinds == {"kept": 1, "relabelled": 1, "boundary_changed": 1, "removed": 1, "added": 1}
    report = ChangeReport()
    report.add(pre, final)
    out = report.to_dict()
    assert out["micro"]["precision"] == 0.25 and out["micro"]["recall"] == 0.25
    assert out["labels"]["DOSE"]["kept"] == 1 and out["labels"]["DOSE"]["removed"] == 1
    assert out["labels"]["DOSE"]["pre_annotated"] == 2
    assert out["labels"]["SCALE"]["added"] == 1
    assert "DOSE" in format_report(out)
