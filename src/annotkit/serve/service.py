"""Run the service: uvicorn on a socket bound here, the token and the ledger of a doccano home.

:func:`run_service` creates the token on first start (:func:`annotkit.serve.token.ensure_token`),
opens the home's suggestion ledger, loads the engine (failing before it listens when the
engine cannot answer), binds ``host:port`` and serves until SIGINT/SIGTERM. While it runs,
``<home>/serve.json`` says where (``url``, ``pid``), which ``annotkit doccano autolabel``
uses as its default service URL.

EXAMPLE:
    >>> from annotkit.serve.annotator import Annotator
    >>> run_service(home="/tmp/dc-home", annotator=Annotator(models_dir="models"))  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import os
import signal
import socket
from collections.abc import Callable
from pathlib import Path

from annotkit.errors import ConfigError
from annotkit.serve.annotator import Annotator
from annotkit.serve.token import ensure_token
from annotkit.sync.ledger import ledger_for

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "STATE_FILE", "recorded_url", "run_service"]

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8750
STATE_FILE = "serve.json"
_WARMUP = "87 million bone marrow-derived MSCs; VAS. 注射1000万间充质干细胞。"


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as err:
        sock.close()
        raise ConfigError(
            f"cannot listen on {host}:{port} ({err.strerror or err}); pass another --port "
            "(or --port 0 for a free one) or stop what uses it"
        ) from None
    sock.set_inheritable(True)
    return sock


def _exit_normally(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _url(host: str, port: int) -> str:
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"


def recorded_url(home: str | os.PathLike[str]) -> str | None:
    """The URL of the service running for ``home`` (from ``serve.json``), None if none."""
    try:
        data = json.loads((Path(home).expanduser() / STATE_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("url"), str):
        return None
    pid = data.get("pid")
    if isinstance(pid, int):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
    return str(data["url"])


def run_service(
    *,
    home: str | os.PathLike[str],
    annotator: Annotator,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    access_log: bool = False,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Serve ``annotator`` on ``host:port`` until interrupted (blocks).

    home: the doccano home holding ``serve.token``, the suggestion ledger and ``serve.json``.
    port: 0 picks a free port. ready: called with the URL once the socket listens.
    Raises ConfigError/ModelNotFoundError before listening when it cannot serve.
    """
    try:
        import uvicorn

        from annotkit.serve.app import create_app
    except ImportError as err:
        raise ConfigError(
            f"the service needs Starlette and uvicorn ({err.name} is missing); run "
            "`pip install 'annotkit[serve]'`"
        ) from None

    home_dir = Path(home).expanduser()
    annotator.annotate([_WARMUP])  # load lexicons and models now, and fail before listening
    token = ensure_token(home_dir)
    ledger = ledger_for(home_dir)
    app = create_app(annotator, token=token, ledger=ledger)
    sock = _bind(host, port)
    url = _url(host, sock.getsockname()[1])
    state = home_dir / STATE_FILE
    tmp = state.with_name(f".{STATE_FILE}.{os.getpid()}")
    tmp.write_text(json.dumps({"url": url, "pid": os.getpid()}) + "\n", "utf-8")
    os.replace(tmp, state)
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=access_log,
        lifespan="off",
        timeout_graceful_shutdown=5,
        server_header=False,
    )
    log.info("annotkit service listening at %s (token in %s)", url, home_dir / "serve.token")
    if not _loopback(host):
        log.warning(
            "listening on %s: other machines can reach the service over plain HTTP; the "
            "bearer token is its only protection (put TLS in front, or use --host 127.0.0.1)",
            host,
        )
    if ready is not None:
        ready(url)
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal: exit
    # normally then (no "Aborted!"), so the state file is removed below
    previous = {sig: signal.signal(sig, _exit_normally) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()
        with contextlib.suppress(OSError, ValueError):
            if json.loads(state.read_text("utf-8")).get("pid") == os.getpid():
                state.unlink()
