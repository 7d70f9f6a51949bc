"""The HTTP service: a Starlette app over an :class:`~annotkit.serve.annotator.Annotator`.

Routes (every answer is JSON; errors are ``{"error": "..."}`` with a proper status code):

``GET /health``
    ``{"status": "ok", "engine", "model", "version"}`` (no token needed); 503 with the
    error when the configured engine cannot answer (e.g. a promoted model that does not load).
``POST /annotate`` (``Authorization: Bearer TOKEN``; 401 without it, 403 when wrong)
    Body ``{"text": "..."}`` or the batch form ``{"texts": ["...", ...]}``. Options, in the
    query string or the body: ``units`` = ``utf16`` (default: doccano's offsets),
    ``grapheme`` (a grapheme-mode doccano project) or ``codepoint``; ``project`` = the
    doccano project name, under which the answer is recorded in the suggestion ledger
    (:class:`annotkit.sync.ledger.SuggestionLedger`, origin ``autolabel``).
    Answer: ``{"engine", "model", "units", "spans": [{"start_offset", "end_offset",
    "label", "text", "source", "score", "norm"}], "label": [[start, end, LABEL], ...],
    "skipped": [...]}`` (batch: the same per text under ``"results"``). ``skipped`` lists
    spans the units cannot express (a boundary inside a grapheme cluster); they are neither
    answered nor recorded.

Offsets are code points inside annotkit and cross into doccano's units here only, through
:func:`annotkit.sync.mapping.spans_to_doccano`.

EXAMPLE:
    >>> from annotkit.serve.annotator import Annotator
    >>> app = create_app(Annotator(engine="rules", models_dir="models"), token="t" * 43)
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from annotkit import __version__
from annotkit.doc import Document, Span, text_hash
from annotkit.errors import AnnotkitError, ConfigError, InputError, ModelNotFoundError
from annotkit.offsets import grapheme_boundaries
from annotkit.serve.annotator import Annotator, EngineState
from annotkit.sync.ledger import SuggestionLedger
from annotkit.sync.mapping import spans_to_doccano

__all__ = ["MAX_BODY_BYTES", "MAX_TEXTS", "UNITS", "AnnotateRequest", "answer", "create_app"]

log = logging.getLogger(__name__)

#: Offset units an answer can use: doccano's default, doccano's grapheme mode, Python's.
UNITS: tuple[str, ...] = ("utf16", "grapheme", "codepoint")
MAX_BODY_BYTES = 16 * 1024 * 1024
MAX_TEXTS = 1000


@dataclass(frozen=True, slots=True)
class AnnotateRequest:
    """A parsed ``POST /annotate``: the texts, whether it was the batch form, the options."""

    texts: tuple[str, ...]
    batch: bool
    units: str = "utf16"
    project: str | None = None

    @classmethod
    def parse(cls, body: Any, query: Mapping[str, str]) -> AnnotateRequest:
        """Validate a request body (decoded JSON) and query; InputError says what is wrong."""
        if not isinstance(body, dict):
            raise InputError(
                'the body must be a JSON object: {"text": "..."} or {"texts": ["...", ...]}'
            )
        unknown = sorted(set(body) - {"text", "texts", "units", "project"})
        if unknown:
            raise InputError(
                f"unknown field(s) {', '.join(map(repr, unknown))}; send text or texts, and "
                "optionally units and project"
            )
        if ("text" in body) == ("texts" in body):
            raise InputError('send exactly one of "text" (a string) or "texts" (a list)')
        batch = "texts" in body
        raw = body["texts"] if batch else [body["text"]]
        if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
            raise InputError(
                '"texts" must be a list of strings' if batch else '"text" must be a string'
            )
        if len(raw) > MAX_TEXTS:
            raise InputError(f'"texts" holds {len(raw)} texts; send at most {MAX_TEXTS} a request')
        units = _option(body, query, "units") or "utf16"
        if units not in UNITS:
            raise InputError(f"unknown units {units!r}; use one of {', '.join(UNITS)}")
        project = _option(body, query, "project")
        return cls(tuple(raw), batch, units, project or None)


def _option(body: Mapping[str, Any], query: Mapping[str, str], key: str) -> str | None:
    in_body, in_query = body.get(key), query.get(key)
    if in_body is not None and not isinstance(in_body, str):
        raise InputError(f'"{key}" must be a string')
    if in_body is not None and in_query is not None and in_body != in_query:
        raise InputError(
            f"{key} is {in_query!r} in the query but {in_body!r} in the body; give it once"
        )
    return in_body if in_body is not None else in_query


def _expressible(doc: Document, units: str) -> tuple[list[Span], list[Span]]:
    """(spans the units can express, spans they cannot: boundaries inside a cluster)."""
    if units != "grapheme":
        return list(doc.spans), []
    bounds = set(grapheme_boundaries(doc.text))
    kept = [s for s in doc.spans if s.start in bounds and s.end in bounds]
    return kept, [s for s in doc.spans if s.start not in bounds or s.end not in bounds]


def answer(doc: Document, units: str) -> tuple[dict[str, Any], list[Span]]:
    """The answer for one annotated document in ``units``; RETURNS (JSON, spans answered).

    EXAMPLE:
        >>> from annotkit.doc import Document, Span
        >>> body, _ = answer(Document("d", "😀 MSCs", spans=(Span(2, 6, "CELL_TYPE"),)), "utf16")
        >>> body["label"]
        [[3, 7, 'CELL_TYPE']]
    """
    kept, skipped = _expressible(doc, units)
    if units == "codepoint":
        triples = [[s.start, s.end, s.label] for s in kept]
    else:
        triples = spans_to_doccano(doc.text, kept, mode=units)
    spans = [
        {
            "start_offset": start,
            "end_offset": end,
            "label": label,
            "text": doc.text_of(span),
            "source": span.source,
            "score": span.score,
            "norm": dict(span.norm) if span.norm is not None else None,
        }
        for (start, end, label), span in zip(triples, kept, strict=True)
    ]
    body = {
        "spans": spans,
        "label": triples,
        "skipped": [
            {
                "start": s.start,
                "end": s.end,
                "label": s.label,
                "text": doc.text_of(s),
                "reason": "a boundary falls inside a grapheme cluster",
            }
            for s in skipped
        ],
    }
    return body, kept


class _BodyError(InputError):
    """The body is not UTF-8 JSON (HTTP 400; a JSON body of the wrong shape is 422)."""


def _error(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


async def _read_json(request: Request) -> Any:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise HTTPException(413, f"the body is larger than {MAX_BODY_BYTES} bytes; send less")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise HTTPException(413, f"the body is larger than {MAX_BODY_BYTES} bytes; send less")
        chunks.append(chunk)
    try:
        return json.loads(b"".join(chunks).decode("utf-8"))
    except UnicodeDecodeError:
        raise _BodyError("the body is not UTF-8; send UTF-8 JSON") from None
    except json.JSONDecodeError as err:
        raise _BodyError(f"the body is not JSON ({err}); send a JSON object") from None


class _Service:
    """The request handlers, holding the annotator, the token and the ledger."""

    def __init__(self, annotator: Annotator, token: str, ledger: SuggestionLedger | None) -> None:
        self.annotator = annotator
        self.token = token
        self.ledger = ledger

    def _authorise(self, request: Request) -> JSONResponse | None:
        header = request.headers.get("authorization")
        challenge = {"WWW-Authenticate": 'Bearer realm="annotkit"'}
        if not header:
            return _error(
                401,
                "missing bearer token; send 'Authorization: Bearer TOKEN' (the token is in "
                "serve.token in the doccano home)",
                challenge,
            )
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            return _error(401, "the Authorization header must be 'Bearer TOKEN'", challenge)
        if not secrets.compare_digest(given.strip().encode(), self.token.encode()):
            return _error(
                403,
                "wrong bearer token; use the one in serve.token in the doccano home (re-run "
                "`annotkit doccano autolabel` after a new token)",
            )
        return None

    async def health(self, request: Request) -> Response:
        try:
            state = await run_in_threadpool(self.annotator.state)
        except AnnotkitError as err:
            return _error(503, str(err))
        return JSONResponse(
            {"status": "ok", "engine": state.engine, "model": state.model, "version": __version__}
        )

    async def annotate(self, request: Request) -> Response:
        refused = self._authorise(request)
        if refused is not None:
            return refused
        parsed = AnnotateRequest.parse(await _read_json(request), request.query_params)
        state, results = await run_in_threadpool(self._annotate, parsed)
        head: dict[str, Any] = {"engine": state.engine, "model": state.model, "units": parsed.units}
        if parsed.batch:
            return JSONResponse({**head, "results": results})
        return JSONResponse({**head, **results[0]})

    def _annotate(self, parsed: AnnotateRequest) -> tuple[EngineState, list[dict[str, Any]]]:
        state, docs = self.annotator.annotate(parsed.texts)
        results = []
        for doc in docs:
            body, kept = answer(doc, parsed.units)
            if parsed.project is not None and self.ledger is not None:
                self.ledger.record(
                    project=parsed.project,
                    text_hash=text_hash(doc.text),
                    spans=kept,
                    origin="autolabel",
                )
            results.append(body)
        return state, results


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)  # registered for HTTPException only
    return _error(exc.status_code, str(exc.detail), exc.headers)


async def _on_annotkit_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, InputError):
        return _error(400 if isinstance(exc, _BodyError) else 422, str(exc))
    if isinstance(exc, (ModelNotFoundError, ConfigError)):
        return _error(503, str(exc))
    log.error("request failed: %s", exc)
    return _error(500, str(exc))


async def _on_crash(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error answering %s %s", request.method, request.url.path)
    return _error(500, "internal error in the annotkit service; see its log")


def create_app(
    annotator: Annotator, *, token: str, ledger: SuggestionLedger | None = None
) -> Starlette:
    """The Starlette app serving ``annotator`` behind ``token``, recording into ``ledger``."""
    service = _Service(annotator, token, ledger)
    return Starlette(
        routes=[
            Route("/health", service.health, methods=["GET"]),
            Route("/annotate", service.annotate, methods=["POST"]),
        ],
        exception_handlers={
            HTTPException: _on_http_error,
            AnnotkitError: _on_annotkit_error,
            Exception: _on_crash,
        },
    )
