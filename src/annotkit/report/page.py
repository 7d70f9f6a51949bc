"""Build the report page: document views, the sample rule, the corpus summary, the HTML.

Every document is counted in the summary and listed in the index (up to
:data:`MAX_INDEX_ROWS`). Each document also gets a full view (its text with highlights,
language runs, aligned sentence pairs, review and gold comparison) as long as the page fits
its size budget; when it does not, the page shows every k-th document in input order, the
first included, with the smallest k that fits, and says so.
A view longer than ``max_chars`` shows the text up to there (never cutting a span) and says
how many spans it leaves out. The page is the same for the same input: no timestamps, no
absolute paths (inputs are named as given).
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from markupsafe import Markup

from annotkit.doc import Document, PassagePair, Span
from annotkit.errors import ConfigError
from annotkit.labels import label_colours
from annotkit.report.charts import Chart, bar_chart, histogram_chart
from annotkit.report.markup import Truncated, escape_text, highlight, truncate
from annotkit.report.stats import CorpusStats, corpus_stats, ordered_labels

__all__ = [
    "DEFAULT_MAX_CHARS",
    "DEFAULT_MAX_MB",
    "DEFAULT_PAGE_SIZE",
    "MAX_INDEX_ROWS",
    "Report",
    "render_report",
]

log = logging.getLogger(__name__)

#: Size budget of the page, in MB (10^6 bytes of UTF-8 HTML).
DEFAULT_MAX_MB = 25.0
#: The index lists at most this many documents (the summary counts them all).
MAX_INDEX_ROWS = 10_000
#: A document view shows at most this many characters of text.
DEFAULT_MAX_CHARS = 100_000
#: Documents per page in the browser.
DEFAULT_PAGE_SIZE = 20

# Bytes kept free for the sentences stating the sample rule (longer than the frame's).
_RULE_MARGIN = 1_000
_LANG_COLOURS = {"en": "#6baed6", "zh": "#fd8d3c", "und": "#bdbdbd"}
_MORE_LANG_COLOURS = ("#74c476", "#9e9ac8", "#fdd0a2", "#c7e9c0", "#dadaeb", "#fdae6b")


@dataclass(frozen=True, slots=True)
class Report:
    """A rendered report: the HTML and what it shows.

    ``step`` is the sampling step (1: every document has a view).
    """

    html: str
    documents: int
    shown: int
    step: int
    views_bytes: int

    @property
    def size(self) -> int:
        """Bytes of the page in UTF-8."""
        return len(self.html.encode("utf-8"))


# --------------------------------------------------------------------------- views
@dataclass(frozen=True, slots=True)
class _Row:
    src: Markup
    tgt: Markup
    shape: str
    score: float | None


@dataclass(frozen=True, slots=True)
class _PairView:
    pair: PassagePair
    rows: tuple[_Row, ...]


@dataclass(frozen=True, slots=True)
class _Missed:
    label: str
    surface: Markup
    start: int
    end: int
    partial: bool


@dataclass(frozen=True, slots=True)
class _GoldView:
    exact: int
    partial: int
    spurious: int
    missed: tuple[_Missed, ...]
    gold_spans: int


@dataclass(frozen=True, slots=True)
class _DocView:
    index: int
    doc: Document
    html: Markup
    cut: Truncated
    counts: Mapping[str, int]
    pairs: tuple[_PairView, ...]
    gold: _GoldView | None
    langbar: tuple[tuple[float, float, str, str], ...]


def _cell(doc: Document, ranges: Sequence[tuple[int, int]], styles: _Styles) -> Markup:
    """A bead side: the text from its first sentence to its last, with the spans inside
    it coloured (no ``data-label``: the document text above holds each span's mark)."""
    if not ranges:
        return Markup("")
    lo, hi = ranges[0][0], ranges[-1][1]
    inside = [
        replace(s, start=s.start - lo, end=s.end - lo)
        for s in doc.spans
        if lo <= s.start and s.end <= hi
    ]
    attrs = _mark_attrs(inside, styles, {})
    return highlight(doc.text[lo:hi], inside, attrs=attrs, label_attr=None)


def _pair_views(doc: Document, styles: _Styles) -> tuple[_PairView, ...]:
    views = []
    for p in doc.pairs or ():
        rows = tuple(
            _Row(
                _cell(doc, b.src, styles),
                _cell(doc, b.tgt, styles),
                f"{len(b.src)}-{len(b.tgt)}",
                b.score,
            )  # fmt: skip
            for b in p.sentences
        )
        views.append(_PairView(p, rows))
    return tuple(views)


def _gold_flags(
    spans: Sequence[Span], gold: Document, text: str
) -> tuple[dict[Span, str], _GoldView]:
    """Per predicted span: ``exact``, ``partial`` (overlaps a same-label gold span) or
    ``spurious``; gold spans without an exact match are missed."""
    gold_keys = {s.key for s in gold.spans}
    pred_keys = {s.key for s in spans}
    flags: dict[Span, str] = {}
    for s in spans:
        if s.key in gold_keys:
            flags[s] = "exact"
        elif any(g.label == s.label and g.overlaps(s) for g in gold.spans):
            flags[s] = "partial"
        else:
            flags[s] = "spurious"
    missed = tuple(
        _Missed(
            g.label,
            Markup(escape_text(text[g.start : g.end])),
            g.start,
            g.end,
            any(p.label == g.label and p.overlaps(g) for p in spans),
        )  # fmt: skip
        for g in gold.spans
        if g.key not in pred_keys
    )
    counts = Counter(flags.values())
    view = _GoldView(
        counts["exact"], counts["partial"], counts["spurious"], missed, len(gold.spans)
    )
    return flags, view


def _langbar(doc: Document) -> tuple[tuple[float, float, str, str], ...]:
    """Language runs as ``(left %, width %, lang, title)`` along the text."""
    size = len(doc.text) or 1
    out = []
    for seg in doc.segments:
        if seg.end <= seg.start:
            continue
        lang = seg.lang or "und"
        title = f"{lang} [{seg.start}, {seg.end})"
        out.append((round(100 * seg.start / size, 2), round(100 * (seg.end - seg.start) / size, 2),
                    lang, title))  # fmt: skip
    return tuple(out)


@dataclass(frozen=True, slots=True)
class _Styles:
    label_class: Mapping[str, str]
    label_colours: Mapping[str, str]
    lang_colours: Mapping[str, str]


def _mark_attrs(
    spans: Sequence[Span], styles: _Styles, flags: Mapping[Span, str]
) -> dict[Span, str]:
    out = {}
    for s in spans:
        cls = styles.label_class[s.label]
        if s.status:
            cls += f" s-{s.status}"
        attrs = f' class="{cls}"'
        if s in flags:
            attrs += f' data-gold="{flags[s]}"'
        out[s] = attrs
    return out


def _doc_view(
    index: int, doc: Document, styles: _Styles, gold: Document | None, max_chars: int
) -> _DocView:
    cut = truncate(doc.text, doc.spans, max_chars)
    flags: dict[Span, str] = {}
    gold_view = None
    if gold is not None:
        flags, gold_view = _gold_flags(doc.spans, gold, doc.text)
    html = highlight(
        doc.text, cut.spans, doc.segments, attrs=_mark_attrs(cut.spans, styles, flags), end=cut.end
    )
    counts = Counter(s.label for s in doc.spans)
    return _DocView(
        index=index,
        doc=doc,
        html=html,
        cut=cut,
        counts={lab: counts[lab] for lab in ordered_labels(counts)},
        pairs=_pair_views(doc, styles),
        gold=gold_view,
        langbar=_langbar(doc),
    )


# --------------------------------------------------------------------------- sample
def _sample_step(sizes: Sequence[int], budget: int) -> int:
    """The smallest k such that every k-th view (the first included) fits ``budget``."""
    n = len(sizes)
    total = sum(sizes)
    if total <= budget or n == 0:
        return 1
    k = max(2, math.ceil(total / max(budget, 1)))
    while k < n and sum(sizes[::k]) > budget:
        k += 1
    return min(k, max(n, 1))


# --------------------------------------------------------------------------- page
def _environment() -> Any:
    import jinja2  # annotkit[report]; annotkit.report says so when it is missing

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("annotkit.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["num"] = lambda v: f"{v:,}"
    env.filters["f3"] = lambda v: "–" if v is None else f"{v:.3f}"
    env.filters["f2"] = lambda v: "–" if v is None else f"{v:.2f}"
    env.filters["pct"] = lambda v: f"{100 * v:.0f} %"
    env.filters["ordinal"] = _ordinal
    env.filters["plural"] = _plural
    env.filters["count"] = lambda n, word: f"{n:,} {_plural(word, n)}"
    return env


def _plural(word: str, n: int) -> str:
    """``word`` for one, else its plural (``entity`` -> ``entities``)."""
    if n == 1:
        return word
    return word[:-1] + "ies" if word.endswith("y") else word + "s"


def _ordinal(n: int) -> str:
    """``2`` -> ``2nd``, ``3`` -> ``3rd``, ``11`` -> ``11th``."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _tint(colour: str, alpha: float = 0.25) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r}, {g}, {b}, {alpha})"


def _styles(stats: CorpusStats, docs: Sequence[Document]) -> _Styles:
    colours = label_colours(stats.labels)
    colours = {lab: colours[lab] for lab in stats.labels} or colours
    langs = sorted(
        {seg.lang or "und" for d in docs for seg in d.segments}
        | set(stats.span_langs)
        | set(stats.languages)
    )
    extra = [lang for lang in langs if lang not in _LANG_COLOURS]
    lang_colours = {lang: _LANG_COLOURS[lang] for lang in langs if lang in _LANG_COLOURS}
    for i, lang in enumerate(extra):
        lang_colours[lang] = _MORE_LANG_COLOURS[i % len(_MORE_LANG_COLOURS)]
    return _Styles({lab: f"l{i}" for i, lab in enumerate(colours)}, colours, lang_colours)


def _charts(stats: CorpusStats, styles: _Styles) -> dict[str, Chart]:
    rows = [(lab, dict(stats.entities[lab])) for lab in stats.labels]
    return {
        "entities": bar_chart(rows, styles.lang_colours, label="entities per label and language"),
        "confidence": histogram_chart(
            stats.confidence, styles.label_colours, label="span confidence per label"
        ),
        "beads": histogram_chart(
            stats.bead_scores, {"beads": "#6baed6"}, label="sentence bead scores"
        ),
        "pairs": histogram_chart(
            stats.pair_scores, {"pairs": "#fd8d3c"}, label="passage pair scores"
        ),
    }


def _index_rows(docs: Sequence[Document], shown: set[int]) -> list[dict[str, Any]]:
    rows = []
    for i, d in enumerate(docs[:MAX_INDEX_ROWS]):
        counts = Counter(s.label for s in d.spans)
        rows.append(
            {
                "index": i,
                "id": d.id,
                "shown": i in shown,
                "lang": d.lang or "",
                "chars": len(d.text),
                "counts": counts,
                "pairs": len(d.pairs) if d.pairs is not None else None,
                "state": d.review.state if d.review is not None else "",
            }
        )
    return rows


def render_report(
    docs: Sequence[Document],
    *,
    gold: Sequence[Document] | None = None,
    scores: Mapping[str, Any] | None = None,
    input_names: Sequence[str] = (),
    gold_name: str | None = None,
    title: str = "annotkit report",
    max_mb: float = DEFAULT_MAX_MB,
    max_chars: int = DEFAULT_MAX_CHARS,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> Report:
    """Render the report page for ``docs`` (and their gold comparison).

    arg docs (Sequence[Document]): every document, in the order to show them.
    arg gold (Sequence[Document] | None): gold documents; each shown document with a gold
        twin (same id) marks its spans exact/partial/spurious and lists missed gold spans.
    arg scores (Mapping[str, Any] | None): an :func:`annotkit.evaluate.evaluate` result.
    arg input_names (Sequence[str]): the inputs, named as given.
    arg max_mb (float): size budget of the page (see the module docstring): the summary
        and the index first, the document views in what is left.
    arg max_chars (int): longest text shown per document view.
    RETURNS Report.
    """
    from annotkit import __version__

    if max_mb <= 0 or max_chars <= 0 or page_size <= 0:
        raise ConfigError(
            f"max_mb ({max_mb}), max_chars ({max_chars}) and page_size ({page_size}) must be "
            "positive; pass e.g. --max-mb 20"
        )
    env = _environment()
    stats = corpus_stats(docs)
    styles = _styles(stats, docs)
    gold_by_id = {g.id: g for g in gold or ()}
    doc_template = env.get_template("doc.html.j2")

    def view_html(i: int, d: Document, hide: bool = False) -> str:
        twin = gold_by_id.get(d.id)
        if twin is not None and twin.text != d.text:
            twin = None  # evaluate refuses other texts; nothing to compare here
        view = _doc_view(i, d, styles, twin, max_chars)
        return str(doc_template.render(v=view, styles=styles, has_gold=bool(gold_by_id), hide=hide))

    def page(views: list[Markup], chosen: Sequence[int], step: int, views_bytes: int) -> str:
        return str(
            page_template.render(
                title=title,
                version=__version__,
                inputs=list(input_names),
                gold_name=gold_name,
                stats=stats,
                styles=styles,
                charts_data=charts,
                scores=scores,
                views=views,
                shown=len(views),
                step=step,
                views_bytes=views_bytes,
                all_bytes=sum(sizes),
                max_mb=max_mb,
                max_chars=max_chars,
                page_size=page_size,
                index=_index_rows(docs, set(chosen)),
                index_limit=MAX_INDEX_ROWS,
                tint=_tint,
                css=css,
                js=js,
            )
        )

    page_template = env.get_template("page.html.j2")
    charts = _charts(stats, styles)
    css = Markup(env.loader.get_source(env, "report.css")[0])
    js = Markup(env.loader.get_source(env, "report.js")[0])
    # Sizes of every view first (rendered, measured, dropped), then of the page around them
    # (every index row linked: an upper bound); the views get what is left of the budget.
    sizes = [len(view_html(i, d).encode("utf-8")) for i, d in enumerate(docs)]
    frame = len(page([], range(len(docs)), 1, 0).encode("utf-8")) + _RULE_MARGIN
    budget = int(max_mb * 1_000_000) - frame
    step = _sample_step(sizes, budget)
    chosen = list(range(0, len(docs), step))
    if sum(sizes[i] for i in chosen) > budget:
        chosen = []  # not even the first view fits: the summary and the index only
    views_bytes = sum(sizes[i] for i in chosen)
    views = [Markup(view_html(i, docs[i], j >= page_size)) for j, i in enumerate(chosen)]
    html = page(views, chosen, step, views_bytes)
    log.info("report: %d documents, %d shown (step %d)", len(docs), len(views), step)
    return Report(
        html=html, documents=len(docs), shown=len(views), step=step, views_bytes=views_bytes
    )
