"""A per-project push lock that lives in doccano itself, so it holds across machines.

doccano lets a user be a member of a project only once (``Member`` is unique per user and
project), so adding the dedicated ``annotkit-lock`` user to a project is an atomic
test-and-set on the server every pusher talks to: the add that succeeds holds the lock;
the others get "already assigned" and wait. Releasing deletes that membership by its id.

A holder that dies would block the project forever, so the holder proves it is alive: a
heartbeat thread flips the lock membership's role (annotator <-> annotation_approver) every
``beat`` seconds. A waiter that sees the same membership with the same role for ``ttl``
seconds takes it over: it deletes exactly that membership (by id, so two waiters cannot
both win: the second delete finds nothing and its add fails) and competes again. A holder
whose heartbeat finds its membership gone has lost the lock; :meth:`ProjectLock.check`
then raises, and push stops between steps. (Push also verifies the example count
afterwards and removes duplicates, so even a holder frozen past ``ttl`` cannot leave any.)

A :class:`LockJournal` in the local doccano home remembers the memberships this machine
took: a lock left behind by a process of this machine that has died, or one whose release
failed (the server was down), is taken over at once instead of after ``ttl``.

EXAMPLE:
    >>> with client.project_lock(project_id, wait=600) as lock:  # doctest: +SKIP
    ...     lock.check()  # raises SyncError if another pusher took over
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from annotkit.errors import SyncError

__all__ = ["HEARTBEAT_S", "LockJournal", "MemberStore", "ProjectLock", "STALE_AFTER_S"]

log = logging.getLogger(__name__)

#: Seconds between the holder's heartbeats, and without one before a lock counts as stale.
HEARTBEAT_S = 10.0
STALE_AFTER_S = 60.0
_ROLES = ("annotator", "annotation_approver")


class MemberStore(Protocol):
    """The project-membership calls the lock needs."""

    def add_member(self, project_id: int, user_id: int, role: str) -> int | None:
        """Add a member; RETURNS its id, or None when the user already is a member."""
        ...

    def find_member(self, project_id: int, user_id: int) -> tuple[int, str] | None:
        """``(member id, role name)`` of the user in the project, if a member."""
        ...

    def set_member_role(self, project_id: int, member_id: int, role: str) -> bool:
        """Change a membership's role; RETURNS False when the membership is gone."""
        ...

    def delete_members(self, project_id: int, member_ids: Sequence[int]) -> None: ...


