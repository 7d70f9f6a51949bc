"""Where a batch job runs: in this process, or on a Dask (``dask.distributed``) cluster.

An executor maps a partition function (:class:`annotkit.batch.LineJoiner`) over
partitions and yields ``(partition, result)`` as partitions finish, keeping at most
``window`` partitions in flight, so memory stays bounded on the client and on the
workers however large the input is.

* :class:`LocalExecutor`: one partition after another, in this process.
* :class:`DaskExecutor`: partitions are Dask tasks on a ``distributed.Client``; each worker
  process imports annotkit once and keeps its lexicons and models loaded (the stages
  cache them per process), so only documents and output lines travel.

:func:`open_executor` picks one: ``workers=N`` starts a ``LocalCluster`` of N processes
(one thread each) on 127.0.0.1 and stops it afterwards; ``scheduler="tcp://HOST:PORT"``
connects to a running cluster (``dask scheduler`` + ``dask worker`` on any machines,
SSH, Kubernetes or an HPC queue: ``docs/scaling.md``). Dask is the optional extra
``annotkit[dask]``.

EXAMPLE:
    >>> from annotkit.executor import open_executor
    >>> with open_executor(workers=2) as executor:
    ...     print(executor.dashboard)
    http://127.0.0.1:40537/status
"""

from __future__ import annotations

import logging
import resource
import signal
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from annotkit.batch import Partition
from annotkit.errors import ConfigError

__all__ = ["DaskExecutor", "Executor", "LocalExecutor", "open_executor", "peak_memory"]

log = logging.getLogger(__name__)

PartitionFunction = Callable[[bytes], tuple[str, ...]]
#: Seconds to wait for a scheduler to answer before giving up.
CONNECT_TIMEOUT_S = 15
_INSTALL_HINT = "install it with: pip install 'annotkit[dask]'"


def peak_memory() -> int:
    """This process's peak resident memory in bytes (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


class Executor(Protocol):
    """Maps a partition function over partitions; yields results as they finish."""

    @property
    def dashboard(self) -> str | None: ...

    def peak_memory(self) -> dict[str, int]:
        """Peak resident memory (bytes) of each process that ran partitions, by name."""
        ...

    def map(
        self, func: PartitionFunction, partitions: Iterable[Partition]
    ) -> Iterator[tuple[Partition, tuple[str, ...]]]: ...


class LocalExecutor:
    """Runs partitions one after another in this process (the default)."""

    @property
    def dashboard(self) -> str | None:
        return None

    def peak_memory(self) -> dict[str, int]:
        return {"local": peak_memory()}

    def map(
        self, func: PartitionFunction, partitions: Iterable[Partition]
    ) -> Iterator[tuple[Partition, tuple[str, ...]]]:
        for part in partitions:
            yield part, func(part.payload)


def _leave_ctrl_c_to_the_client() -> None:
    """In a LocalCluster's worker: ignore SIGINT. A terminal's Ctrl-C reaches the whole
    process group; the client handles it and closes the cluster, which stops the workers."""
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: nothing to do
        log.debug("cannot ignore SIGINT outside the main thread")


def _worker_setup(setup: Callable[[], None]) -> Any:
    from distributed.diagnostics.plugin import WorkerPlugin

    class _Setup(WorkerPlugin):
        """Runs ``setup`` once in every worker process, those that join later too."""

        def __init__(self, fn: Callable[[], None]) -> None:
            self.fn = fn

        def setup(self, worker: Any) -> None:
            self.fn()

    return _Setup(setup)


class DaskExecutor:
    """Runs partitions as tasks on a ``distributed.Client`` (``window`` in flight).

    ``window`` defaults to twice the cluster's worker threads (at least 2), enough to
    keep every worker busy while results travel back.
    """

    def __init__(self, client: Any, *, window: int | None = None) -> None:
        self.client = client
        self._window = window

    @property
    def dashboard(self) -> str | None:
        link = getattr(self.client, "dashboard_link", None)
        return str(link) if link else None

    def peak_memory(self) -> dict[str, int]:
        """Each worker's peak resident memory since it started (bytes), by address."""
        found: dict[str, int] = self.client.run(peak_memory)
        return {str(k): int(v) for k, v in sorted(found.items())}

    def window(self) -> int:
        if self._window is not None:
            return max(1, self._window)
        try:
            threads = int(sum(self.client.nthreads().values()))
        except Exception:  # noqa: BLE001 - a cluster still starting: use the minimum
            threads = 1
        return max(2, 2 * threads)

    def map(
        self, func: PartitionFunction, partitions: Iterable[Partition]
    ) -> Iterator[tuple[Partition, tuple[str, ...]]]:
        from distributed import as_completed

        source = iter(partitions)
        token = uuid.uuid4().hex[:12]
        pending: dict[str, Partition] = {}
        done: Any = as_completed()  # type: ignore[no-untyped-call]

        def submit_next() -> bool:
            part = next(source, None)
            if part is None:
                return False
            future = self.client.submit(
                func, part.payload, key=f"annotkit-{token}-{part.index:07d}", pure=False
            )
            pending[future.key] = part
            done.add(future)
            return True

        try:
            for _ in range(self.window()):
                if not submit_next():
                    break
            for future in done:
                part = pending.pop(future.key)
                result: tuple[str, ...] = future.result()
                future.release()
                submit_next()
                yield part, result
        finally:
            if pending:  # an error or an abandoned iterator: stop what is still queued
                self.client.cancel(list(done.futures))


