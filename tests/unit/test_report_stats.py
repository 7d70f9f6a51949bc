"""annotkit.report.stats and charts: corpus counts read from the record, histograms, bars."""

from __future__ import annotations

from annotkit.doc import Document, PassagePair, Review, Segment, SentencePair, Span
from annotkit.report.charts import bar_chart, histogram_chart, nice_max
from annotkit.report.stats import corpus_stats, histogram, ordered_labels


def _bilingual() -> Document:
    text = "MSCs 5 mL.\n间充质干细胞 5 毫升。"
    zh = text.index("间")
    spans = (
        Span(0, 4, "CELL_TYPE", source="rule:lexicon.v1", score=1.0),
        Span(5, 9, "DOSE", source="rule:dose.v1", score=0.9),
        Span(zh, zh + 6, "CELL_TYPE", source="projection", score=0.55),
        Span(zh + 7, zh + 11, "DOSE", source="model:ner/v1"),
    )
    sentences = (Segment(0, 10, "en", 1.0), Segment(zh, len(text), "zh", 0.9))
    pair = PassagePair((0, 10), (zh, len(text)), "en", "zh", 0.7,
                       (SentencePair(((0, 10),), ((zh, len(text)),), 0.7),))  # fmt: skip
    return Document("bi", text, spans=spans, lang="en", segments=sentences,
                    sentences=sentences, pairs=(pair,))  # fmt: skip


def _pulled() -> Document:
    text = "VAS fell; ODI too; MSCs"
    spans = (
        Span(0, 3, "SCALE", status="kept", by="alice"),
        Span(10, 13, "SCALE", status="changed", by="alice"),
        Span(19, 23, "CELL_TYPE", status="added", by="bob"),
    )
    review = Review("confirmed", project="p", example=3, annotators=("alice", "bob"),
                    confirmed_by=("alice",), comments=({"user": "bob", "text": "ok"},),
                    changes={"kept": 1, "removed": 2, "added": 1, "relabelled": 0,
                             "boundary_changed": 1})  # fmt: skip
    return Document("pulled", text, spans=spans, review=review, lang="en",
                    sentences=(Segment(0, len(text), "en", 1.0),))  # fmt: skip


def test_report_stats_entities_per_label_language_and_source() -> None:
    stats = corpus_stats([_bilingual(), _pulled()])
    assert stats.documents == 2 and stats.spans == 7
    assert stats.labels == ("CELL_TYPE", "DOSE", "SCALE")
    assert stats.entities["CELL_TYPE"] == {"en": 2, "zh": 1}
    assert stats.entities["DOSE"] == {"en": 1, "zh": 1}
    assert stats.sources["(none)"] == {"CELL_TYPE": 1, "DOSE": 0, "SCALE": 2}
    assert stats.sources["projection"]["CELL_TYPE"] == 1
    assert stats.unscored == 4  # the model span and the three people's spans
    assert stats.confidence.total == 3
    assert stats.confidence.series["CELL_TYPE"][19] == 1  # 1.0 falls in the last bin
    assert stats.confidence.series["CELL_TYPE"][11] == 1  # 0.55
    assert stats.pairs == 1 and stats.bead_shapes == {"1-1": 1}
    assert stats.lang_pairs == {"en-zh": 1}


def test_report_stats_review_from_record_fields() -> None:
    stats = corpus_stats([_bilingual(), _pulled()])
    review = stats.review
    assert review is not None
    assert review.states == {"confirmed": 1}
    assert review.status["SCALE"] == {"kept": 1, "changed": 1}
    assert review.status["CELL_TYPE"] == {"added": 1, "none": 2}
    assert review.changes == {"kept": 1, "removed": 2, "added": 1, "relabelled": 0,
                              "boundary_changed": 1}  # fmt: skip
    assert review.annotators == {"alice": 1, "bob": 1}
    assert review.comments == 1


def test_report_stats_machine_suggestions_alone_have_no_review() -> None:
    doc = Document("d", "MSCs", spans=(Span(0, 4, "CELL_TYPE", status="suggested"),))
    assert corpus_stats([doc]).review is None


def test_report_stats_histogram_edges_and_outside() -> None:
    h = histogram({"a": [0.0, 0.24, 0.25, 1.0, -0.1, float("nan")]}, bins=4)
    assert h.series["a"] == (2, 1, 0, 1)
    assert h.outside == 2
    assert h.edges() == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_report_stats_labels_project_first_then_sorted() -> None:
    assert ordered_labels(["ZED", "DOSE", "ABC", "CELL_TYPE"]) == (
        "CELL_TYPE",
        "DOSE",
        "ABC",
        "ZED",
    )


def test_report_charts_bars_scale_to_the_largest() -> None:
    chart = bar_chart([("A", {"en": 3, "zh": 1}), ("B", {"en": 2})], {"en": "#111111"})
    widths = {r.title: r.w for r in chart.rects}
    assert widths["A · en: 3"] == round(3 * widths["B · en: 2"] / 2, 1)
    assert [r.fill for r in chart.rects] == ["#111111", "#999999", "#111111"]
    hist = histogram_chart(histogram({"x": [0.1, 0.1, 0.9]}, bins=10), {"x": "#222222"})
    assert sorted(r.title for r in hist.rects) == ["x 0.10–0.20: 2", "x 0.90–1.00: 1"]
    assert [nice_max(v) for v in (1, 3, 7, 11, 96, 101)] == [1, 5, 10, 20, 100, 200]
