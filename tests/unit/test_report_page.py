"""annotkit.report: the page (self-contained, deterministic), sample rule, gold, run folders."""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from annotkit.doc import Document, Span
from annotkit.errors import ConfigError, InputError
from annotkit.evaluate import evaluate
from annotkit.io import read_documents
from annotkit.pipeline import run_inputs
from annotkit.report import render_report, report, report_documents
from annotkit.report.page import _ordinal, _sample_step

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "annotations" / "gold" / "seeds.jsonl"


@pytest.fixture(scope="module")
def gold() -> list[Document]:
    return list(read_documents([str(GOLD)]))


def _predicted(gold: list[Document]) -> list[Document]:
    """Gold with a DOSE dropped, a SCALE moved and a spurious span: something to score."""
    out = []
    for i, d in enumerate(gold):
        spans = [s for s in d.spans if not (i == 0 and s.label == "DOSE")]
        if i == 1:
            s = next(s for s in spans if s.label == "CELL_TYPE")
            spans[spans.index(s)] = replace(s, end=s.end - 1, source="model:ner/v1", score=0.6)
        out.append(replace(d, spans=tuple(spans)))
    return out


class _Resources(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.marks = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "mark" and any(k == "data-label" for k, _ in attrs):
            self.marks += 1
        for key, value in attrs:
            if key in ("src", "href", "data") and value and not value.startswith(("#", "data:")):
                self.refs.append((tag, key, value))


def _scan(html: str) -> _Resources:
    scan = _Resources()
    scan.feed(html)
    return scan


def test_report_page_is_self_contained_and_marks_every_span(gold: list[Document]) -> None:
    page = report_documents(_predicted(gold), gold=gold)
    scan = _scan(page.html)
    assert scan.refs == []  # no script, style, font or image fetched at view time
    assert "@import" not in page.html and "url(" not in page.html
    assert scan.marks == sum(len(d.spans) for d in _predicted(gold))
    assert page.shown == page.documents == 5 and page.step == 1


def test_report_page_is_deterministic(gold: list[Document], tricky_doc: Document) -> None:
    docs = [*_predicted(gold), tricky_doc]
    first = render_report(docs, input_names=["x.jsonl"]).html
    assert first == render_report(docs, input_names=["x.jsonl"]).html
    assert str(ROOT) not in first


def test_report_page_gold_numbers_are_evaluate_numbers(gold: list[Document]) -> None:
    pred = _predicted(gold)
    html = report_documents(pred, gold=gold).html
    result = evaluate(gold, pred)
    section = html[
        html.index('<section id="gold">') : html.index("</section>", html.index('id="gold"'))
    ]
    cells = re.findall(r"<tr><th>.*?>(\w+)</span></th>(.*?)</tr>", section)
    assert [lab for lab, _ in cells] == list(result["labels"])
    for label, row in cells:
        values = re.findall(r"<td>([^<]*)</td>", row)
        s, le = result["strict"]["per_label"][label], result["lenient"]["per_label"][label]
        expected = [str(s["gold"]), str(s["pred"])] + [
            f"{x:.3f}"
            for x in (
                s["precision"],
                s["recall"],
                s["f1"],
                le["precision"],
                le["recall"],
                le["f1"],
            )  # fmt: skip
        ]
        assert values == expected, label
    assert 'data-gold="partial"' in html  # the moved CELL_TYPE overlaps its gold span
    assert "gold spans not matched exactly" in html


def test_report_page_gold_missing_documents_is_an_error(gold: list[Document]) -> None:
    with pytest.raises(InputError):
        report_documents(_predicted(gold)[:2], gold=gold)
    page = report_documents(_predicted(gold)[:2], gold=gold, intersection=True)
    assert "3 gold documents without a prediction left out" in page.html


def test_report_page_samples_every_kth_document_within_budget(gold: list[Document]) -> None:
    docs = [replace(gold[i % 5], id=f"doc{i:02d}") for i in range(12)]
    full = render_report(docs)
    max_mb = (full.size - full.views_bytes * 2 / 3) / 1_000_000
    page = render_report(docs, max_mb=max_mb)
    assert page.step >= 3 and page.shown == len(range(0, 12, page.step))
    assert page.size <= max_mb * 1_000_000
    rule = f"every {_ordinal(page.step)} document in input order, starting with the first"
    assert rule in page.html
    shown_ids = re.findall(r'<section class="doc" id="d(\d+)"', page.html)
    assert shown_ids == [str(i) for i in range(0, 12, page.step)]
    assert _scan(page.html).marks == sum(len(docs[i].spans) for i in range(0, 12, page.step))
    assert page.html.count("<tr data-id=") == 12  # the index lists every document


def test_report_page_nothing_fits_shows_summary_and_index(gold: list[Document]) -> None:
    full = render_report(gold)
    page = render_report(gold, max_mb=(full.size - full.views_bytes + 500) / 1_000_000)
    assert page.shown == 0 and "No document view fits" in page.html
    assert page.html.count("<tr data-id=") == 5


def test_report_page_sample_step_rule() -> None:
    assert _sample_step([10] * 10, 100) == 1
    assert _sample_step([10] * 10, 50) == 2
    assert _sample_step([10] * 10, 30) == 4  # every 3rd would be 4 views, 40 bytes
    assert _sample_step([100, 1, 1], 50) == 3  # nothing fits: the caller shows no view
    assert [_ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 103)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "103rd"
    ]  # fmt: skip


