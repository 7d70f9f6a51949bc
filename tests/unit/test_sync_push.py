"""push/pull against an in-memory doccano implementing the SyncClient protocol.

The fake keeps doccano's quirks that matter here: spans carry their owner (``annotkit`` for
uploads, a person otherwise) and an ``edited`` flag as doccano's span API reports them,
an empty id list deletes every example, and the lock is the real
:class:`~annotkit.sync.lock.ProjectLock` over in-memory project memberships.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from annotkit.doc import Document, Span
from annotkit.errors import ConfigError, SyncError
from annotkit.sync import guideline_text, pull, push, resolve_credentials, write_pull
from annotkit.sync.client import ExampleDetail, LabelTypeSpec, OwnedSpan, ProjectInfo
from annotkit.sync.ledger import SuggestionLedger, ledger_for
from annotkit.sync.lock import ProjectLock
from annotkit.sync.mapping import ExampleRecord


class Members:
    """Project memberships, unique per (project, user) like doccano's ``Member``."""

    def __init__(self) -> None:
        self.rows: dict[int, tuple[int, int, str]] = {}  # id -> (project, user, role)
        self._ids = itertools.count(1)
        self._mutex = threading.Lock()

    def add_member(self, project_id: int, user_id: int, role: str) -> int | None:
        with self._mutex:
            if any(p == project_id and u == user_id for p, u, _ in self.rows.values()):
                return None
            mid = next(self._ids)
            self.rows[mid] = (project_id, user_id, role)
            return mid

    def find_member(self, project_id: int, user_id: int) -> tuple[int, str] | None:
        with self._mutex:
            for mid, (p, u, role) in self.rows.items():
                if p == project_id and u == user_id:
                    return mid, role
            return None

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


