from __future__ import annotations

import dataclasses
import pickle

import pytest

from annotkit.doc import Bead, Document, Segment, Span, check_spans, content_id
from annotkit.errors import AnnotkitError, InputError, OffsetError


def test_doc_span_rejects_empty_and_negative() -> None:
    with pytest.raises(OffsetError):
        Span(3, 3, "DOSE")
    with pytest.raises(OffsetError):
        Span(-1, 2, "DOSE")
    with pytest.raises(OffsetError):
        Span(0, 2, "")


def test_doc_rejects_out_of_range_unsorted_and_overlapping() -> None:
    with pytest.raises(OffsetError):
        Document("d", "abc", spans=(Span(0, 4, "DOSE"),))
    with pytest.raises(OffsetError):
        Document("d", "abcdef", spans=(Span(3, 4, "DOSE"), Span(0, 1, "DOSE")))
    with pytest.raises(OffsetError):
        Document("d", "abcdef", spans=(Span(0, 3, "DOSE"), Span(2, 4, "SCALE")))
    # touching spans are fine
    Document("d", "abcdef", spans=(Span(0, 3, "DOSE"), Span(3, 4, "SCALE")))


def test_doc_offset_error_is_an_input_error_and_annotkit_error() -> None:
    assert issubclass(OffsetError, InputError)
    assert issubclass(OffsetError, AnnotkitError)


def test_doc_text_of_and_replace(tricky_doc: Document) -> None:
    surfaces = [tricky_doc.text_of(s) for s in tricky_doc.spans]
    assert surfaces == ["MSCs", "5 mL", "VAS", "骨髓间充质干细胞"]
    doc2 = dataclasses.replace(tricky_doc, spans=tricky_doc.spans[:1])
    assert doc2.text == tricky_doc.text and len(doc2.spans) == 1


def test_doc_is_frozen_and_meta_read_only(tricky_doc: Document) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        tricky_doc.text = "x"  # type: ignore[misc]
    doc = Document("d", "abc", meta={"k": 1})
    with pytest.raises(TypeError):
        doc.meta["k"] = 2  # type: ignore[index]


def test_doc_pickle_round_trip(tricky_doc: Document) -> None:
    doc = dataclasses.replace(
        tricky_doc,
        meta={"encoding": "utf-8"},
        segments=(Segment(0, 4, "und", 1.0),),
    )
    back = pickle.loads(pickle.dumps(doc))
    assert back == doc and dict(back.meta) == {"encoding": "utf-8"}


def test_doc_span_norm_not_hashed() -> None:
    s = Span(0, 1, "DOSE", norm={"value": 5.0, "unit": "mL"})
    assert hash(s) == hash(Span(0, 1, "DOSE", norm={"value": 6.0, "unit": "mL"}))


def test_doc_content_id_is_stable() -> None:
    assert content_id("hello") == content_id("hello") == "aaf4c61ddcc5e8a2"
    assert content_id("hello") != content_id("hello ")


def test_doc_bead_format() -> None:
    assert Bead((0, 1), (2,)).format() == "[0,1]:[2]"
    assert Bead((), (3,)).format() == "[]:[3]"


def test_doc_check_spans_names_document() -> None:
    with pytest.raises(OffsetError, match="doc-7"):
        check_spans("ab", [Span(0, 5, "DOSE")], doc_id="doc-7")
