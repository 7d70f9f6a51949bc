"""A local doccano server: its own virtualenv, ``init``, an admin, gunicorn + Celery on loopback.

doccano 1.8.4 needs pydantic 1-era dependencies that clash with doccano-client, so it lives in
a virtualenv of its own, built once per user by :func:`ensure_server_venv` (cached under the
user cache directory, or wherever ``ANNOTKIT_DOCCANO_VENV`` points). :func:`start_server`
prepares a *home* directory (SQLite database, media, logs, pid file, ``credentials.json``
mode 0600 with a random admin password), then runs gunicorn bound to ``127.0.0.1`` and the
Celery worker that file import/export need, each in its own process group, and waits for
``/v1/health/`` (answered by *its* gunicorn: a port another program holds is an error, not
a success). It also creates annotkit's own doccano users: ``annotkit``, which owns the
suggestions push uploads (its password goes to ``credentials.json`` too), and
``annotkit-lock``, the push lock (:mod:`annotkit.sync.accounts`). :func:`stop_server` ends
exactly the process groups it recorded.

EXAMPLE:
    >>> from annotkit.sync.server import start_server, stop_server
    >>> info = start_server("/tmp/dc-home", port=8123)  # doctest: +SKIP
    >>> info.url  # doctest: +SKIP
    'http://127.0.0.1:8123'
    >>> stop_server("/tmp/dc-home")  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from annotkit.config import DOCCANO_VERSION, settings
from annotkit.errors import ConfigError, SyncError
from annotkit.sync.accounts import LOCK_USER, SUGGESTER, write_private

__all__ = [
    "DOCCANO_VERSION",
    "SERVER_PINS",
    "ServerInfo",
    "default_home",
    "ensure_server_venv",
    "free_port",
    "load_credentials",
    "port_free",
    "server_status",
    "start_server",
    "stop_server",
]

log = logging.getLogger(__name__)

#: What the server's virtualenv installs: doccano plus the pins its dependencies need.
SERVER_PINS: tuple[str, ...] = (f"doccano=={DOCCANO_VERSION}", "marshmallow<4", "numpy<2")
_MARKER = ".annotkit-complete"
_PIDFILE = "server.pids.json"
_CREDENTIALS = "credentials.json"
_SETTINGS = "server.env.json"

Progress = Callable[[str], None]


def _noop(_: str) -> None:
    return None


def default_home() -> Path:
    """The local server's home (database, credentials): ``Settings.doccano_home``."""
    return settings().doccano_home


def _default_venv() -> Path:
    return settings().doccano_venv


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_server_venv(
    venv: str | os.PathLike[str] | None = None, *, progress: Progress = _noop
) -> Path:
    """Build (once) the virtualenv that runs the doccano server and return its path.

    arg venv: where to build it (default ``$ANNOTKIT_DOCCANO_VENV`` or the user cache dir).
    arg progress: called with a line of text per step (the build takes minutes the first time).
    RETURNS the venv directory. A finished build carries a marker file; an unfinished one
    (interrupted build) is removed and rebuilt. Concurrent callers wait on a file lock.
    """
    path = Path(venv).expanduser() if venv is not None else _default_venv()
    marker = path / _MARKER
    if marker.exists():
        return path
    with _locked(path.parent / f".{path.name}.lock"):
        if marker.exists():
            return path
        if path.exists():
            progress(f"removing the unfinished doccano venv at {path}")
            shutil.rmtree(path)
        progress(f"building the doccano {DOCCANO_VERSION} server venv at {path} (minutes)")
        base = getattr(sys, "_base_executable", None) or sys.executable
        _run([base, "-m", "venv", str(path)], "create the doccano virtualenv")
        pip = [str(path / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check"]
        progress("installing " + " ".join(SERVER_PINS))
        _run([*pip, "-q", *SERVER_PINS], "install doccano into its virtualenv")
        marker.write_text(json.dumps({"pins": list(SERVER_PINS)}))
        progress("doccano venv ready")
    return path


def _run(cmd: list[str], what: str, *, env: dict[str, str] | None = None) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout)[-1500:]
        raise SyncError(f"could not {what} (exit {proc.returncode}): {tail.strip()}")


def _backend_dir(venv: Path) -> Path:
    found = sorted(venv.glob("lib/python*/site-packages/backend/config/wsgi.py"))
    if not found:
        raise ConfigError(
            f"no doccano backend in {venv}; delete that directory and start again to rebuild it"
        )
    return found[0].parent.parent


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True, slots=True)
class ServerInfo:
    """Where a local server runs and what it is made of (no secrets)."""

    url: str
    home: Path
    pids: tuple[int, ...]
    healthy: bool