class FakeDoccano:
    """Keeps projects and examples in dicts."""

    url = "memory://fake"

    def __init__(self) -> None:
        self.projects: dict[int, ProjectInfo] = {}
        self.examples: dict[int, dict[int, dict[str, Any]]] = {}
        self.label_types: dict[int, dict[str, int]] = {}
        self.members = Members()
        self._ids = itertools.count(2)
        self.fail_import_after: int | None = None  # examples stored before a simulated crash
        self.on_import: Any = None  # called before each import (tests inject other pushers)
        self.exports = 0
        self.suggester_ready: set[int] = set()
        self.created_projects = 0

    def _id(self) -> int:
        return next(self._ids)

    # -- projects
    def find_projects(self, name: str) -> list[ProjectInfo]:
        return sorted((p for p in self.projects.values() if p.name == name), key=lambda p: p.id)

    def create_project(
        self, name: str, *, guideline: str, grapheme: bool, description: str
    ) -> ProjectInfo:
        p = ProjectInfo(
            self._id(), name, "SequenceLabeling", True, False, grapheme, guideline, description
        )
        self.projects[p.id] = p
        self.examples[p.id] = {}
        self.created_projects += 1
        return p

    def delete_project(self, project_id: int) -> None:
        self.projects.pop(project_id)
        self.examples.pop(project_id)

    def update_project(self, project: ProjectInfo, **changes: Any) -> ProjectInfo:
        self.projects[project.id] = replace(self.projects[project.id], **changes)
        return self.projects[project.id]

    def ensure_label_types(self, project_id: int, specs: Sequence[LabelTypeSpec]) -> dict[str, int]:
        types = self.label_types.setdefault(project_id, {})
        for spec in specs:
            types.setdefault(spec.text, self._id())
        return dict(types)

    def prepare_suggester(self, project_id: int) -> str:
        self.suggester_ready.add(project_id)
        return "annotkit"

    def project_lock(self, project_id: int, *, wait: float) -> ProjectLock:
        return ProjectLock(
            self.members,
            project_id,
            99,
            name=f"fake {project_id}",
            wait=wait,
            beat=0.05,
            ttl=1.0,
            poll=0.01,
        )

    # -- examples
    def export_examples(self, project_id: int) -> list[ExampleRecord]:
        self.exports += 1
        return [
            ExampleRecord(
                eid,
                e["text"],
                dict(e["meta"]),
                tuple(sorted({tuple(s[:3]) for s in e["spans"]})),  # type: ignore[misc]
                tuple({"user": None, "text": c["text"]} for c in e["comments"]),
            )
            for eid, e in sorted(self.examples[project_id].items())
        ]

    def confirmed_example_ids(self, project_id: int) -> set[int]:
        return {i for i, e in self.examples[project_id].items() if e["confirmed_by"]}

    def count_examples(self, project_id: int) -> int:
        return len(self.examples[project_id])

    def latest_example_id(self, project_id: int) -> int | None:
        return max(self.examples[project_id], default=None)

    def span_totals(self, project_id: int, labels: Sequence[str]) -> dict[str, int]:
        return {
            lab: sum(
                1 for e in self.examples[project_id].values() for s in e["spans"] if s[2] == lab
            )
            for lab in labels
        }

    def import_records(self, project_id: int, records: Sequence[Mapping[str, Any]]) -> None:
        if project_id not in self.suggester_ready:
            raise SyncError("import before prepare_suggester")
        if self.on_import is not None:
            self.on_import(self, project_id, records)
        for n, rec in enumerate(records):
            crash = self.fail_import_after is not None and n >= self.fail_import_after
            self.add_example(project_id, rec, owner="annotkit", spans=not crash)
        if self.fail_import_after is not None:
            self.fail_import_after = None
            raise SyncError("connection reset while importing")

    def add_example(
        self, project_id: int, rec: Mapping[str, Any], *, owner: str, spans: bool = True
    ) -> int:
        eid = self._id()
        self.examples[project_id][eid] = {
            "text": rec["text"],
            "meta": {k: v for k, v in rec.items() if k not in ("text", "label")},
            "confirmed_by": [],
            "comments": [],
            "spans": [(int(s), int(e), str(lab), owner, False) for s, e, lab in rec["label"]]
            if spans
            else [],
        }
        return eid

    def delete_examples(self, project_id: int, example_ids: Sequence[int]) -> None:
        if not example_ids:  # what doccano does with an empty list
            self.examples[project_id].clear()
        for i in example_ids:
            self.examples[project_id].pop(i, None)

    def create_spans(
        self, project_id: int, example_id: int, spans: Sequence[tuple[int, int, int]]
    ) -> None:
        names = {v: k for k, v in self.label_types[project_id].items()}
        for s, e, lab in spans:
            self.examples[project_id][example_id]["spans"].append(
                (s, e, names[lab], "annotkit", False)
            )

    def set_example_meta(self, project_id: int, example_id: int, meta: Mapping[str, Any]) -> None:
        self.examples[project_id][example_id]["meta"] = dict(meta)

    def example_detail(self, project_id: int, example_id: int, *, comments: bool) -> ExampleDetail:
        e = self.examples[project_id][example_id]
        return ExampleDetail(
            spans=tuple(
                OwnedSpan(s, t, lab, user, edited) for s, t, lab, user, edited in e["spans"]
            ),
            confirmed_by=tuple(e["confirmed_by"]),
            comments=tuple(dict(c) for c in e["comments"]) if comments else (),
        )

    # -- what people do in the doccano UI (offsets in doccano units)
    def example_of(self, project_id: int, doc_id: str) -> int:
        (eid,) = [
            i
            for i, e in self.examples[project_id].items()
            if e["meta"].get("annotkit_id") == doc_id
        ]
        return eid

    def person_delete(self, project_id: int, eid: int, label: str | None = None) -> None:
        spans = self.examples[project_id][eid]["spans"]
        spans[:] = [s for s in spans if label is not None and s[2] != label]

    def person_relabel(self, project_id: int, eid: int, index: int, label: str) -> None:
        spans = self.examples[project_id][eid]["spans"]
        s, e, _, user, _ = sorted(spans)[index]
        spans.remove(sorted(spans)[index])
        spans.append((s, e, label, user, True))

    def person_add(
        self, project_id: int, eid: int, start: int, end: int, label: str, user: str
    ) -> None:
        self.examples[project_id][eid]["spans"].append((start, end, label, user, False))

    def confirm(self, project_id: int, eid: int, user: str) -> None:
        self.examples[project_id][eid]["confirmed_by"].append(user)

    def comment(self, project_id: int, eid: int, user: str, text: str) -> None:
        self.examples[project_id][eid]["comments"].append({"user": user, "text": text})


