"""The suggestion ledger: what annotkit suggested to doccano, span by span, with details.

doccano stores spans without annotkit's details (source, score, norm) and saves
auto-labelled spans as the annotator who asked for them, so annotkit keeps its own record
of every machine suggestion: ``push`` records the pre-annotations it uploads, ``annotkit
serve`` records what it answers doccano's auto-labelling with, and ``pull`` reads both to
tell a person's span from an untouched suggestion and to give suggestions back their
details. One SQLite file per local doccano home (``<home>/suggestions.sqlite``), safe for
concurrent processes (WAL mode, one transaction per write). Nothing here is stored in
doccano, where annotators would read it.

Three tables:

- ``suggestion``: every machine suggestion per (project, text hash, span), with its origin
  (``push`` or ``autolabel``) and details (:meth:`SuggestionLedger.record`);
- ``pushed``: per (project, document id), the text hash and exact span set the last push
  uploaded, the document's own ``meta`` (given back by pull), and whether its import is
  known to have finished (``importing`` until the doccano task reported success, then
  ``imported``): this is what tells an interrupted import from a person who removed every
  suggestion (:meth:`SuggestionLedger.record_push`);
- ``manifest``: per project, a digest of the last complete push and a fingerprint of the
  project right after it, so an identical re-push can stop after a few cheap requests.

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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotkit.doc import Span
from annotkit.errors import SyncError

__all__ = [
    "LEDGER_FILE",
    "ORIGINS",
    "PushEntry",
    "Pushed",
    "SuggestionLedger",
    "ledger_for",
]

LEDGER_FILE = "suggestions.sqlite"
#: Where a suggestion came from: uploaded by ``doccano push``, or answered by ``annotkit
#: serve`` to doccano's auto-labelling.
ORIGINS: tuple[str, ...] = ("push", "autolabel")

Triple = tuple[int, int, str]

_SCHEMA = (
    """
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
""",
    """
CREATE TABLE IF NOT EXISTS pushed (
    project   TEXT NOT NULL,
    doc_id    TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    spans     TEXT NOT NULL,
    state     TEXT NOT NULL,
    recorded  REAL NOT NULL,
    meta      TEXT,
    PRIMARY KEY (project, doc_id)
)
""",
    """
