"""The service's engine: pre-annotate texts with the promoted model, or the rules.

An :class:`Annotator` answers with what ``annotkit annotate`` would write for the same text
(detect and align first when the text needs them, then
:func:`annotkit.annotate.preannotate`). Engine ``"auto"`` uses the ensemble of the rules and
the promoted model when a model is promoted (``models/registry.json``), else the rules.
Before each batch it looks at the registry file (a ``stat``): a model promoted while the
service runs is loaded once, then used, without a restart. Models load once per process
(:mod:`annotkit.annotate` caches them by path). One lock serialises annotation, so answers
are deterministic and a model is never loaded twice at once.

EXAMPLE:
    >>> annotator = Annotator(engine="rules", models_dir="models")
    >>> state, docs = annotator.annotate(["87 million MSCs were injected."])
    >>> state.engine, [(docs[0].text_of(s), s.label) for s in docs[0].spans]
    ('rules', [('87 million', 'DOSE'), ('MSCs', 'CELL_TYPE')])
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from annotkit.annotate import ENGINES, preannotate
from annotkit.doc import Document, content_id
from annotkit.errors import AnnotkitError, ConfigError, ModelNotFoundError
from annotkit.models import REGISTRY_FILE, promoted_model
from annotkit.pipeline import ensure

__all__ = ["SERVE_ENGINES", "Annotator", "EngineState"]

log = logging.getLogger(__name__)

#: ``auto`` (ensemble with the promoted model, else rules) plus the engines of ``annotate``.
SERVE_ENGINES: tuple[str, ...] = ("auto", *ENGINES)
_WARMUP = "87 million MSCs were scored on the VAS. 注射间充质干细胞。"

Stamp = tuple[int, int, int] | None


@dataclass(frozen=True, slots=True)
class EngineState:
    """What answers requests now: the engine and, for model engines, the model."""

    engine: str
    model: str | None = None  # NAME/VERSION
    model_path: str | None = None


def _stamp(registry: Path) -> Stamp:
    """Identity of the registry file: (inode, mtime ns, size); None when absent."""
    try:
        info = registry.stat()
    except FileNotFoundError:
        return None
    return (info.st_ino, info.st_mtime_ns, info.st_size)


class Annotator:
    """Pre-annotates texts with the current engine; picks up promotions on its own.

    engine (str): ``auto``, ``rules``, ``model`` or ``ensemble`` (see :data:`SERVE_ENGINES`).
    models_dir (str | Path): the models folder holding ``registry.json``.
    latin_langs (Sequence[str]): languages language detection may give Latin text.
    before_model_load (Callable[[], None] | None): called before a model is first loaded
        (the CLI caps torch threads there).
    """

    def __init__(
        self,
        *,
        engine: str = "auto",
        models_dir: str | os.PathLike[str],
        latin_langs: Sequence[str] = ("en", "de", "fr", "es", "it", "pt", "nl"),
        before_model_load: Callable[[], None] | None = None,
    ) -> None:
        if engine not in SERVE_ENGINES:
            raise ConfigError(
                f"unknown engine {engine!r}; choose one of {', '.join(SERVE_ENGINES)}"
            )
        self.engine = engine
        self.models_dir = Path(models_dir)
        self.latin_langs = tuple(latin_langs)
        self._before_model_load = before_model_load
        self._lock = threading.Lock()
        self._stamp: Stamp = None
        self._state: EngineState | None = None
        self._failure: AnnotkitError | None = None
        self._resolved_once = False

    @property
    def registry(self) -> Path:
        return self.models_dir / REGISTRY_FILE

    def state(self) -> EngineState:
        """The engine that answers now (loading a newly promoted model first).

        Raises :class:`ModelNotFoundError` when the engine needs a promoted model and none
        can be loaded; the same error comes back, without retrying, until the registry
        changes.
        """
        with self._lock:
            return self._refresh()

    def annotate(self, texts: Sequence[str]) -> tuple[EngineState, list[Document]]:
        """Pre-annotate each text; RETURNS the engine used and one Document per text.

        Offsets are code points; ids are content ids (the text's hash).
        """
        with self._lock:
            state = self._refresh()
            return state, [self._one(text, state) for text in texts]

    def _one(self, text: str, state: EngineState) -> Document:
        doc = Document(content_id(text), text)
        if not text.strip():
            return doc
        ready = ensure(doc, "annotate", detect={"latin_langs": self.latin_langs})
        return preannotate(
            ready,
            engine=state.engine,
            model=state.model_path,
            models_dir=self.models_dir,
        )

    # ----------------------------------------------------------------- reloading
    def _refresh(self) -> EngineState:
        stamp = _stamp(self.registry)
        if self._state is not None and stamp == self._stamp:
            return self._state
        if self._failure is not None and stamp == self._stamp:
            raise self._failure
        self._stamp = stamp
        first, self._resolved_once = not self._resolved_once, True
        try:
            state = self._resolve(stamp)
            if state.model_path is not None:
                self._warm(state)
        except AnnotkitError as err:
            self._state, self._failure = None, err
            if not first:  # while serving: the operator reads it in the log (callers get 503)
                log.error("cannot serve with the %s engine: %s", self.engine, err)
            raise
        if state != self._state:
            log.info(
                "answering with the %s engine%s",
                state.engine,
                f" and model {state.model}" if state.model else "",
            )
        self._state, self._failure = state, None
        return state

    def _resolve(self, stamp: Stamp) -> EngineState:
        if self.engine == "rules":
            return EngineState("rules")
        if stamp is None:
            if self.engine == "auto":
                return EngineState("rules")
            # let promoted_model() word the error (it says how to promote one)
        card = promoted_model(self.models_dir)
        engine = "ensemble" if self.engine == "auto" else self.engine
        return EngineState(engine, card.ref, card.path)

    def _warm(self, state: EngineState) -> None:
        """Load the model now (once per process), not on an annotator's first request."""
        if self._before_model_load is not None:
            self._before_model_load()
        try:
            preannotate(
                Document("warmup", _WARMUP),
                engine=state.engine,
                model=state.model_path,
                models_dir=self.models_dir,
            )
        except AnnotkitError:
            raise
        except Exception as err:  # a broken model file: say which model, not a traceback
            raise ModelNotFoundError(
                f"the promoted model {state.model} ({state.model_path}) does not load: "
                f"{type(err).__name__}: {err}; promote another (`annotkit models promote "
                "NAME/VERSION`) or retrain it"
            ) from err