def _docs(n: int = 4) -> list[Document]:
    out = []
    for i in range(n):
        text = f"😀 doc {i}: 5 mL of MSCs, VAS"
        out.append(
            Document(
                f"d{i}",
                text,
                spans=(
                    Span(
                        text.index("5 mL"),
                        text.index("5 mL") + 4,
                        "DOSE",
                        source="rule:dose.v1",
                        score=0.9,
                        norm={"value": 5.0, "unit": "mL"},
                    ),
                    Span(
                        text.index("MSCs"),
                        text.index("MSCs") + 4,
                        "CELL_TYPE",
                        source="rule:lexicon.v1",
                        score=0.95,
                        norm={"id": "cell:msc"},
                    ),
                ),
                meta={"source": f"doc{i}.txt"},
            )
        )
    return out


@pytest.fixture()
def ledger(tmp_path: Path) -> SuggestionLedger:
    return ledger_for(tmp_path)


def _ids(fake: FakeDoccano, pid: int) -> list[str]:
    return sorted(e["meta"]["annotkit_id"] for e in fake.examples[pid].values())


def _keys(doc: Document) -> list[tuple[int, int, str]]:
    return [s.key for s in doc.spans]


def test_sync_push_creates_then_is_idempotent(ledger: SuggestionLedger) -> None:
    fake = FakeDoccano()
    first = push(_docs(), "p", client=fake, ledger=ledger, create=True)
    assert (first.created, first.unchanged) == (4, 0)
    pid = first.project_id
    assert fake.projects[pid].collaborative_annotation
    assert set(fake.label_types[pid]) >= {"CELL_TYPE", "DOSE", "SCALE"}
    # annotators read example meta: only the document id goes there
    assert all(set(e["meta"]) == {"annotkit_id"} for e in fake.examples[pid].values())
    assert all(s[3] == "annotkit" for e in fake.examples[pid].values() for s in e["spans"])
    assert fake.members.rows == {}  # the lock is released
    exports = fake.exports
    again = push(_docs(), "p", client=fake, ledger=ledger)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert fake.exports == exports  # the ledger's manifest says nothing changed
    assert _ids(fake, pid) == ["d0", "d1", "d2", "d3"]


def test_sync_push_needs_create_for_a_new_project(ledger: SuggestionLedger) -> None:
    with pytest.raises(SyncError, match="--create"):
        push(_docs(), "absent", client=FakeDoccano(), ledger=ledger)


def test_sync_push_guideline_page_is_for_annotators(ledger: SuggestionLedger) -> None:
    fake = FakeDoccano()
    pid = push(_docs(1), "p", client=fake, ledger=ledger, create=True).project_id
    page = fake.projects[pid].guideline
    assert page == guideline_text() and page.startswith("# Annotation guidelines")
    for internal in ("code point", "offset", "annotkit.", "rules engine", "Python", "Strict"):
        assert internal not in page
    flat = " ".join(page.split())
    assert "mark it as done" in flat and '"no entities here"' in flat
    assert "annotkit-manifest" not in fake.projects[pid].description
    # a page and a description written by an older annotkit are replaced on the next push
    fake.update_project(
        fake.projects[pid],
        guideline="# annotkit pre-annotations\n\nold",
        description="cells\nannotkit-manifest: abc 1",
    )
    push(_docs(2), "p", client=fake, ledger=ledger)
    assert fake.projects[pid].guideline == page
    assert fake.projects[pid].description == "cells"
    # a page somebody wrote in doccano is left alone
    fake.update_project(fake.projects[pid], guideline="Our own rules")
    push(_docs(3), "p", client=fake, ledger=ledger)
    assert fake.projects[pid].guideline == "Our own rules"


