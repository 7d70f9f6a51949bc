"""annotkit.report.markup: exact escaping, one mark per span, runs nested properly."""

from __future__ import annotations

from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from annotkit.doc import Document, Segment, Span
from annotkit.report.markup import escape_text, highlight, span_title, truncate


class _Reader(HTMLParser):
    """Reads back what a browser would: the text, each mark's text and attributes, nesting."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.stack: list[str] = []
        self.marks: list[tuple[dict[str, str | None], list[str]]] = []
        self.runs: list[tuple[str | None, list[str]]] = []
        self.open_mark: list[str] | None = None
        self.open_run: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack.append(tag)
        if tag == "mark":
            assert self.open_mark is None, "marks never nest"
            self.open_mark = []
            self.marks.append((dict(attrs), self.open_mark))
        elif tag == "span":
            assert self.open_run is None, "runs never nest"
            self.open_run = []
            self.runs.append((dict(attrs).get("data-lang"), self.open_run))

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack.pop() == tag, f"badly nested </{tag}>"
        if tag == "mark":
            self.open_mark = None
        elif tag == "span":
            self.open_run = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        for part in (self.open_mark, self.open_run):
            if part is not None:
                part.append(data)


def _read(html: str) -> _Reader:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    assert not reader.stack, "unclosed elements"
    return reader


def test_report_markup_tricky_text_reads_back_exactly(tricky_doc: Document) -> None:
    runs = (Segment(0, 7, "en", 1.0), Segment(9, 11, "zh", 0.9))
    html = str(highlight(tricky_doc.text, tricky_doc.spans, runs))
    back = _read(html)
    assert "".join(back.text) == tricky_doc.text  # CRLF, emoji, 𠀀, combining accent
    assert "&#13;" in html and "\r" not in html
    assert [(a["data-label"], "".join(t)) for a, t in back.marks] == [
        (s.label, tricky_doc.text_of(s)) for s in tricky_doc.spans
    ]


def test_report_markup_escapes_markup_characters() -> None:
    text = 'a<b>&amp; "q" </mark><script>x</script> 5 mL'
    span = Span(text.index("5 mL"), len(text), 'DO<SE"')
    html = str(highlight(text, [span]))
    back = _read(html)
    assert "".join(back.text) == text
    assert back.marks[0][0]["data-label"] == 'DO<SE"'
    assert "<script>" not in html


def test_report_markup_span_crossing_runs_stays_one_mark() -> None:
    text = "骨髓来源的 MSCs were given"
    runs = [Segment(0, 5, "zh", 0.9), Segment(5, len(text), "en", 0.8)]
    span = Span(0, text.index(" were"), "CELL_TYPE")
    back = _read(str(highlight(text, [span], runs)))
    assert len(back.marks) == 1
    assert "".join(back.marks[0][1]) == "骨髓来源的 MSCs"
    assert [lang for lang, _ in back.runs] == ["zh", "en", "en"]  # en run cut at the span end
    assert "".join("".join(t) for _, t in back.runs) == text


def test_report_markup_nul_and_lone_surrogates_keep_offsets() -> None:
    text = "a\0b\ud800c"
    out = escape_text(text)
    assert out == "a\ufffdb\ufffdc"
    assert len(out) == len(text)
    out.encode("utf-8")  # writable


def test_report_markup_title_names_source_confidence_status() -> None:
    span = Span(0, 4, "DOSE", source="rule:dose.v1", score=0.9, status="kept", by="alice",
                norm={"value": 5.0, "unit": "mL"})  # fmt: skip
    assert (
        span_title(span)
        == "DOSE · rule:dose.v1 · confidence 0.90 · kept by alice · unit=mL, value=5.0"
    )
    assert span_title(Span(0, 1, "X")) == "X"


def test_report_markup_truncate_never_cuts_a_span() -> None:
    text = "0123456789" * 3
    spans = [Span(2, 4, "A"), Span(8, 14, "B"), Span(20, 22, "C")]
    cut = truncate(text, spans, 10)
    assert cut.end == 14 and cut.cut
    assert [s.label for s in cut.spans] == ["A", "B"] and cut.hidden_spans == 1
    back = _read(str(highlight(text, cut.spans, end=cut.end)))
    assert "".join(back.text) == text[:14]
    assert not truncate(text, spans, 100).cut


_CHARS = st.sampled_from(list("ab <&>\r\n\t\"'") + ["😀", "𠀀", "\u0301", "骨", "\u2028"])


@st.composite
def _documents(draw: st.DrawFn) -> tuple[str, list[Span], list[Segment]]:
    text = "".join(draw(st.lists(_CHARS, min_size=1, max_size=40)))
    cuts = sorted(set(draw(st.lists(st.integers(0, len(text)), max_size=12))))
    pieces = list(zip(cuts, cuts[1:], strict=False))
    spans = [Span(a, b, draw(st.sampled_from(["A", "B"]))) for a, b in pieces[::2]]
    bounds = sorted(set(draw(st.lists(st.integers(0, len(text)), max_size=8))))
    segs = [Segment(a, b, draw(st.sampled_from(["en", "zh"])), 0.5)
            for a, b in list(zip(bounds, bounds[1:], strict=False))[::2]]  # fmt: skip
    return text, spans, segs


@settings(max_examples=300, deadline=None)
@given(_documents())
def test_report_markup_any_text_spans_and_runs_read_back(
    case: tuple[str, list[Span], list[Segment]],
) -> None:
    text, spans, segs = case
    back = _read(str(highlight(text, spans, segs)))
    assert "".join(back.text) == text
    assert ["".join(t) for _, t in back.marks] == [text[s.start : s.end] for s in spans]
    assert [a["data-label"] for a, _ in back.marks] == [s.label for s in spans]
