"""Entity pre-annotation: CELL_TYPE, DOSE and SCALE (rules, stanza model, or both).

Engines:

* ``"rules"`` (default, no downloads): lexicons + modifier grammar + DOSE grammar +
  in-text abbreviations (:mod:`annotkit.annotate.rules`), then cross-lingual projection
  over aligned EN/ZH sentences when the document holds both languages
  (:mod:`annotkit.annotate.project`);
* ``"model"``: a stanza NER model (:func:`annotkit.annotate.ner.load_ner_model`);
* ``"ensemble"``: with a model trained by ``annotkit train`` (a *learned* model folder,
  :mod:`annotkit.learn`), everything it learned from corrections: project terms and
  exclusions, the CRF, the stanza model where its policy uses it, and the policy that says
  per label and language which source wins, with calibrated scores
  (:class:`annotkit.learn.engine.LearnedModel`). With a stanza-only model folder (older
  models, ``annotkit train --engine stanza``): the rules' spans, plus the model's spans that
  overlap none of them (:func:`annotkit.annotate.merge.drop_overlapping`) and have their
  label's shape (:func:`annotkit.annotate.merge.plausible`).

Languages: the rules work per script (Latin matches need token boundaries, Han ones do
not), so English, Chinese and mixed documents need no language tags. Projection uses the
document's aligned sentence pairs (``doc.pairs``, from :func:`annotkit.align.align_document`);
a document without them is not projected. :func:`annotkit.pipeline.ensure` (what the
commands call) detects and aligns a document first when its record lacks those stages.

Pre-annotation replaces the document's spans. Every span is sorted, non-overlapping and
satisfies ``doc.text[span.start:span.end] == surface``; machine spans carry
``status="suggested"``.

EXAMPLE:
    >>> from annotkit.doc import Document
    >>> doc = preannotate(Document("d1", "87 million MSCs were injected."))
    >>> [(doc.text_of(s), s.label, s.source) for s in doc.spans]
    [('87 million', 'DOSE', 'rule:dose.v1'), ('MSCs', 'CELL_TYPE', 'rule:lexicon.v1')]
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from annotkit.annotate.lexicon import Lexicon, load_lexicon
from annotkit.annotate.merge import drop_overlapping, merge_spans, plausible
from annotkit.annotate.project import could_project, project_spans
from annotkit.annotate.rules import annotate_text
from annotkit.doc import Document, PassagePair, Span
from annotkit.errors import ConfigError

__all__ = ["ENGINES", "annotate_documents", "preannotate", "project_document"]

log = logging.getLogger(__name__)

ENGINES = ("rules", "model", "ensemble")


@lru_cache(maxsize=4)
def _load_model(path: str | None, models_dir: str | None) -> Any:
    from annotkit.annotate.ner import load_ner_model  # lazy: stanza/torch are heavy

    return load_ner_model(path, models_dir=models_dir)


@lru_cache(maxsize=4)
def _load_learned(path: str | None, models_dir: str | None) -> Any:
    """The learned model behind ``path`` (None: the promoted one), or None when that model
    folder holds only a stanza tagger."""
    if path is not None and path.endswith(".pt"):
        return None
    from annotkit.learn.engine import is_learned, load_learned_model
    from annotkit.models import get_model, promoted_model

    card = promoted_model(models_dir) if path is None else get_model(path, models_dir)
    return load_learned_model(card.path) if is_learned(card.path) else None


def _learned_model(model: Any, models_dir: str | Path | None) -> Any:
    if model is None or isinstance(model, (str, Path)):
        return _load_learned(
            None if model is None else str(model),
            None if models_dir is None else str(models_dir),
        )
    return model if hasattr(model, "policy") else None


def _model_spans(doc: Document, model: Any, models_dir: str | Path | None) -> tuple[Span, ...]:
    """Model predictions; ``model`` is a path, a loaded model, or None (promoted model)."""
    if model is None or isinstance(model, (str, Path)):
        ner = _load_model(
            None if model is None else str(model),
            None if models_dir is None else str(models_dir),
        )
    else:
        ner = model
    return tuple(ner.predict(doc))


def project_document(
    doc: Document,
    spans: tuple[Span, ...],
    *,
    pairs: Iterable[PassagePair] | None = None,
    lexicon: Lexicon | None = None,
) -> tuple[Span, ...]:
    """``spans`` plus their projections over the document's aligned EN/ZH sentences.

    ``pairs=None`` uses ``doc.pairs`` (no projection when the document was not aligned).
    """
    found = tuple(pairs) if pairs is not None else doc.pairs or ()
    if not found or not could_project(doc.text, spans):
        return spans
    extra = project_spans(doc.text, spans, found, lexicon=lexicon)
    return drop_overlapping(spans, extra)


def preannotate(
    doc: Document,
    *,
    engine: str = "rules",
    model: Any = None,
    project: bool = True,
    pairs: Iterable[PassagePair] | None = None,
    lexicon: Lexicon | None = None,
    models_dir: str | Path | None = None,
) -> Document:
    """Pre-annotate one document; returns a new Document with its spans replaced.

    engine (str): ``"rules"``, ``"model"`` or ``"ensemble"``.
    model (str | Path | NerModel | LearnedModel | None): model folder, ``NAME/VERSION``,
        loaded model, or None for the promoted model (model engines only). ``ensemble``
        with a learned model folder applies everything it learned.
    project (bool): project entities across aligned EN/ZH sentences (rules and ensemble).
    pairs (Iterable[PassagePair] | None): aligned passages to project over; None uses
        ``doc.pairs`` (from ``annotkit.align.align_document``).
    lexicon (Lexicon): a compiled lexicon (default: the packaged one, loaded once).
    models_dir (str | Path | None): where ``NAME/VERSION`` and the promoted model are looked
        up (default: ``Settings.models_dir``).
    RETURNS (Document): same id/text/meta, spans sorted and non-overlapping.

    EXAMPLE:
        >>> from annotkit.doc import Document
        >>> d = preannotate(Document("x", "Pain was rated on the Visual Analogue Scale (VAS)."))
        >>> [d.text_of(s) for s in d.spans]
        ['Visual Analogue Scale', 'VAS']
    """
    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    spans: tuple[Span, ...] = ()
    learned = _learned_model(model, models_dir) if engine == "ensemble" else None
    if learned is not None:
        spans = tuple(learned.predict(doc))
        if project:
            spans = project_document(doc, spans, pairs=pairs, lexicon=load_lexicon())
        spans = tuple(dataclasses.replace(s, status="suggested") for s in spans)
        return dataclasses.replace(doc, spans=spans)
    if engine in ("rules", "ensemble"):
        lex = lexicon if lexicon is not None else load_lexicon()
        spans = annotate_text(doc.text, lexicon=lex)
        if project:
            spans = project_document(doc, spans, pairs=pairs, lexicon=lex)
    if engine in ("model", "ensemble"):
        predicted = _model_spans(doc, model, models_dir)
        if engine == "ensemble":
            lex = lexicon if lexicon is not None else load_lexicon()
            shaped = [p for p in predicted if plausible(p, doc.text, is_stopped=lex.is_stopped)]
            spans = drop_overlapping(spans, merge_spans(shaped))
        else:
            spans = merge_spans(predicted)
    spans = tuple(dataclasses.replace(s, status="suggested") for s in spans)
    return dataclasses.replace(doc, spans=spans)


def annotate_documents(docs: Iterable[Document], **opts: Any) -> Iterator[Document]:
    """Lazily pre-annotate documents (same options as :func:`preannotate`).

    EXAMPLE:
        >>> from annotkit.io import read_documents
        >>> docs = list(annotate_documents(read_documents(["seeds/"])))  # doctest: +SKIP
    """
    for doc in docs:
        yield preannotate(doc, **opts)
