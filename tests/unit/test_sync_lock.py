"""The push lock over project memberships: exclusion, stale takeover, a holder that lost it."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from annotkit.errors import SyncError
from annotkit.sync.lock import ProjectLock


class Members:
    """Memberships unique per (project, user), as doccano's ``Member`` table."""

    def __init__(self) -> None:
        self.rows: dict[int, tuple[int, int, str]] = {}
        self._ids = itertools.count(1)
        self._mutex = threading.Lock()
        self.frozen = False  # a holder whose heartbeats stop reaching the server

    def add_member(self, project_id: int, user_id: int, role: str) -> int | None:
        with self._mutex:
            if any(p == project_id and u == user_id for p, u, _ in self.rows.values()):
                return None
            mid = next(self._ids)
            self.rows[mid] = (project_id, user_id, role)
            return mid

    def find_member(self, project_id: int, user_id: int) -> tuple[int, str] | None:
        with self._mutex:
            return next(
                ((m, r) for m, (p, u, r) in self.rows.items() if p == project_id and u == user_id),
                None,
            )

    def set_member_role(self, project_id: int, member_id: int, role: str) -> bool:
        with self._mutex:
            if member_id not in self.rows:
                return False
            p, u, _ = self.rows[member_id]
            self.rows[member_id] = (p, u, role)
            return True

    def delete_members(self, project_id: int, member_ids: Sequence[int]) -> None:
        with self._mutex:
            for mid in member_ids:
                self.rows.pop(mid, None)


class FrozenBeats(Members):
    """The holder's view: its heartbeats never arrive (a suspended laptop)."""

    def __init__(self, real: Members) -> None:
        self.real = real

    def set_member_role(self, project_id: int, member_id: int, role: str) -> bool:
        return member_id in self.real.rows


def _lock(store: Members, **kw: float) -> ProjectLock:
    return ProjectLock(store, 1, 7, name="p", **{"beat": 0.05, "ttl": 0.5, "poll": 0.01, **kw})


def test_sync_lock_excludes_and_releases() -> None:
    store = Members()
    inside: list[int] = []
    overlap = threading.Event()

    def work(k: int) -> None:
        with _lock(store, wait=20):
            inside.append(k)
            if len(inside) > 1:
                overlap.set()
            time.sleep(0.05)
            inside.remove(k)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not overlap.is_set()
    assert store.rows == {}


def test_sync_lock_heartbeat_keeps_a_slow_holder() -> None:
    store = Members()
    with _lock(store, wait=5):
        waiter = _lock(store, wait=1.0)
        with pytest.raises(SyncError, match="held the project's lock"):
            waiter.acquire()  # 1 s > ttl: the heartbeat proves the holder alive
        assert waiter.took_over == 0


def test_sync_lock_stale_holder_is_taken_over_and_notices() -> None:
    store = Members()
    stale = ProjectLock(
        store, 1, 7, name="p", heartbeat_store=FrozenBeats(store), beat=0.05, ttl=0.3, poll=0.01
    )
    stale.acquire()
    first = next(iter(store.rows))
    fresh = _lock(store, ttl=0.3, wait=5).acquire()
    assert fresh.took_over == 1 and first not in store.rows
    deadline = time.monotonic() + 10  # the stale holder's heartbeat thread notices (0.05 s beats)
    while not stale.lost and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stale.lost
    with pytest.raises(SyncError, match="lost the project's lock"):
        stale.check()
    stale.release()  # deletes by id: the new holder's membership stays
    assert len(store.rows) == 1
    fresh.check()
    fresh.release()
    assert store.rows == {}


class Unreachable(Members):
    """The server went away: deleting the membership fails."""

    def __init__(self, real: Members) -> None:
        self.real = real

    def add_member(self, project_id: int, user_id: int, role: str) -> int | None:
        return self.real.add_member(project_id, user_id, role)

    def set_member_role(self, project_id: int, member_id: int, role: str) -> bool:
        return True

    def delete_members(self, project_id: int, member_ids: Sequence[int]) -> None:
        raise SyncError("connection refused")


def test_sync_lock_journal_frees_locks_this_machine_left(tmp_path: Path) -> None:
    import subprocess
    import sys

    from annotkit.sync.lock import LockJournal

    store = Members()
    journal = LockJournal(tmp_path / "locks.json", "http://x#1")
    # a release that failed (server down) leaves an orphan: the next push takes it at once
    failed = ProjectLock(Unreachable(store), 1, 7, name="p", journal=journal, beat=60)
    failed.acquire()
    failed.release()
    assert len(store.rows) == 1
    start = time.monotonic()
    lock = ProjectLock(store, 1, 7, name="p", journal=journal, ttl=30, poll=0.01).acquire()
    assert lock.took_over == 1 and time.monotonic() - start < 5
    # a push of this machine that died while holding it
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    (member,) = store.rows
    raw = json.loads(journal.path.read_text())
    raw["http://x#1"]["pid"] = int(dead.stdout)
    journal.path.write_text(json.dumps(raw))
    lock._member = None  # the dead process never released it
    again = ProjectLock(store, 1, 7, name="p", journal=journal, ttl=30, poll=0.01).acquire()
    assert again.took_over == 1 and member not in store.rows
    again.release()
    assert store.rows == {} and json.loads(journal.path.read_text()) == {}
