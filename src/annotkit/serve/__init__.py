"""``annotkit serve``: live pre-annotation over HTTP, for doccano's auto-labelling.

doccano 1.8 can call a REST service per project ("Custom REST Request" auto-labelling,
configured by ``annotkit doccano autolabel``) and saves the spans it answers as the
annotator who asked. This package is that service:

* :mod:`annotkit.serve.annotator`: the engine (promoted model/ensemble, else rules),
  reloaded when a model is promoted;
* :mod:`annotkit.serve.app`: the Starlette app (``GET /health``, ``POST /annotate``),
  bearer-token checks, offsets converted to doccano's units at this boundary only, every
  answer recorded in the suggestion ledger of the doccano home;
* :mod:`annotkit.serve.token`: the token file (``<home>/serve.token``, mode 0600);
* :mod:`annotkit.serve.service`: :func:`run_service` (uvicorn).

Install with ``pip install 'annotkit[serve]'`` (Starlette and uvicorn; no pydantic).

EXAMPLE:
    >>> from annotkit.serve import Annotator, run_service
    >>> run_service(home="~/doccano", annotator=Annotator(models_dir="models"))  # doctest: +SKIP
"""

from __future__ import annotations

from annotkit.serve.annotator import SERVE_ENGINES, Annotator, EngineState
from annotkit.serve.service import DEFAULT_HOST, DEFAULT_PORT, recorded_url, run_service
from annotkit.serve.token import TOKEN_FILE, ensure_token, read_token

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "SERVE_ENGINES",
    "TOKEN_FILE",
    "Annotator",
    "EngineState",
    "ensure_token",
    "read_token",
    "recorded_url",
    "run_service",
]