def test_sync_push_updates_only_untouched_unconfirmed(ledger: SuggestionLedger) -> None:
    fake = FakeDoccano()
    pid = push(_docs(), "p", client=fake, ledger=ledger, create=True).project_id
    fake.confirm(pid, fake.example_of(pid, "d0"), "ann")
    fake.comment(pid, fake.example_of(pid, "d1"), "ann", "is this a dose?")
    changed = [Document(d.id, d.text, spans=d.spans[:1]) for d in _docs()]
    rep = push(changed, "p", client=fake, ledger=ledger)
    assert (rep.confirmed_kept, rep.edited_kept, rep.updated, rep.created) == (1, 1, 2, 0)
    assert len(fake.examples[pid][fake.example_of(pid, "d0")]["spans"]) == 2
    assert len(fake.examples[pid][fake.example_of(pid, "d2")]["spans"]) == 1
    assert _ids(fake, pid) == ["d0", "d1", "d2", "d3"]


def test_sync_push_keeps_a_persons_no_entities_here(ledger: SuggestionLedger) -> None:
    """Issue 11: deleting every suggestion (not confirmed) is a person's work, not an
    interrupted import: the next push neither repairs nor replaces it."""
    fake = FakeDoccano()
    pid = push(_docs(2), "p", client=fake, ledger=ledger, create=True).project_id
    eid = fake.example_of(pid, "d0")
    fake.person_delete(pid, eid)
    same = push(_docs(2), "p", client=fake, ledger=ledger)
    assert (same.repaired, same.updated, same.edited_kept, same.unchanged) == (0, 0, 1, 1)
    changed = [Document(d.id, d.text, spans=d.spans[:1]) for d in _docs(2)]
    rep = push(changed, "p", client=fake, ledger=ledger)
    assert (rep.repaired, rep.updated, rep.edited_kept) == (0, 1, 1)
    assert fake.examples[pid][eid]["spans"] == []
    doc = {d.id: d for d in pull("p", client=fake, ledger=ledger).documents}["d0"]
    assert doc.spans == () and doc.review is not None and doc.review.state == "touched"


def test_sync_push_resumes_after_interrupted_import(ledger: SuggestionLedger) -> None:
    fake = FakeDoccano()
    fake.fail_import_after = 5  # chunk 1 stores 5 examples, 2 without spans, then fails
    docs = _docs(12)
    with pytest.raises(SyncError, match="Re-run the same command"):
        push(docs, "p", client=fake, ledger=ledger, create=True, chunk_size=7)
    pid = fake.find_projects("p")[0].id
    assert len(fake.examples[pid]) == 7 and fake.members.rows == {}
    rep = push(docs, "p", client=fake, ledger=ledger, chunk_size=7)
    assert rep.repaired == 2 and rep.created == 5 and rep.unchanged == 5
    assert _ids(fake, pid) == sorted(d.id for d in docs)
    assert all(len(e["spans"]) == 2 for e in fake.examples[pid].values())
    assert all(p.imported for p in ledger.pushed(project="p").values())


def test_sync_push_removes_duplicates_and_empty_push_deletes_nothing(
    ledger: SuggestionLedger,
) -> None:
    fake = FakeDoccano()
    pid = push(_docs(), "p", client=fake, ledger=ledger, create=True).project_id
    first = min(fake.examples[pid])
    dup = json.loads(json.dumps(fake.examples[pid][first]))
    fake.examples[pid][999] = {**dup, "spans": [tuple(s) for s in dup["spans"]]}
    rep = push(_docs(), "p", client=fake, ledger=ledger)
    assert rep.duplicates_removed == 1 and len(fake.examples[pid]) == 4
    assert first in fake.examples[pid]  # the oldest copy is the one kept
    empty = push([], "p", client=fake, ledger=ledger)
    assert empty.documents == 0 and len(fake.examples[pid]) == 4


