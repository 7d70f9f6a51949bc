"""HTTP to doccano: URL checks, timeouts on every call, bounded retries, clear errors.

Private to :mod:`annotkit.sync.client` (the only module that talks to doccano). Every
request gets a connect timeout (:data:`CONNECT_TIMEOUT_S`, TLS handshake included) and a
read timeout (``ANNOTKIT_DOCCANO_TIMEOUT`` seconds, default :data:`DEFAULT_TIMEOUT_S`);
5xx answers and refused connections are retried with exponential backoff (at most
``attempts`` tries, about 8 s in all), a timeout once. Every failure becomes a
:class:`~annotkit.errors.SyncError` reading ``<url>: <what>: <problem> ; <what to check>``.

EXAMPLE:
    >>> check_url("http://127.0.0.1:8000/")
    'http://127.0.0.1:8000'
    >>> try:
    ...     check_url("localhost:8000")
    ... except ConfigError as err:
    ...     print(str(err).split(" ; ")[1])
    write the scheme and host in full, e.g. http://localhost:8000
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from annotkit.errors import ConfigError, SyncError

if TYPE_CHECKING:
    import requests

__all__ = [
    "CONNECT_TIMEOUT_S",
    "DEFAULT_TIMEOUT_S",
    "Http",
    "check_url",
    "json_or_none",
    "results",
    "short_body",
    "timeout_setting",
]

log = logging.getLogger(__name__)

#: Seconds to open a connection (TLS handshake included), and to wait for an answer.
CONNECT_TIMEOUT_S = 10.0
DEFAULT_TIMEOUT_S = 60.0
_RETRY_STATUSES = (500, 502, 503, 504)


def check_url(url: str, where: str = "doccano URL") -> str:
    """The URL without a trailing slash; ConfigError unless it is ``http(s)://host[:port]``."""
    raw = (url or "").strip()
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        example = raw.split("://", 1)[-1] or "127.0.0.1:8000"
        raise ConfigError(
            f"{where}: {raw!r} is not an http:// or https:// URL ; write the scheme and "
            f"host in full, e.g. http://{example}"
        )
    try:
        _ = parts.port
    except ValueError:
        raise ConfigError(
            f"{where}: {raw!r} has an invalid port ; write e.g. http://127.0.0.1:8000"
        ) from None
    return raw.rstrip("/")


def _timeout_adapter(timeout: tuple[float, float]) -> Any:
    from requests.adapters import HTTPAdapter

    class TimeoutAdapter(HTTPAdapter):
        """Gives every request a (connect, read) timeout unless the caller set one."""

        def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
            if len(args) < 2 and kwargs.get("timeout") is None:
                kwargs["timeout"] = timeout
            return super().send(request, *args, **kwargs)

    return TimeoutAdapter()