def _home(home: str | os.PathLike[str] | None) -> Path:
    return Path(home).expanduser().resolve() if home is not None else default_home()


def _server_env(home: Path, venv: Path, settings: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANNOTKIT_DOCCANO_")}
    env.pop("VIRTUAL_ENV", None)
    env.update(
        {
            "DOCCANO_HOME": str(home),
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "STANDALONE": "True",
            "DEBUG": "False",
            "DATABASE_URL": f"sqlite:///{home / 'db.sqlite3'}",
            "MEDIA_ROOT": str(home / "media"),
            "CELERY_BROKER_URL": f"sqla+sqlite:///{home / 'broker.sqlite3'}",
            "SECRET_KEY": settings["secret_key"],
            "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _write_private(path: Path, data: dict[str, object]) -> None:
    write_private(path, data)


def port_free(port: int) -> bool:
    """True when nothing listens on ``127.0.0.1:port`` (so gunicorn can bind it)."""
    with socket.socket() as sock:
        # as gunicorn binds: connections of a server that just stopped (TIME_WAIT) are fine
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


#: Creates or resets annotkit's own users (passwords as JSON on stdin).
_USERS_SCRIPT = (
    "import json, sys\n"
    "import django\n"
    "django.setup()\n"
    "from django.contrib.auth import get_user_model\n"
    "User = get_user_model()\n"
    "for name, pw in json.loads(sys.stdin.read()).items():\n"
    "    user = User.objects.filter(username=name).first()\n"
    "    if user is None:\n"
    "        User.objects.create_user(name, f'{name}@localhost', pw)\n"
    "    else:\n"
    "        user.set_password(pw); user.save()\n"
)


def _django(
    python: str, backend: Path, env: dict[str, str], code: str, stdin: str, what: str, home: Path
) -> None:
    proc = subprocess.run(
        [python, "-c", f"import sys; sys.path.insert(0, {str(backend)!r})\n{code}"],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=str(backend),
    )
    if proc.returncode != 0:
        raise SyncError(
            f"{home}: {what} failed (exit {proc.returncode}): {proc.stderr.strip()[-1500:]} ; "
            f"see the message, or delete {home} to start from scratch"
        )


def load_credentials(home: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """Read ``<home>/credentials.json`` (``url``, ``username``, ``password``)."""
    path = _home(home) / _CREDENTIALS
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(
            f"no doccano credentials at {path}; run `annotkit doccano server start` or set "
            "ANNOTKIT_DOCCANO_URL, ANNOTKIT_DOCCANO_USERNAME and ANNOTKIT_DOCCANO_PASSWORD"
        ) from None
    except (OSError, ValueError) as err:
        raise ConfigError(f"cannot read doccano credentials {path}: {err}") from None
    if not isinstance(data, dict) or not {"url", "username", "password"} <= set(data):
        raise ConfigError(f"{path} must hold url, username and password; restart the server")
    return {k: str(data[k]) for k in ("url", "username", "password")}


def _health(url: str, timeout: float = 3.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/v1/health/", timeout=timeout) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child of ours counts as dead
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def _read_pids(home: Path) -> dict[str, object]:
    try:
        data = json.loads((home / _PIDFILE).read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _ours(pid: int, venv: str) -> bool:
    """The pid is alive and still runs from our venv (guards against pid reuse)."""
    if not _alive(pid):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return True
    return venv in cmdline


def server_status(home: str | os.PathLike[str] | None = None) -> ServerInfo:
    """Report the server recorded in ``home``: its URL, live pids and health."""
    h = _home(home)
    data = _read_pids(h)
    url = str(data.get("url", ""))
    venv = str(data.get("venv", ""))
    raw = data.get("pids", {})
    pids = tuple(int(p) for p in raw.values()) if isinstance(raw, dict) else ()
    live = tuple(p for p in pids if _ours(p, venv))
    healthy = bool(url) and bool(live) and _health(url)
    return ServerInfo(url=url, home=h, pids=live, healthy=healthy)


def start_server(
    home: str | os.PathLike[str] | None = None,
    *,
    port: int | None = None,
    venv: str | os.PathLike[str] | None = None,
    workers: int = 2,
    timeout: float = 180.0,
    progress: Progress = _noop,
) -> ServerInfo:
    """Start (or find running) a doccano server for ``home`` on 127.0.0.1 and wait for health.

    The first start in a home runs doccano's migrations and creates the ``admin`` user with a
    random password, written to ``<home>/credentials.json`` (mode 0600), and annotkit's own
    users (``annotkit``, whose password is kept there too, and ``annotkit-lock``). Later
    starts reuse the database and credentials (``port`` may change). A ``port`` another
    program holds raises SyncError before anything starts. RETURNS a :class:`ServerInfo`.
    """
    h = _home(home)
    h.mkdir(parents=True, exist_ok=True)
    os.chmod(h, 0o700)
    current = server_status(h)
    if current.healthy:
        progress(f"doccano already running at {current.url}")
        return current
    if current.pids:
        stop_server(h)
    if port is not None and not port_free(port):
        raise SyncError(
            f"127.0.0.1:{port}: the port is taken by another program (maybe another doccano "
            "server) ; stop that program, or pass another --port (or none: a free one is chosen)"
        )
    env_dir = ensure_server_venv(venv, progress=progress)
    backend = _backend_dir(env_dir)
    settings_path = h / _SETTINGS
    if settings_path.exists():
        settings = json.loads(settings_path.read_text())
    else:
        settings = {"secret_key": secrets.token_urlsafe(48)}
        _write_private(settings_path, settings)
    env = _server_env(h, env_dir, settings)
    python = str(env_dir / "bin" / "python")
    (h / "media").mkdir(exist_ok=True)
    logs = h / "logs"
    logs.mkdir(exist_ok=True)

    cred_path = h / _CREDENTIALS
    if not cred_path.exists() or not (h / "db.sqlite3").exists():
        progress("initialising the doccano database")
        password = secrets.token_urlsafe(18)
        init = (
            "import django\n"
            "django.setup()\n"
            "from django.core import management\n"
            "management.call_command('migrate', verbosity=0)\n"
            "management.call_command('create_roles')\n"
            "from django.contrib.auth import get_user_model\n"
            "User = get_user_model()\n"
            "pw = sys.stdin.read().strip()\n"
            "user = User.objects.filter(username='admin').first()\n"
            "if user is None:\n"
            "    User.objects.create_superuser('admin', 'admin@localhost', pw)\n"
            "else:\n"
            "    user.set_password(pw); user.save()\n"
        )
        _django(python, backend, env, init, password, "doccano init", h)
        _write_private(cred_path, {"url": "", "username": "admin", "password": password})

    creds = json.loads(cred_path.read_text())
    if not isinstance(creds.get("suggester"), dict):
        progress(f"creating annotkit's doccano users ({SUGGESTER}, {LOCK_USER})")
        machine = {SUGGESTER: secrets.token_urlsafe(24), LOCK_USER: secrets.token_urlsafe(24)}
        _django(
            python,
            backend,
            env,
            _USERS_SCRIPT,
            json.dumps(machine),
            "creating annotkit's doccano users",
            h,
        )
        creds["suggester"] = {"username": SUGGESTER, "password": machine[SUGGESTER]}

    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    creds["url"] = url
    _write_private(cred_path, creds)

    def spawn(name: str, cmd: list[str]) -> subprocess.Popen[bytes]:
        out = open(logs / f"{name}.log", "ab")  # noqa: SIM115 - handed to the child
        try:
            return subprocess.Popen(
                cmd,
                env=env,
                cwd=str(backend),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            out.close()

    progress(f"starting doccano on {url}")
    celery_log = logs / "celery.log"
    log_start = celery_log.stat().st_size if celery_log.exists() else 0
    web_log = logs / "gunicorn.log"
    web_start = web_log.stat().st_size if web_log.exists() else 0
    task = spawn(
        "celery",
        [
            str(env_dir / "bin" / "celery"),
            "--app=config",
            f"--workdir={backend}",
            "worker",
            "--loglevel=info",
            "--concurrency=1",
            "--pool=solo",  # no fork: prefork children deadlocked after a restart here
        ],
    )
    pids = {"celery": task.pid}
    _write_private(h / _PIDFILE, {"url": url, "venv": str(env_dir), "pids": pids})
    # the worker declares its broker queue first; gunicorn's health check would race it
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and task.poll() is None:
        with open(celery_log, "rb") as handle:
            handle.seek(log_start)
            if b" ready." in handle.read():
                break
        time.sleep(0.3)
    web = spawn(
        "gunicorn",
        [
            str(env_dir / "bin" / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "120",  # a stuck request (e.g. TLS spoken to this plain-HTTP port) frees its worker
            "--chdir",
            str(backend),
            "config.wsgi",
        ],
    )
    pids["gunicorn"] = web.pid
    _write_private(h / _PIDFILE, {"url": url, "venv": str(env_dir), "pids": pids})
    while time.monotonic() < deadline:
        if web.poll() is not None or task.poll() is not None:
            which = "gunicorn" if web.poll() is not None else "celery"
            stop_server(h)
            tail = (logs / f"{which}.log").read_text(errors="replace")[-1500:]
            raise SyncError(
                f"doccano's {which} exited while starting on port {port}: {tail.strip()}; "
                f"see {logs} (is the port taken? pass --port)"
            )
        if _listening(web_log, web_start, port) and _health(url, timeout=2.0):
            progress(f"doccano is up at {url}")
            return ServerInfo(url=url, home=h, pids=(web.pid, task.pid), healthy=True)
        if _bind_failed(web_log, web_start):
            stop_server(h)
            raise SyncError(
                f"127.0.0.1:{port}: the port is taken by another program ; stop it, or pass "
                "another --port (or none: a free one is chosen)"
            )
        time.sleep(0.5)
    stop_server(h)
    raise SyncError(f"doccano did not answer {url}/v1/health/ within {timeout:.0f} s; see {logs}")


def _log_since(path: Path, offset: int) -> bytes:
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            return handle.read()
    except OSError:
        return b""


def _listening(path: Path, offset: int, port: int) -> bool:
    """gunicorn logged that it bound the port (so /v1/health/ answers are its own)."""
    return f"Listening at: http://127.0.0.1:{port}".encode() in _log_since(path, offset)


def _bind_failed(path: Path, offset: int) -> bool:
    return b"Connection in use" in _log_since(path, offset)


def stop_server(home: str | os.PathLike[str] | None = None, *, grace: float = 10.0) -> int:
    """Stop the processes recorded in ``home``'s pid file (their process groups only).

    RETURNS how many recorded processes were still running.
    """
    h = _home(home)
    data = _read_pids(h)
    venv = str(data.get("venv", ""))
    raw = data.get("pids", {})
    pids = [int(p) for p in raw.values()] if isinstance(raw, dict) else []
    live = [p for p in pids if _ours(p, venv)]
    for pid in live:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_alive(p) for p in live):
        _reap(live)
        time.sleep(0.2)
    for pid in live:
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
    _reap(live)
    with contextlib.suppress(FileNotFoundError):
        (h / _PIDFILE).unlink()
    return len(live)


def _reap(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, os.WNOHANG)