def test_sync_push_removes_duplicates_a_lockless_pusher_adds(ledger: SuggestionLedger) -> None:
    """Someone imports the same documents while this push holds the lock (an old annotkit,
    a lock taken over): the count check after the import finds and removes the copies."""
    fake = FakeDoccano()

    def intruder(f: FakeDoccano, pid: int, records: Sequence[Mapping[str, Any]]) -> None:
        f.on_import = None
        for rec in records:
            f.add_example(pid, rec, owner="annotkit")

    fake.on_import = intruder
    rep = push(_docs(), "p", client=fake, ledger=ledger, create=True)
    pid = rep.project_id
    assert rep.duplicates_removed == 4 and _ids(fake, pid) == ["d0", "d1", "d2", "d3"]


def test_sync_push_concurrent_creation_keeps_the_oldest_project(ledger: SuggestionLedger) -> None:
    fake = FakeDoccano()
    real_create = fake.create_project

    def racing_create(name: str, **kw: Any) -> ProjectInfo:
        other = real_create(name, **kw)  # another push creates the project first
        mine = real_create(name, **kw)
        assert other.id < mine.id
        return mine

    fake.create_project = racing_create  # type: ignore[method-assign]
    rep = push(_docs(), "p", client=fake, ledger=ledger, create=True)
    assert [p.id for p in fake.find_projects("p")] == [rep.project_id]
    assert fake.created_projects == 2


def test_sync_push_waits_for_the_lock(ledger: SuggestionLedger) -> None:
    fake = FakeDoccano()
    pid = push(_docs(1), "p", client=fake, ledger=ledger, create=True).project_id
    held = fake.project_lock(pid, wait=5).acquire()
    done = threading.Event()
    result: dict[str, Any] = {}

    def run() -> None:
        result["rep"] = push(_docs(3), "p", client=fake, ledger=ledger)
        done.set()

    worker = threading.Thread(target=run)
    worker.start()
    assert not done.wait(0.3)  # blocked by the held lock
    held.release()
    worker.join(10)
    assert result["rep"].created == 2 and result["rep"].lock_wait_s > 0.2
    with pytest.raises(SyncError, match="held the project's lock"):
        other = fake.project_lock(pid, wait=0.2).acquire()
        try:
            push(_docs(4), "p", client=fake, ledger=ledger, lock_wait=0.2)
        finally:
            other.release()


def test_sync_push_cleans_legacy_meta(ledger: SuggestionLedger) -> None:
    """Examples pushed by an older annotkit keep bookkeeping in meta annotators read."""
    fake = FakeDoccano()
    docs = _docs(2)
    pid = fake.create_project("p", guideline="g", grapheme=False, description="").id
    fake.ensure_label_types(pid, [])
    for d in docs:
        label = [[s.start + 1, s.end + 1, s.label] for s in d.spans]  # the emoji: 2 UTF-16 units
        eid = fake.add_example(
            pid,
            {
                "text": d.text,
                "label": label,
                "annotkit_id": d.id,
                "annotkit_hash": d.hash,
                "source": "x",
                "annotkit_pre": [list(k) for k in _keys(d)],
            },
            owner="admin",
        )
    fake.person_delete(pid, eid, label="DOSE")  # a person's edit on the second one
    rep = push(docs, "p", client=fake, ledger=ledger)
    assert (rep.unchanged, rep.edited_kept, rep.meta_cleaned) == (1, 1, 2)
    assert all(
        e["meta"] == {"annotkit_id": e["meta"]["annotkit_id"], "source": "x"}
        for e in fake.examples[pid].values()
    )
    got = {d.id: d for d in pull("p", client=fake, ledger=ledger).documents}
    assert got["d1"].review.state == "touched"  # type: ignore[union-attr]
    assert got["d0"].review.state == "imported"  # type: ignore[union-attr]
    assert got["d0"].meta == {"source": "doc0.txt"}  # what this push recorded