def test_report_page_long_document_is_cut_after_max_chars(gold: list[Document]) -> None:
    page = render_report(gold[:1], max_chars=200)
    assert "Shown: the first" in page.html and "--max-chars" in page.html
    spans_before = sum(1 for s in gold[0].spans if s.end <= 200)
    assert _scan(page.html).marks == spans_before


def test_report_page_review_section_from_pulled_record() -> None:
    from annotkit.doc import Review

    doc = Document(
        "p1",
        "VAS fell",
        spans=(Span(0, 3, "SCALE", status="changed", by="alice"),),
        review=Review(
            "confirmed",
            annotators=("alice",),
            confirmed_by=("alice",),
            comments=({"user": "alice", "text": "<b>fixed</b>"},),
            changes={"kept": 0, "removed": 1, "added": 0, "relabelled": 0, "boundary_changed": 1},
        ),  # fmt: skip
    )
    html = render_report([doc]).html
    assert '<section id="review">' in html
    assert "&lt;b&gt;fixed&lt;/b&gt;" in html  # comments are text, not markup
    assert "boundary changed <b>1</b>" in html


def test_report_page_options_must_be_positive() -> None:
    with pytest.raises(ConfigError):
        render_report([Document("d", "x")], max_mb=0)


def test_report_run_folder_counts_each_document_once(tmp_path: Path, gold: list[Document]) -> None:
    from annotkit.pipeline import DocumentResult, write_results

    results = [DocumentResult(d, d, d) for d in gold]
    write_results(results, tmp_path / "run")
    (tmp_path / "run" / "extra.jsonl").write_text(
        '{"id": "more", "text": "5 mL"}\n', encoding="utf-8"
    )
    files = run_inputs([str(tmp_path / "run")])
    assert files == [
        str(tmp_path / "run" / "annotate.jsonl"),
        str(tmp_path / "run" / "extra.jsonl"),
    ]
    page = report([str(tmp_path / "run")])
    assert page.documents == 6
    assert run_inputs(["-", "a.jsonl"]) == ["-", "a.jsonl"]


def test_report_demo_page_is_up_to_date() -> None:
    """annotations/pre/report.html is what `make demo` writes from the committed records."""
    committed = ROOT / "annotations" / "pre" / "report.html"
    page = report(
        [str(ROOT / "annotations" / "pre")],
        gold=str(GOLD),
        input_names=["annotations/pre"],  # as the Makefile names them
        gold_name="annotations/gold/seeds.jsonl",
    )
    assert page.html == committed.read_text(encoding="utf-8"), "stale demo report: `make demo`"