class LockJournal:
    """This machine's record of the lock memberships it took (``<home>/locks.json``)."""

    def __init__(self, path: Path, key: str) -> None:
        self.path = path
        self.key = key
        self._host = socket.gethostname()

    @contextlib.contextmanager
    def _edit(self) -> Iterator[dict[str, Any]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(f".{self.path.name}.lock"), "w") as guard:
            fcntl.flock(guard, fcntl.LOCK_EX)
            try:
                data = json.loads(self.path.read_text())
            except (OSError, ValueError):
                data = {}
            data = data if isinstance(data, dict) else {}
            yield data
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(data))
            os.replace(tmp, self.path)

    def _set(self, member: int, state: str | None) -> None:
        with self._edit() as data:
            if state is None:
                if data.get(self.key, {}).get("member") == member:
                    data.pop(self.key)
            else:
                data[self.key] = {
                    "member": member,
                    "state": state,
                    "pid": os.getpid(),
                    "host": self._host,
                }

    def held(self, member: int) -> None:
        self._set(member, "held")

    def orphaned(self, member: int) -> None:
        self._set(member, "orphaned")

    def cleared(self, member: int) -> None:
        self._set(member, None)

    def abandoned(self, member: int) -> bool:
        """True when this machine took that membership and nobody holds it any more."""
        try:
            entry = json.loads(self.path.read_text()).get(self.key)
        except (OSError, ValueError, AttributeError):
            return False
        if not isinstance(entry, dict) or entry.get("member") != member:
            return False
        if entry.get("state") == "orphaned":
            return True
        return entry.get("host") == self._host and not _alive(int(entry.get("pid", 0)))


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ProjectLock:
    """Hold a project's push lock (a context manager); see the module docstring."""

    def __init__(
        self,
        store: MemberStore,
        project_id: int,
        lock_user: int,
        *,
        name: str,
        heartbeat_store: MemberStore | None = None,
        journal: LockJournal | None = None,
        wait: float = 600.0,
        ttl: float = STALE_AFTER_S,
        beat: float = HEARTBEAT_S,
        poll: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._store = store
        self._beat_store = heartbeat_store or store
        self._journal = journal
        self.project_id = project_id
        self._user = lock_user
        self._name = name
        self._wait, self._ttl, self._beat, self._poll = wait, ttl, beat, poll
        self._clock, self._sleep = clock, sleep
        self._member: int | None = None
        self._lost = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.waited = 0.0
        self.took_over = 0

    def acquire(self) -> ProjectLock:
        """Wait (at most ``wait`` seconds) until this process holds the lock."""
        start = self._clock()
        seen: tuple[int, str] | None = None
        seen_since = start
        said = False
        while True:
            member = self._store.add_member(self.project_id, self._user, _ROLES[0])
            if member is not None:
                self._member = member
                self.waited = self._clock() - start
                if self._journal is not None:
                    self._journal.held(member)
                self._start_heartbeat()
                return self
            current = self._store.find_member(self.project_id, self._user)
            now = self._clock()
            if current is None:  # released in between: compete again at once
                continue
            if self._journal is not None and self._journal.abandoned(current[0]):
                log.warning(
                    "%s: taking over the push lock a dead push of this machine left", self._name
                )
                self._store.delete_members(self.project_id, [current[0]])
                self.took_over += 1
                continue
            if current != seen:
                seen, seen_since = current, now
                if not said:
                    log.warning(
                        "%s: another push holds the lock; waiting (up to %.0f s)",
                        self._name,
                        self._wait,
                    )
                    said = True
            elif now - seen_since >= self._ttl:
                log.warning(
                    "%s: the push lock showed no heartbeat for %.0f s (its holder died?); "
                    "taking it over",
                    self._name,
                    now - seen_since,
                )
                self._store.delete_members(self.project_id, [current[0]])
                self.took_over += 1
                seen = None
                continue
            if now - start >= self._wait:
                raise SyncError(
                    f"{self._name}: another push has held the project's lock for more than "
                    f"{self._wait:.0f} s ; wait for it to finish and run the same command "
                    "again (a crashed holder's lock expires after "
                    f"{self._ttl:.0f} s without heartbeat)"
                )
            self._sleep(self._poll)

    def _start_heartbeat(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._heartbeat, name="annotkit-lock", daemon=True)
        self._thread.start()

    def _heartbeat(self) -> None:
        turn = 0
        while not self._stop.wait(self._beat):
            turn += 1
            member = self._member
            if member is None:
                return
            try:
                alive = self._beat_store.set_member_role(self.project_id, member, _ROLES[turn % 2])
            except SyncError as err:  # transient: the next beat tries again
                log.warning("%s: lock heartbeat failed: %s", self._name, err)
                continue
            if not alive:
                self._lost.set()
                return

    @property
    def lost(self) -> bool:
        return self._lost.is_set()

    def check(self) -> None:
        """Raise SyncError if another pusher took the lock over (this push went stale)."""
        if self.lost:
            raise SyncError(
                f"{self._name}: this push lost the project's lock (no heartbeat reached "
                f"doccano for {self._ttl:.0f} s, so another push took over) ; run the same "
                "command again: push is idempotent"
            )

    def release(self) -> None:
        """Stop the heartbeat and delete this process's lock membership (never another's)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self._beat + 30)
            self._thread = None
        member, self._member = self._member, None
        if member is None:
            return
        try:  # by id: never deletes a lock another pusher took over
            self._store.delete_members(self.project_id, [member])
            if self._journal is not None:
                self._journal.cleared(member)
        except SyncError as err:  # e.g. the server went away: the lock expires by itself
            if self._journal is not None:
                self._journal.orphaned(member)
            log.warning(
                "%s: could not release the push lock (%s); it expires after %.0f s",
                self._name,
                err,
                self._ttl,
            )

    def __enter__(self) -> ProjectLock:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