class _Status(Exception):
    def __init__(self, response: requests.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class Http:
    """One requests session against one server: timeouts, bounded retries, clear errors."""

    def __init__(self, session: requests.Session, url: str, read_timeout: float) -> None:
        self.session = session
        self.url = url
        self.api = f"{url}/v1"
        self.read_timeout = read_timeout
        self.connect_timeout = min(CONNECT_TIMEOUT_S, read_timeout)
        adapter = _timeout_adapter((self.connect_timeout, read_timeout))
        session.mount("http://", adapter)
        session.mount("https://", adapter)

    def _hint_tls(self) -> str:
        return (
            " (an https:// URL on a plain-HTTP port waits like this: try http://)"
            if self.url.startswith("https://")
            else ""
        )

    def call(
        self,
        method: str,
        resource: str,
        what: str,
        *,
        accept: Sequence[int] = (),
        attempts: int = 5,
        **kwargs: Any,
    ) -> requests.Response:
        """Send one request; RETURNS the response (2xx, or a status listed in ``accept``)."""
        import requests

        url = resource if resource.startswith("http") else f"{self.api}/{resource}"
        delay = 0.5
        timeouts = 0
        for attempt in range(1, attempts + 1):
            try:
                resp = self.session.request(method, url, **kwargs)
                if resp.status_code < 300 or resp.status_code in accept:
                    return resp
                raise _Status(resp)
            except _Status as err:
                status = err.response.status_code
                if status in _RETRY_STATUSES and attempt < attempts:
                    log.warning(
                        "%s: %s: HTTP %s, retry %d in %.1fs", self.url, what, status, attempt, delay
                    )
                else:
                    raise self._status_error(what, err.response) from None
            except requests.exceptions.SSLError as err:
                raise SyncError(
                    f"{self.url}: {what}: the TLS handshake failed ({_short(err)}) ; check the "
                    "URL: a server that speaks plain HTTP needs http://"
                ) from None
            except requests.Timeout:
                timeouts += 1
                if timeouts >= 2 or attempt >= attempts:
                    raise SyncError(
                        f"{self.url}: {what}: no answer within {self.read_timeout:.0f} s "
                        f"({self.connect_timeout:.0f} s to connect; {timeouts} tries)"
                        f"{self._hint_tls()} ; check that the URL points at a "
                        "running doccano server (`annotkit doccano server status`), or raise "
                        "ANNOTKIT_DOCCANO_TIMEOUT for a slow one"
                    ) from None
                log.warning("%s: %s: timed out, retry %d", self.url, what, attempt)
            except requests.ConnectionError as err:
                if attempt >= attempts:
                    raise SyncError(
                        f"{self.url}: {what}: cannot connect ({_short(err)}) after {attempts} "
                        "tries ; is the server running and the URL's host and port right? "
                        "(`annotkit doccano server status`)"
                    ) from None
                log.warning(
                    "%s: %s: cannot connect, retry %d in %.1fs", self.url, what, attempt, delay
                )
            except requests.RequestException as err:
                raise SyncError(
                    f"{self.url}: {what}: {_short(err)} ; check the doccano URL"
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 8.0)
        raise SyncError(f"{self.url}: {what}: failed after {attempts} tries ; try again later")

    def _status_error(self, what: str, resp: requests.Response) -> SyncError:
        status = resp.status_code
        body = (resp.text or "")[:300].strip()
        if status in (401, 403):
            return SyncError(
                f"{self.url}: {what}: the doccano server refused access (HTTP {status}) ; "
                "check that the user is a doccano administrator or the project's admin"
            )
        if status == 404:
            return SyncError(
                f"{self.url}: {what}: not found (HTTP 404) ; check the URL (is it a doccano "
                "1.8 server?) and that the project still exists"
            )
        if status in _RETRY_STATUSES:
            return SyncError(
                f"{self.url}: {what}: doccano kept failing (HTTP {status}: {body[:120]}) ; see "
                "the server's logs (local server: <home>/logs) and run the command again"
            )
        return SyncError(
            f"{self.url}: {what}: doccano answered HTTP {status}: {body} ; check "
            "the request's input"
        )

    def json(self, method: str, resource: str, what: str, **kwargs: Any) -> Any:
        resp = self.call(method, resource, what, **kwargs)
        if not resp.content:
            return None
        try:
            return resp.json()
        except ValueError:
            raise SyncError(
                f"{self.url}: {what}: the answer is not JSON ({short_body(resp)}) ; check "
                "that the URL points at a doccano server"
            ) from None


def _short(err: BaseException) -> str:
    text = str(err)
    errno = re.search(r"\[Errno -?\d+\] [^'\")\]]+", text)
    if errno:
        return errno.group(0).strip()
    if "Max retries exceeded" in text and "(Caused by" in text:
        text = text.split("(Caused by", 1)[1].rstrip(")")
    return text.strip()[:160]


def short_body(resp: requests.Response) -> str:
    kind = resp.headers.get("content-type", "?").split(";")[0]
    return f"HTTP {resp.status_code}, {kind}"


def results(data: Any) -> list[Any]:
    if isinstance(data, Mapping):
        return list(data.get("results", []))
    return list(data or [])


def timeout_setting() -> float:
    raw = os.environ.get("ANNOTKIT_DOCCANO_TIMEOUT", "")
    if not raw:
        return DEFAULT_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if value <= 0:
        raise ConfigError(
            f"ANNOTKIT_DOCCANO_TIMEOUT: {raw!r} is not a positive number of seconds ; set e.g. 60"
        )
    return value


def json_or_none(resp: requests.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None
