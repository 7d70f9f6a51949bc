"""The visual report: one self-contained HTML page of what annotkit found in a corpus.

:func:`report` reads anything annotkit writes (a ``run`` folder, annotate/align/pull
JSONL), scores it against gold when given (:func:`annotkit.evaluate.evaluate`, the numbers
of ``annotkit evaluate``) and renders the page (:func:`annotkit.report.page.render_report`):
per document the text with entity highlights in the doccano label colours (one
``<mark data-label>`` per span; source, confidence and status on hover), language runs and
the aligned sentence pairs side by side; for the corpus, entities per label and language,
the confidence histogram, alignment scores, gold P/R/F1 and what annotators changed. Styles,
script and charts are inline: the page needs no network.

Modules: :mod:`~annotkit.report.markup` (text -> HTML at code-point offsets),
:mod:`~annotkit.report.stats` (corpus counts), :mod:`~annotkit.report.charts` (SVG
geometry), :mod:`~annotkit.report.page` (views, sample rule, templates).

EXAMPLE:
    >>> from annotkit.report import report
    >>> page = report(["annotations/pre"], gold="annotations/gold/seeds.jsonl")  # doctest: +SKIP
    >>> page.shown, page.size  # doctest: +SKIP
    (5, 160000)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

try:
    import jinja2  # noqa: F401
    import markupsafe  # noqa: F401
except ImportError as err:  # pragma: no cover - both come with annotkit[report]
    raise ImportError(
        f"the HTML report needs Jinja2 and MarkupSafe ({err}); install them with "
        "`pip install 'annotkit[report]'`"
    ) from err

from annotkit.doc import Document
from annotkit.io import ReadReport, read_documents
from annotkit.pipeline import run_inputs
from annotkit.report.page import (
    DEFAULT_MAX_CHARS,
    DEFAULT_MAX_MB,
    DEFAULT_PAGE_SIZE,
    Report,
    render_report,
)

__all__ = [
    "DEFAULT_MAX_CHARS",
    "DEFAULT_MAX_MB",
    "DEFAULT_PAGE_SIZE",
    "Report",
    "render_report",
    "report",
    "report_documents",
]


def report_documents(
    docs: Sequence[Document],
    *,
    gold: Sequence[Document] | None = None,
    intersection: bool = False,
    **options: Any,
) -> Report:
    """The report page of ``docs``; with ``gold``, scored as ``annotkit evaluate`` does.

    arg gold (Sequence[Document] | None): gold documents (``label`` is the truth).
    arg intersection (bool): score only the ids gold and ``docs`` share (else a gold
        document missing from ``docs`` is an :class:`~annotkit.errors.InputError`).
    arg options: passed to :func:`~annotkit.report.page.render_report`
        ``input_names``, ``gold_name``, ``title``, ``max_mb``, ``max_chars``, ``page_size``).
    RETURNS Report.
    """
    scores = None
    if gold is not None:
        from annotkit.evaluate import evaluate

        scores = evaluate(gold, docs, intersection=intersection)
    return render_report(docs, gold=gold, scores=scores, **options)


def report(
    inputs: Sequence[str],
    *,
    gold: str | None = None,
    intersection: bool = False,
    read_report: ReadReport | None = None,
    **options: Any,
) -> Report:
    """Read ``inputs`` (a ``run`` folder counts once: its annotate.jsonl) and report them.

    arg inputs (Sequence[str]): files, folders, globs or ``-``, as every command reads them.
    arg gold (str | None): a gold JSONL file to score against.
    arg read_report (ReadReport | None): reading counts, for ``skip_errors`` runs.
    arg options: ``skip_errors``/``on_duplicate``/``text_column``/``id_column`` go to
        :func:`~annotkit.io.read_documents`, the rest to :func:`report_documents`.
    RETURNS Report.
    """
    read_keys = ("skip_errors", "on_duplicate", "text_column", "id_column")
    reading = {k: options.pop(k) for k in read_keys if k in options}
    docs = list(read_documents(run_inputs(inputs), report=read_report, **reading))
    gold_docs = list(read_documents([gold])) if gold is not None else None
    options.setdefault("input_names", list(inputs))
    options.setdefault("gold_name", gold)
    return report_documents(docs, gold=gold_docs, intersection=intersection, **options)