def test_sync_pull_provenance(ledger: SuggestionLedger) -> None:
    fake = FakeDoccano()
    docs = _docs(4)
    pid = push(docs, "p", client=fake, ledger=ledger, create=True).project_id
    # d0 untouched; d1 confirmed as is; d2 relabelled in place + a person's span + confirmed;
    # d3 auto-labelled by annotkit serve (saved as the annotator), not confirmed
    e1, e2, e3 = (fake.example_of(pid, f"d{i}") for i in (1, 2, 3))
    fake.confirm(pid, e1, "alice")
    fake.person_relabel(pid, e2, 1, "SCALE")
    vas = docs[2].text.index("VAS") + 1
    fake.person_add(pid, e2, vas, vas + 3, "SCALE", "bob")
    fake.confirm(pid, e2, "bob")
    vas3 = docs[3].text.index("VAS")
    ledger.record(
        project="p",
        text_hash=docs[3].hash,
        origin="autolabel",
        spans=[Span(vas3, vas3 + 3, "SCALE", source="model:ner/v2", score=0.6)],
    )
    fake.person_add(pid, e3, vas3 + 1, vas3 + 4, "SCALE", "carol")
    result = pull("p", client=fake, ledger=ledger)
    got = {d.id: d for d in result.documents}
    assert result.states == {"confirmed": 2, "imported": 2}

    d0 = got["d0"]
    assert d0.review.state == "imported" and d0.review.annotators == ()  # type: ignore[union-attr]
    assert [(s.status, s.source, s.score, s.by) for s in d0.spans] == [
        ("suggested", "rule:dose.v1", 0.9, None),
        ("suggested", "rule:lexicon.v1", 0.95, None),
    ]
    assert d0.spans[0].norm == {"value": 5.0, "unit": "mL"}
    assert d0.meta == {"source": "doc0.txt"}

    d1 = got["d1"]
    assert [(s.status, s.by) for s in d1.spans] == [("kept", "alice"), ("kept", "alice")]
    assert d1.review.annotators == ("alice",) and d1.review.changes["kept"] == 2  # type: ignore[union-attr,index]

    d2 = got["d2"]
    assert d2.review.state == "confirmed"  # type: ignore[union-attr]
    assert [(s.label, s.status, s.source, s.by) for s in d2.spans] == [
        ("DOSE", "kept", "rule:dose.v1", "bob"),
        ("SCALE", "changed", "person", "bob"),  # relabelled in place: still annotkit's span
        ("SCALE", "added", "person", "bob"),
    ]
    assert d2.spans[1].score is None and d2.spans[1].norm is None
    assert d2.review.annotators == ("bob",)  # type: ignore[union-attr]
    assert d2.review.changes == {
        "kept": 1,
        "relabelled": 1,
        "boundary_changed": 0,  # type: ignore[union-attr]
        "removed": 0,
        "added": 1,
    }

    d3 = got["d3"]
    assert d3.review.state == "imported" and d3.review.annotators == ()  # type: ignore[union-attr]
    assert [(s.status, s.source) for s in d3.spans] == [
        ("suggested", "rule:dose.v1"),
        ("suggested", "rule:lexicon.v1"),
        ("suggested", "model:ner/v2"),
    ]
    assert result.changes["examples"] == 2 and result.changes["micro"]["relabelled"] == 1


