"""The worker-process pool behind ``annotkit train --workers`` (real spawned processes)."""

from __future__ import annotations

import multiprocessing
import time

import pytest

from annotkit.processes import process_pool


def test_process_pool_runs_tasks_in_other_processes() -> None:
    import os

    before = set(multiprocessing.active_children())
    with process_pool(2) as pool:
        pids = {pool.apply_async(os.getpid).get(timeout=60) for _ in range(4)}
    assert os.getpid() not in pids
    assert set(multiprocessing.active_children()) <= before  # closed and joined


def test_process_pool_stops_its_workers_when_the_caller_fails() -> None:
    before = set(multiprocessing.active_children())
    t0 = time.perf_counter()
    with pytest.raises(KeyboardInterrupt), process_pool(2) as pool:
        pool.apply_async(time.sleep, (120,))
        time.sleep(0.5)
        raise KeyboardInterrupt  # what Ctrl-C raises in the caller
    assert time.perf_counter() - t0 < 30  # terminated, not waited for
    assert set(multiprocessing.active_children()) <= before


def test_process_pool_needs_a_worker() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        with process_pool(0):
            pass