CREATE TABLE IF NOT EXISTS manifest (
    project     TEXT PRIMARY KEY,
    digest      TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    recorded    REAL NOT NULL
)
""",
)


@dataclass(frozen=True, slots=True)
class PushEntry:
    """One document as a push uploads it: id, text hash, suggested spans, its own meta."""

    doc_id: str
    text_hash: str
    spans: tuple[Span, ...]
    meta: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Pushed:
    """What the last push uploaded for one document (spans as code-point triples).

    ``imported`` is True once the doccano import task holding it reported success; ``meta``
    is the document's own metadata (None when not recorded).
    """

    text_hash: str
    spans: tuple[Triple, ...]
    imported: bool
    meta: Mapping[str, Any] | None = None


def _norm_json(span: Span) -> str | None:
    return json.dumps(dict(span.norm), ensure_ascii=False) if span.norm is not None else None


class SuggestionLedger:
    """Machine suggestions per (project, text hash), in code points, with their details."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as db:
                db.execute("PRAGMA journal_mode=WAL")
                for statement in _SCHEMA:
                    db.execute(statement)
                columns = {row[1] for row in db.execute("PRAGMA table_info(pushed)")}
                if "meta" not in columns:  # a ledger written before meta was kept
                    db.execute("ALTER TABLE pushed ADD COLUMN meta TEXT")
        except (OSError, sqlite3.Error) as err:
            raise SyncError(
                f"cannot open the suggestion ledger {self.path}: {err}; check that the folder "
                "is writable (it lives in the doccano home)"
            ) from None

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30.0, isolation_level=None)

    def _write(self, statements: Sequence[tuple[str, Sequence[Sequence[Any]]]]) -> None:
        try:
            with self._connect() as db:
                db.execute("BEGIN IMMEDIATE")
                for sql, rows in statements:
                    db.executemany(sql, rows)
                db.execute("COMMIT")
        except sqlite3.Error as err:
            raise SyncError(
                f"cannot write the suggestion ledger {self.path}: {err} ; check the disk and "
                "that the file is writable"
            ) from None

    def _read(self, sql: str, args: Sequence[Any]) -> list[Any]:
        try:
            with self._connect() as db:
                return db.execute(sql, args).fetchall()
        except sqlite3.Error as err:
            raise SyncError(
                f"cannot read the suggestion ledger {self.path}: {err} ; check the file (delete "
                "it to start a new record; pull then treats every span as of unknown origin)"
            ) from None

    @staticmethod
    def _suggestion_rows(
        project: str, text_hash: str, spans: Iterable[Span], origin: str, now: float
    ) -> list[tuple[Any, ...]]:
        return [
            (
                project,
                text_hash,
                s.start,
                s.end,
                s.label,
                origin,
                s.source,
                s.score,
                _norm_json(s),
                now,
            )
            for s in spans
        ]

    def record(self, *, project: str, text_hash: str, spans: Iterable[Span], origin: str) -> None:
        """Record machine suggestions for one text (a later record of the same span wins)."""
        if origin not in ORIGINS:
            raise ValueError(f"origin must be one of {ORIGINS}, got {origin!r}")
        rows = self._suggestion_rows(project, text_hash, spans, origin, time.time())
        if rows:
            self._write([(_INSERT_SUGGESTION, rows)])

    def suggestions(self, *, project: str, text_hash: str) -> list[Span]:
        """Every suggestion recorded for this text in this project, sorted by offsets."""
        rows = self._read(
            "SELECT start, end, label, origin, source, score, norm FROM suggestion "
            "WHERE project = ? AND text_hash = ? ORDER BY start, end, label",
            (project, text_hash),
        )
        return [_span(row) for row in rows]

    def suggestion_index(self, *, project: str) -> dict[str, dict[Triple, tuple[Span, str]]]:
        """Every suggestion of a project: text hash -> (start, end, label) -> (span, origin)."""
        rows = self._read(
            "SELECT start, end, label, origin, source, score, norm, text_hash FROM suggestion "
            "WHERE project = ?",
            (project,),
        )
        out: dict[str, dict[Triple, tuple[Span, str]]] = {}
        for row in rows:
            span = _span(row[:7])
            out.setdefault(str(row[7]), {})[span.key] = (span, str(row[3]))
        return out

    def record_push(self, *, project: str, entries: Iterable[PushEntry], imported: bool) -> None:
        """Record what a push uploads (or found already there, ``imported=True``).

        Writes the documents' span sets to ``pushed`` and their details to ``suggestion``
        (origin ``push``) in one transaction; call it before the upload with
        ``imported=False`` and :meth:`mark_imported` once doccano reported success.
        """
        now = time.time()
        state = "imported" if imported else "importing"
        pushed: list[tuple[Any, ...]] = []
        details: list[tuple[Any, ...]] = []
        for e in entries:
            keys = [[s.start, s.end, s.label] for s in e.spans]
            meta = json.dumps(dict(e.meta), ensure_ascii=False) if e.meta is not None else None
            pushed.append((project, e.doc_id, e.text_hash, json.dumps(keys), state, now, meta))
            details.extend(self._suggestion_rows(project, e.text_hash, e.spans, "push", now))
        if pushed:
            self._write([(_INSERT_PUSHED, pushed), (_INSERT_SUGGESTION, details)])

    def mark_imported(self, *, project: str, doc_ids: Iterable[str]) -> None:
        """The import holding these documents finished: their spans are all in doccano."""
        rows = [("imported", project, d) for d in doc_ids]
        if rows:
            self._write([("UPDATE pushed SET state = ? WHERE project = ? AND doc_id = ?", rows)])

    def pushed(self, *, project: str) -> dict[str, Pushed]:
        """Document id -> what the last push uploaded for it, for every pushed document."""
        rows = self._read(
            "SELECT doc_id, text_hash, spans, state, meta FROM pushed WHERE project = ?",
            (project,),
        )
        return {
            str(doc_id): Pushed(
                text_hash=str(text_hash),
                spans=tuple((int(s), int(e), str(lab)) for s, e, lab in json.loads(spans)),
                imported=state == "imported",
                meta=json.loads(meta) if meta else None,
            )
            for doc_id, text_hash, spans, state, meta in rows
        }

    def manifest(self, *, project: str) -> tuple[str, str] | None:
        """``(digest, fingerprint)`` recorded after the last complete push, if any."""
        rows = self._read("SELECT digest, fingerprint FROM manifest WHERE project = ?", (project,))
        return (str(rows[0][0]), str(rows[0][1])) if rows else None

    def set_manifest(self, *, project: str, digest: str, fingerprint: str) -> None:
        """Record the digest of a complete push and the project's fingerprint after it."""
        self._write(
            [
                (
                    "INSERT OR REPLACE INTO manifest VALUES (?, ?, ?, ?)",
                    [(project, digest, fingerprint, time.time())],
                )
            ]
        )


_INSERT_SUGGESTION = "INSERT OR REPLACE INTO suggestion VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_INSERT_PUSHED = (
    "INSERT OR REPLACE INTO pushed (project, doc_id, text_hash, spans, state, recorded, meta) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def _span(row: Sequence[Any]) -> Span:
    start, end, label, _origin, source, score, norm = row
    return Span(
        int(start),
        int(end),
        str(label),
        source=source,
        score=score,
        norm=json.loads(norm) if norm else None,
        status="suggested",
    )


def ledger_for(home: str | os.PathLike[str]) -> SuggestionLedger:
    """The ledger of a local doccano home (``<home>/suggestions.sqlite``)."""
    return SuggestionLedger(Path(home) / LEDGER_FILE)
