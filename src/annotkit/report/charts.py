"""Chart geometry for the report's inline SVG: stacked bars and histograms.

The shapes are computed here and drawn by the ``charts.html.j2`` macros, so the page needs
no plotting library at view time and the output is the same on every run (coordinates are
rounded to 0.1). Every bar carries a ``<title>`` with its exact count.

Why not matplotlib: it adds seven packages (~97 MB installed, 0.5 s to import) for four
bar charts, writes ids and metadata that change between versions (the committed demo report
would change with them), and draws text as paths unless told otherwise.

EXAMPLE:
    >>> from annotkit.report.stats import histogram
    >>> c = histogram_chart(histogram({"DOSE": [0.9, 0.95]}, bins=4), {"DOSE": "#d62728"})
    >>> [(r.title, r.fill) for r in c.rects]
    [('DOSE 0.75–1.00: 2', '#d62728')]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from annotkit.report.stats import Histogram

__all__ = ["Chart", "Rect", "Text", "bar_chart", "histogram_chart", "nice_max"]

_W, _H = 420.0, 180.0
_LEFT, _RIGHT, _TOP, _BOTTOM = 40.0, 12.0, 10.0, 28.0


@dataclass(frozen=True, slots=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str
    title: str


@dataclass(frozen=True, slots=True)
class Text:
    x: float
    y: float
    text: str
    anchor: str = "middle"


@dataclass(frozen=True, slots=True)
class Chart:
    """An SVG drawing: ``width`` x ``height`` user units, bars, labels and axis lines."""

    width: float
    height: float
    rects: tuple[Rect, ...]
    texts: tuple[Text, ...]
    lines: tuple[tuple[float, float, float, float], ...]
    label: str


def _r(v: float) -> float:
    return round(v, 1)


def nice_max(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten that is at least ``value`` (>= 1)."""
    step = 1
    while True:
        for m in (1, 2, 5):
            if m * step >= value:
                return m * step
        step *= 10


def _fmt(v: float) -> str:
    return f"{v:.2f}"


def histogram_chart(hist: Histogram, colours: Mapping[str, str], *, label: str = "") -> Chart:
    """Vertical bars, one per bin, stacked by series in ``hist.series`` order.

    arg colours (Mapping[str, str]): series -> fill colour (grey when missing).
    """
    plot_w = _W - _LEFT - _RIGHT
    plot_h = _H - _TOP - _BOTTOM
    totals = [sum(row[i] for row in hist.series.values()) for i in range(hist.bins)]
    top = nice_max(max(totals, default=0) or 1)
    edges = hist.edges()
    bar_w = plot_w / hist.bins
    rects: list[Rect] = []
    for i in range(hist.bins):
        y = _TOP + plot_h
        for name, row in hist.series.items():
            n = row[i]
            if not n:
                continue
            h = plot_h * n / top
            y -= h
            rects.append(
                Rect(
                    _r(_LEFT + i * bar_w + 0.5),
                    _r(y),
                    _r(max(bar_w - 1.0, 0.5)),
                    _r(h),
                    colours.get(name, "#999999"),
                    f"{name} {_fmt(edges[i])}–{_fmt(edges[i + 1])}: {n}",
                )
            )
    base = _TOP + plot_h
    texts = [
        Text(_r(_LEFT + plot_w * k / 4), _r(base + 16), _fmt(hist.lo + (hist.hi - hist.lo) * k / 4))
        for k in range(5)
    ]
    texts += [Text(_LEFT - 6, _r(_TOP + 4), str(top), "end"), Text(_LEFT - 6, _r(base), "0", "end")]
    lines = ((_LEFT, _r(base), _r(_LEFT + plot_w), _r(base)), (_LEFT, _TOP, _LEFT, _r(base)))
    return Chart(_W, _H, tuple(rects), tuple(texts), lines, label)


def bar_chart(
    rows: Sequence[tuple[str, Mapping[str, int]]],
    colours: Mapping[str, str],
    *,
    label: str = "",
) -> Chart:
    """Horizontal bars, one per row, stacked by the keys of each row's counts.

    arg rows (Sequence[tuple[str, Mapping[str, int]]]): ``(row name, {stack: count})``.
    arg colours (Mapping[str, str]): stack -> fill colour (grey when missing).
    """
    left = 90.0
    row_h = 24.0
    height = _TOP + row_h * max(len(rows), 1) + 8.0
    plot_w = _W - left - 48.0
    top = max((sum(c.values()) for _, c in rows), default=0) or 1
    rects: list[Rect] = []
    texts: list[Text] = []
    for i, (name, counts) in enumerate(rows):
        y = _TOP + i * row_h
        x = left
        for stack, n in counts.items():
            if not n:
                continue
            w = plot_w * n / top
            rects.append(
                Rect(
                    _r(x),
                    _r(y + 3),
                    _r(w),
                    row_h - 6,
                    colours.get(stack, "#999999"),
                    f"{name} · {stack}: {n}",
                )  # fmt: skip
            )
            x += w
        texts.append(Text(left - 6, _r(y + row_h / 2 + 4), name, "end"))
        texts.append(Text(_r(x + 4), _r(y + row_h / 2 + 4), str(sum(counts.values())), "start"))
    lines = ((left, _TOP, left, _r(height - 8.0)),)
    return Chart(_W, _r(height), tuple(rects), tuple(texts), lines, label)