@contextmanager
def open_executor(
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    worker_setup: Callable[[], None] | None = None,
    dashboard_address: str = "127.0.0.1:0",
    connect_timeout: float = CONNECT_TIMEOUT_S,
    log_level: int = logging.WARNING,
) -> Iterator[Executor]:
    """The executor for a run: this process, a LocalCluster, or an existing scheduler.

    arg workers (int | None): start a ``distributed.LocalCluster`` of this many worker
        processes (one thread each) on 127.0.0.1, closed on exit.
    arg scheduler (str | None): address of a running scheduler (``tcp://HOST:PORT``), or
        the JSON file a scheduler wrote with ``dask scheduler --scheduler-file FILE``.
    arg worker_setup (Callable[[], None] | None): picklable function run once in every
        worker process (e.g. to quiet a library's logging).
    arg dashboard_address (str): where a LocalCluster serves its dashboard.
    arg connect_timeout (float): seconds to wait for ``scheduler`` to answer.
    arg log_level (int): what a LocalCluster's scheduler and workers log (to stderr).
    Neither ``workers`` nor ``scheduler``: a :class:`LocalExecutor`.
    """
    if workers is not None and scheduler is not None:
        raise ConfigError("give either a number of local workers or a scheduler address, not both")
    if workers is None and scheduler is None:
        yield LocalExecutor()
        return
    if workers is not None and workers < 1:
        raise ConfigError(f"the number of workers must be at least 1, got {workers}")
    try:
        import distributed
    except ImportError:
        raise ConfigError(f"running on Dask needs dask.distributed; {_INSTALL_HINT}") from None
    where = (workers, scheduler, dashboard_address, connect_timeout, log_level)
    with _client(distributed, *where) as client:
        if workers is not None:
            client.register_plugin(
                _worker_setup(_leave_ctrl_c_to_the_client), name="annotkit-local-sigint"
            )
        if worker_setup is not None:
            client.register_plugin(_worker_setup(worker_setup), name="annotkit-setup")
        yield DaskExecutor(client)


@contextmanager
def _client(
    distributed: Any,
    workers: int | None,
    scheduler: str | None,
    dashboard_address: str,
    connect_timeout: float,
    log_level: int,
) -> Iterator[Any]:
    if scheduler is not None:
        is_file = Path(scheduler).is_file()
        where = {"scheduler_file": scheduler} if is_file else {"address": scheduler}
        try:
            client = distributed.Client(**where, timeout=f"{connect_timeout}s")
        except (OSError, TimeoutError, ValueError) as err:
            raise ConfigError(
                f"cannot reach the Dask scheduler at {scheduler!r} ({err}); start one with "
                "`dask scheduler` and give its address (tcp://HOST:PORT) or its --scheduler-file"
            ) from None
        with client:
            yield client
        return
    import dask

    # the workers' statistical profiler samples the task thread every 10 ms: 8-13 % of the
    # CPU of a run here (bench/scale.py); the dashboard's other pages stay
    with dask.config.set({"distributed.worker.profile.enabled": False}):
        cluster = distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=dashboard_address,
            silence_logs=log_level,
        )
    with cluster, distributed.Client(cluster) as client:
        yield client
