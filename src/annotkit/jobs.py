"""The per-document work of the batch commands: run a stage, return its JSON line(s).

Each function takes one :class:`~annotkit.doc.Document` and keyword options and returns
one JSONL line per output stream of its command (``annotkit run``: four). They are
module-level, so ``functools.partial(annotate_lines, engine="rules")`` pickles by reference
and runs the same in this process and on a Dask worker; records are serialised where the
work happens, so only text travels back. Whatever a stage loads (lexicons, the stanza
model, an alignment scorer) is cached per process, so each worker loads it once.

EXAMPLE:
    >>> from annotkit.doc import Document
    >>> annotate_lines(Document("d1", "87 million MSCs were injected."))[0][:30]
    '{"id": "d1", "text": "87 millio'
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from annotkit.doc import Document
from annotkit.io import dumps_record
from annotkit.pipeline import ensure, result_lines, run_document, run_stage
from annotkit.record import document_to_record

__all__ = ["align_lines", "annotate_lines", "detect_lines", "run_lines"]

_TORCH_THREADS: list[int] = []


def _limit_torch_threads(threads: int) -> None:
    """Cap torch's threads once per process (model engine; one per worker scales best)."""
    if _TORCH_THREADS == [threads]:
        return
    try:
        import torch
    except ImportError:  # the model engine reports the missing extra itself
        return
    torch.set_num_threads(threads)
    _TORCH_THREADS[:] = [threads]


def _line(doc: Document) -> str:
    return dumps_record(document_to_record(doc))


def detect_lines(
    doc: Document,
    *,
    segmenter: str = "rules",
    backend: str = "profile",
    detect_options: Mapping[str, Any] | None = None,
) -> tuple[str]:
    """``annotkit detect``: languages of the document, its blocks and sentences.

    ``detect_options`` go to :func:`annotkit.langid.detect` (what the settings choose,
    e.g. ``latin_langs``), here and wherever a stage detects languages first.
    """
    from annotkit.langid import detect

    opts = dict(detect_options or {})
    return (_line(detect(doc, segmenter=segmenter, backend=backend, **opts)),)  # type: ignore[arg-type]


@lru_cache(maxsize=4)
def _scorer(name: str) -> Any:
    from annotkit.align import load_scorer

    return load_scorer(name)


def align_lines(
    doc: Document, *, scorer: str | None = None, detect_options: Mapping[str, Any] | None = None
) -> tuple[str]:
    """``annotkit align``: parallel passages (``pairs``), detecting languages first if needed."""
    ready = ensure(doc, "align", detect=dict(detect_options or {}))
    return (_line(run_stage(ready, "align", scorer=_scorer(scorer) if scorer else None)),)


def annotate_lines(
    doc: Document,
    *,
    engine: str = "rules",
    model: str | None = None,
    models_dir: str | Path | None = None,
    project: bool = True,
    detect_options: Mapping[str, Any] | None = None,
    threads: int = 1,
) -> tuple[str]:
    """``annotkit annotate``: entities, after the stages the record lacks."""
    if engine != "rules":
        _limit_torch_threads(threads)
    ready = ensure(doc, "annotate", detect=dict(detect_options or {}))
    done = run_stage(
        ready, "annotate", engine=engine, model=model, project=project, models_dir=models_dir
    )
    return (_line(done),)


def run_lines(
    doc: Document,
    *,
    engine: str = "rules",
    model: str | None = None,
    models_dir: str | Path | None = None,
    detect_options: Mapping[str, Any] | None = None,
    threads: int = 1,
) -> tuple[str, str, str, str]:
    """``annotkit run``: the ``detect``, ``align``, ``annotate`` lines and summary entry."""
    if engine != "rules":
        _limit_torch_threads(threads)
    res = run_document(
        doc,
        engine=engine,
        model=model,
        models_dir=models_dir,
        detect_options=dict(detect_options or {}),
    )
    return result_lines(res)
