"""The stanza NER adapter behind ``annotate --engine model|ensemble``.

A model is a folder written by :func:`annotkit.train.train_model` (``ner.pt`` plus a
minimal ``resources.json``). It is loaded offline through
``stanza.Pipeline(processors="tokenize,ner", tokenize_pretokenized=True, ner_model_path=…,
download_method=None)``: annotkit tokenises with its own segmenter (the same tokens the model
was trained on), stanza only tags. stanza is imported lazily; one pipeline is cached per model
path per process.

EXAMPLE:
    >>> from annotkit.annotate.ner import load_ner_model
    >>> model = load_ner_model("models/ner/v1")      # or None: the promoted model
    >>> model.predict(Document("d", "We gave 5 mL of MSCs."))
    (Span(start=8, end=12, label='DOSE', source='model:ner/v1', ...), ...)
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotkit.doc import Document, Span
from annotkit.errors import ModelNotFoundError, TrainingError
from annotkit.models import MODEL_FILE, get_model, promoted_model
from annotkit.segment import tokenize
from annotkit.tags import ZhTokens, decode_tags, document_sentences

__all__ = ["NerModel", "load_ner_model"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class NerModel:
    """A loaded NER model: ``predict(doc)`` returns sorted, non-overlapping spans.

    ``path`` is the model folder, ``ref`` its ``NAME/VERSION`` (the span ``source`` is
    ``model:<ref>``), ``zh_tokens`` the Chinese tokenisation it was trained with.
    """

    path: str
    ref: str
    zh_tokens: ZhTokens = "char"
    batch_size: int = 256

    @property
    def source(self) -> str:
        return f"model:{self.ref}"

    def predict(self, doc: Document) -> tuple[Span, ...]:
        """Entity spans for ``doc`` (its own spans are ignored)."""
        return self.predict_many([doc])[0]

    def predict_many(self, docs: Iterable[Document]) -> list[tuple[Span, ...]]:
        """Spans per document, tagging all sentences of the batch in one stanza call."""
        docs = list(docs)
        items: list[tuple[int, list[tuple[int, int]]]] = []
        for i, doc in enumerate(docs):
            plain = Document(doc.id, doc.text, sentences=doc.sentences)
            ranges, _ = document_sentences(plain)
            for a, b in ranges:
                toks = tokenize(doc.text, a, b, zh_tokens=self.zh_tokens)
                if toks:
                    items.append((i, toks))
        out: list[list[Span]] = [[] for _ in docs]
        if not items:
            return [() for _ in docs]
        pipeline = _pipeline(self.path)
        words = [[docs[i].text[a:b] for a, b in toks] for i, toks in items]
        tagged = pipeline(words)
        for (i, toks), sent in zip(items, tagged.sentences, strict=True):
            tags = [tok.ner or "O" for tok in sent.tokens]
            if len(tags) != len(toks):
                raise TrainingError(
                    f"stanza returned {len(tags)} tags for {len(toks)} tokens in document "
                    f"{docs[i].id!r}; the model at {self.path} is not usable with pre-tokenised "
                    "input"
                )
            out[i].extend(decode_tags(toks, tags, source=self.source))
        return [tuple(sorted(spans, key=lambda s: (s.start, s.end))) for spans in out]


def _resolve(
    path: str | os.PathLike[str] | None, models_dir: str | os.PathLike[str] | None
) -> tuple[Path, str, ZhTokens]:
    if path is None:
        card = promoted_model(models_dir)
    else:
        p = Path(path)
        if p.is_file() and p.suffix == ".pt":
            return p.parent, p.parent.name, "char"
        card = get_model(str(path), models_dir)
    zh_tokens: ZhTokens = "word" if card.data.get("zh_tokens") == "word" else "char"
    return Path(card.path), card.ref, zh_tokens


def load_ner_model(
    path: str | os.PathLike[str] | None = None,
    *,
    models_dir: str | os.PathLike[str] | None = None,
) -> NerModel:
    """Load a trained NER model: a model folder, ``NAME[/VERSION]`` in the models folder, or
    None for the promoted model (:func:`annotkit.models.promoted_model`).

    Raises :class:`ModelNotFoundError` when there is no such model (or none is promoted).

    EXAMPLE:
        >>> load_ner_model("models/ner/v1").ref
        'ner/v1'
    """
    folder, ref, zh_tokens = _resolve(path, models_dir)
    model_file = folder / MODEL_FILE
    if not model_file.is_file():
        raise ModelNotFoundError(
            f"no stanza model file {model_file}; train one with `annotkit train` or pass the "
            "folder that holds ner.pt"
        )
    model = NerModel(str(folder.resolve()), ref, zh_tokens)
    _pipeline(model.path)  # load now so errors surface here, once per process
    return model


@functools.lru_cache(maxsize=8)
def _pipeline(folder: str) -> Any:
    try:
        import stanza
    except ImportError:  # pragma: no cover - depends on the installation
        raise ModelNotFoundError(
            "stanza is not installed; install it with `pip install 'annotkit[stanza]'`"
        ) from None
    resources = Path(folder) / "resources.json"
    if not resources.is_file():
        raise ModelNotFoundError(
            f"no {resources}; models trained by `annotkit train` have one — retrain, or write "
            '{"en": {"lang_name": "English", "default_processors": {}}} there'
        )
    try:
        return stanza.Pipeline(
            "en",
            dir=folder,
            processors="tokenize,ner",
            tokenize_pretokenized=True,
            ner_model_path=str(Path(folder) / MODEL_FILE),
            download_method=None,
            use_gpu=False,
            logging_level="WARN",
            ner_batch_size=256,
        )
    except Exception as err:  # stanza raises bare Exceptions and FileNotFoundErrors
        raise ModelNotFoundError(
            f"stanza could not load the NER model in {folder}: {err}; retrain it with "
            "`annotkit train`"
        ) from err
