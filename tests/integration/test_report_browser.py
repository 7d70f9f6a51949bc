"""The report page in a real headless Chromium: no console errors, one highlight per span,
the exact text (Chinese, emoji, 𠀀, CRLF), search, pagination and links."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from annotkit.doc import Document, Review, Segment, Span
from annotkit.io import read_documents
from annotkit.pipeline import run_document
from annotkit.report import render_report

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "annotations" / "gold" / "seeds.jsonl"
PAGE_SIZE = 20


def _tricky() -> Document:
    text = "😀 MSCs\r\n𠀀 5 mL of cafe\u0301 cells; VAS <b>&amp;</b> 👍🏽 骨髓间充质干细胞"
    spans = [
        Span(
            text.index("MSCs"),
            text.index("MSCs") + 4,
            "CELL_TYPE",
            source="rule:abbrev.v1",
            score=0.8,
        ),  # fmt: skip
        Span(text.index("5 mL"), text.index("5 mL") + 4, "DOSE", source="rule:dose.v1"),
        Span(
            text.index("VAS"),
            text.index("VAS") + 3,
            "SCALE",
            source="person",
            status="added",
            by="alice",
        ),  # fmt: skip
        Span(text.index("骨髓"), len(text), "CELL_TYPE", source="projection", score=0.5),
    ]
    zh = text.index("骨髓")
    segs = (Segment(0, 7, "en", 1.0), Segment(9, zh, "en", 0.9), Segment(zh, len(text), "zh", 1.0))
    return Document("tricky", text, spans=tuple(spans), lang="en", segments=segs,
                    sentences=segs)  # fmt: skip


def _pulled(doc: Document) -> Document:
    spans = tuple(replace(s, status="kept", by="bob") for s in doc.spans)
    review = Review("confirmed", project="seeds", example=7, annotators=("bob",),
                    confirmed_by=("bob",), changes={"kept": len(spans), "removed": 1,
                    "added": 0, "relabelled": 0, "boundary_changed": 0})  # fmt: skip
    return replace(doc, id="pulled-" + doc.id, spans=spans, review=review)


@pytest.fixture(scope="module")
def corpus() -> list[Document]:
    seeds = [run_document(d).doc for d in read_documents([str(ROOT / "seeds")])]
    copies = [replace(seeds[i % 4], id=f"copy-{i:02d}") for i in range(20)]
    return [*seeds, _tricky(), _pulled(seeds[1]), *copies]


@pytest.fixture(scope="module")
def page(corpus: list[Document], tmp_path_factory: pytest.TempPathFactory) -> Path:
    gold = list(read_documents([str(GOLD)]))
    from annotkit.evaluate import evaluate

    scores = evaluate(gold, corpus[:5])
    out = tmp_path_factory.mktemp("report") / "report.html"
    html = render_report(corpus, gold=gold, scores=scores, page_size=PAGE_SIZE).html
    out.write_text(html, encoding="utf-8")
    return out


def _severe(browser: Any) -> list[dict[str, Any]]:
    return [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def _js(browser: Any, script: str, *args: Any) -> Any:
    return browser.execute_script(script, *args)


def _eventually(check: Any, timeout: float = 10.0) -> bool:
    """Poll ``check()`` until it is true (the page reacts to events in later tasks: the
    search box after a 150 ms pause, ``hashchange`` after a link's click); False at timeout."""
    import time

    end = time.monotonic() + timeout
    while not check():
        if time.monotonic() > end:
            return False
        time.sleep(0.05)
    return True


def _open(browser: Any, page: Path) -> None:
    browser.get_log("browser")  # forget earlier pages' messages
    browser.get(page.as_uri())


def test_report_browser_renders_every_span_once_without_errors(
    browser: Any, page: Path, corpus: list[Document]
) -> None:
    _open(browser, page)
    assert _js(browser, "return document.querySelectorAll('[data-label]').length") == sum(
        len(d.spans) for d in corpus
    )
    visible = _js(
        browser,
        "return Array.from(document.querySelectorAll('section.doc'))"
        ".filter(s => s.offsetParent !== null).map(s => s.dataset.id)",
    )
    assert visible == [d.id for d in corpus[:PAGE_SIZE]]
    shown_marks = _js(
        browser,
        "return Array.from(document.querySelectorAll('mark[data-label]'))"
        ".filter(m => m.offsetParent !== null).length",
    )
    assert shown_marks == sum(len(d.spans) for d in corpus[:PAGE_SIZE])
    assert _severe(browser) == []


def test_report_browser_text_and_highlights_are_exact(
    browser: Any, page: Path, corpus: list[Document]
) -> None:
    _open(browser, page)
    texts = _js(
        browser,
        "return Array.from(document.querySelectorAll('section.doc')).map(s => "
        "[s.dataset.id, s.querySelector('.text').textContent, Array.from("
        "s.querySelectorAll('mark[data-label]')).map(m => [m.dataset.label, m.textContent])])",
    )
    by_id = {d.id: d for d in corpus}
    assert len(texts) == len(corpus)
    for doc_id, text, marks in texts:
        doc = by_id[doc_id]
        assert text == doc.text, doc_id  # CRLF, emoji, 𠀀, combining accent, <b>&amp;</b>
        assert marks == [[s.label, doc.text_of(s)] for s in doc.spans], doc_id
    title = _js(browser, "return document.querySelector('#d5 mark[data-label=SCALE]').title")
    assert title == "SCALE · person · added by alice"
    title = _js(browser, "return document.querySelector('#d5 mark[data-label=CELL_TYPE]').title")
    assert title == "CELL_TYPE · rule:abbrev.v1 · confidence 0.80"


def test_report_browser_shows_chinese_and_aligned_pairs(browser: Any, page: Path) -> None:
    _open(browser, page)
    shown = _js(browser, "return document.getElementById('d4').innerText")
    assert "间充质干细胞" in shown
    cells = _js(
        browser,
        "return Array.from(document.querySelectorAll('#d4 table.beads td.tgt'))"
        ".map(td => td.innerText)",
    )
    assert len(cells) > 5 and all(any("\u4e00" <= ch <= "\u9fff" for ch in c) for c in cells[:5])
    assert "骨髓间充质干细胞" in _js(browser, "return document.getElementById('d5').innerText")
    pair_marks = _js(
        browser,
        "return Array.from(document.querySelectorAll('#d4 table.beads mark'))"
        ".map(m => [m.className, m.hasAttribute('data-label'), m.textContent])",
    )
    assert len(pair_marks) > 10  # the bead cells colour their entities too ...
    assert not any(has_label for _, has_label, _ in pair_marks)  # ... without a second mark
    assert any("\u4e00" <= t[0] <= "\u9fff" for _, _, t in pair_marks)  # Chinese ones too
    assert _severe(browser) == []


def test_report_browser_search_filter_and_pages(
    browser: Any, page: Path, corpus: list[Document]
) -> None:
    _open(browser, page)

    def visible() -> list[str]:
        return _js(
            browser,
            "return Array.from(document.querySelectorAll('section.doc'))"
            ".filter(s => !s.hidden).map(s => s.dataset.id)",
        )

    def search(term: str) -> None:
        box = browser.find_element("id", "q")
        box.clear()
        if term:
            box.send_keys(term)
        else:  # clear() fires no input event
            _js(browser, "arguments[0].dispatchEvent(new Event('input'))", box)
        browser.implicitly_wait(0)

    search("tricky")
    assert _eventually(lambda: visible() == ["tricky"]), visible()
    assert browser.find_element("id", "status").text.startswith("1 of 27 documents")
    search("骨髓间充质")
    expected = [d.id for d in corpus if "骨髓间充质" in d.text.lower()]
    assert _eventually(lambda: visible() == expected) and "tricky" in expected, visible()
    search("")
    assert _eventually(lambda: visible() == [d.id for d in corpus[:PAGE_SIZE]]), visible()
    browser.find_element("id", "next").click()
    assert visible() == [d.id for d in corpus[PAGE_SIZE:]]
    assert "page 2 of 2" in browser.find_element("id", "status").text
    browser.find_element("id", "prev").click()
    select = browser.find_element("id", "label-filter")
    _js(browser, "arguments[0].value = 'DOSE'; arguments[0].dispatchEvent(new Event('change'))",
        select)  # fmt: skip
    assert visible() == [d.id for d in corpus if any(s.label == "DOSE" for s in d.spans)][:20]
    assert _severe(browser) == []


def test_report_browser_index_link_opens_a_later_page(
    browser: Any, page: Path, corpus: list[Document]
) -> None:
    _open(browser, page)
    last = len(corpus) - 1
    _js(browser, "document.querySelector('#index details').open = true")
    browser.find_element("css selector", f'#index a[href="#d{last}"]').click()
    shown = f"return document.getElementById('d{last}').hidden === false"
    assert _eventually(lambda: _js(browser, shown) is True)
    assert "page 2 of 2" in browser.find_element("id", "status").text
    assert _severe(browser) == []
