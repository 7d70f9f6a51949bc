"""The suggestion ledger: what annotkit suggested to doccano, span by span, with details.

doccano stores spans without annotkit's details (source, score, norm) and saves
auto-labelled spans as the annotator who asked for them, so annotkit keeps its own record
of every machine suggestion: ``push`` records the pre-annotations it uploads, ``annotkit
serve`` records what it answers doccano's auto-labelling with, and ``pull`` reads both to
tell a person's span from an untouched suggestion and to give suggestions back their
details. One SQLite file per local doccano home (``<home>/suggestions.sqlite``), safe for
concurrent processes (WAL mode, one transaction per write).

EXAMPLE:
    >>> from annotkit.doc import Span
    >>> ledger = SuggestionLedger("/tmp/suggestions.sqlite")
    >>> ledger.record(project="demo", text_hash="ab12", origin="push",
    ...               spans=[Span(0, 4, "DOSE", source="rule:dose.v1", score=0.9)])
    >>> [s.source for s in ledger.suggestions(project="demo", text_hash="ab12")]
    ['rule:dose.v1']
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

from annotkit.doc import Span
from annotkit.errors import SyncError

__all__ = ["LEDGER_FILE", "ORIGINS", "SuggestionLedger", "ledger_for"]

LEDGER_FILE = "suggestions.sqlite"
#: Where a suggestion came from: uploaded by ``doccano push``, or answered by ``annotkit
#: serve`` to doccano's auto-labelling.
ORIGINS: tuple[str, ...] = ("push", "autolabel")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS suggestion (
    project   TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    start     INTEGER NOT NULL,
    end       INTEGER NOT NULL,
    label     TEXT NOT NULL,
    origin    TEXT NOT NULL,
    source    TEXT,
    score     REAL,
    norm      TEXT,
    recorded  REAL NOT NULL,
    PRIMARY KEY (project, text_hash, start, end, label)
)
"""


class SuggestionLedger:
    """Machine suggestions per (project, text hash), in code points, with their details."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as db:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as err:
            raise SyncError(
                f"cannot open the suggestion ledger {self.path}: {err}; check that the folder "
                "is writable (it lives in the doccano home)"
            ) from None

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30.0, isolation_level=None)

    def record(self, *, project: str, text_hash: str, spans: Iterable[Span], origin: str) -> None:
        """Record machine suggestions for one text (a later record of the same span wins)."""
        if origin not in ORIGINS:
            raise ValueError(f"origin must be one of {ORIGINS}, got {origin!r}")
        now = time.time()
        rows = [
            (
                project,
                text_hash,
                s.start,
                s.end,
                s.label,
                origin,
                s.source,
                s.score,
                json.dumps(dict(s.norm), ensure_ascii=False) if s.norm is not None else None,
                now,
            )
            for s in spans
        ]
        if not rows:
            return
        try:
            with self._connect() as db:
                db.execute("BEGIN IMMEDIATE")
                db.executemany(
                    "INSERT OR REPLACE INTO suggestion VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
                )
                db.execute("COMMIT")
        except sqlite3.Error as err:
            raise SyncError(f"cannot write the suggestion ledger {self.path}: {err}") from None

    def suggestions(self, *, project: str, text_hash: str) -> list[Span]:
        """Every suggestion recorded for this text in this project, sorted by offsets."""
        try:
            with self._connect() as db:
                rows = db.execute(
                    "SELECT start, end, label, origin, source, score, norm FROM suggestion "
                    "WHERE project = ? AND text_hash = ? ORDER BY start, end, label",
                    (project, text_hash),
                ).fetchall()
        except sqlite3.Error as err:
            raise SyncError(f"cannot read the suggestion ledger {self.path}: {err}") from None
        return [
            Span(
                int(start),
                int(end),
                str(label),
                source=source,
                score=score,
                norm=json.loads(norm) if norm else None,
                status="suggested",
            )
            for start, end, label, _origin, source, score, norm in rows
        ]


def ledger_for(home: str | os.PathLike[str]) -> SuggestionLedger:
    """The ledger of a local doccano home (``<home>/suggestions.sqlite``)."""
    return SuggestionLedger(Path(home) / LEDGER_FILE)