def test_sync_pull_without_a_push_record_reads_owners(tmp_path: Path) -> None:
    """Pushed from another machine: annotkit-owned unedited spans are suggestions."""
    fake = FakeDoccano()
    docs = _docs(1)
    pid = push(docs, "p", client=fake, ledger=ledger_for(tmp_path / "a"), create=True).project_id
    eid = fake.example_of(pid, "d0")
    fake.person_relabel(pid, eid, 0, "SCALE")
    fake.person_add(pid, eid, 0, 2, "CELL_TYPE", "dan")
    result = pull("p", client=fake, ledger=ledger_for(tmp_path / "b"))
    (doc,) = result.documents
    assert result.unrecorded == 1
    assert [(s.status, s.by) for s in doc.spans] == [
        ("added", "dan"),
        ("changed", "dan"),
        ("suggested", None),
    ]
    assert doc.review.state == "touched" and doc.review.annotators == ("dan",)  # type: ignore[union-attr]
    with pytest.raises(SyncError):
        pull("absent", client=fake, ledger=ledger_for(tmp_path / "b"))


def test_sync_pull_write_keeps_backup(tmp_path: Path, ledger: SuggestionLedger) -> None:
    fake = FakeDoccano()
    pid = push(_docs(2), "p", client=fake, ledger=ledger, create=True).project_id
    fake.confirm(pid, fake.example_of(pid, "d1"), "ann")
    result = pull("p", client=fake, ledger=ledger)
    out = tmp_path / "a.jsonl"
    assert write_pull(result, out) is None
    text = out.read_text(encoding="utf-8")
    assert write_pull(result, out) is None  # same content: nothing to back up
    out.write_text(text.replace("DOSE", "SCALE"), encoding="utf-8")
    backup = write_pull(result, out)
    assert backup is not None and "SCALE" in backup.read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8") == text
    out.write_text("local edits\n", encoding="utf-8")
    assert write_pull(result, out, force=True) is None
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["d0", "d1"]
    assert [r["review"]["state"] for r in rows] == ["imported", "confirmed"]
    assert [s["status"] for s in rows[1]["spans"]] == ["kept", "kept"]


def test_sync_credentials_env_then_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for k in ("URL", "USERNAME", "PASSWORD"):
        monkeypatch.delenv(f"ANNOTKIT_DOCCANO_{k}", raising=False)
    with pytest.raises(ConfigError):
        resolve_credentials(tmp_path)
    (tmp_path / "credentials.json").write_text(
        json.dumps({"url": "http://127.0.0.1:1", "username": "admin", "password": "pw"})
    )
    assert resolve_credentials(tmp_path)["password"] == "pw"
    monkeypatch.setenv("ANNOTKIT_DOCCANO_URL", "http://x")
    with pytest.raises(ConfigError, match="ANNOTKIT_DOCCANO_USERNAME"):
        resolve_credentials(tmp_path)
    monkeypatch.setenv("ANNOTKIT_DOCCANO_USERNAME", "u")
    monkeypatch.setenv("ANNOTKIT_DOCCANO_PASSWORD", "p")
    assert resolve_credentials(tmp_path) == {"url": "http://x", "username": "u", "password": "p"}


# --- push order (learning from corrections, issue 12) --------------------------------------
def test_sync_push_order_rank_input_and_id() -> None:
    docs = _docs(4)
    positions = (3, 1, 4, 2)
    ranked = [
        replace(d, extra={"rank": {"position": p}}) for d, p in zip(docs, positions, strict=True)
    ]
    cases = (("rank", ["d1", "d3", "d0", "d2"]), ("input", ["d3", "d2", "d1", "d0"]),
             ("id", ["d0", "d1", "d2", "d3"]))  # fmt: skip
    for order, want in cases:
        fake = FakeDoccano()
        source = ranked if order == "rank" else list(reversed(docs))
        report = push(source, "p", client=fake, create=True, order=order)
        created = sorted(fake.examples[report.project_id].items())  # doccano: creation order
        assert [e["meta"]["annotkit_id"] for _, e in created] == want, order
    with pytest.raises(ConfigError, match="rank"):
        push(docs, "p", client=FakeDoccano(), create=True, order="random")
