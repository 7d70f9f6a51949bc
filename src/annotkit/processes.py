"""A small pool of local worker processes for CPU-bound steps that hold the GIL.

python-crfsuite's training holds the GIL, so threads do not run two CRF fits at once;
processes do. The workers are *spawned* (a fresh interpreter each: no copy of the caller's
threads, locks or torch state), ignore SIGINT (Ctrl-C reaches the caller, which stops them),
and are terminated, not waited for, when the caller fails or is interrupted: nothing keeps
running after the command has ended.

EXAMPLE:
    >>> from annotkit.processes import process_pool
    >>> with process_pool(2) as pool:
    ...     pool.apply_async(abs, (-3,)).get()
    3
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.pool
import signal
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["process_pool"]


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def process_pool(workers: int) -> Iterator[multiprocessing.pool.Pool]:
    """``workers`` spawned processes; closed and joined on success, terminated on any error."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    pool = multiprocessing.get_context("spawn").Pool(workers, initializer=_ignore_sigint)
    try:
        yield pool
    except BaseException:
        pool.terminate()
        pool.join()
        raise
    pool.close()
    pool.join()
