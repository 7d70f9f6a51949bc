"""push/pull logic against an in-memory doccano implementing the SyncClient protocol."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from annotkit.doc import Document, Span
from annotkit.errors import ConfigError, SyncError
from annotkit.sync import pull, push, resolve_credentials, write_pull
from annotkit.sync.client import LabelTypeSpec, ProjectInfo
from annotkit.sync.mapping import ExampleRecord


class FakeDoccano:
    """Keeps projects and examples in dicts, with doccano's quirks that matter here."""

    def __init__(self) -> None:
        self.projects: dict[int, ProjectInfo] = {}
        self.examples: dict[int, dict[int, dict[str, Any]]] = {}
        self.label_types: dict[int, dict[str, int]] = {}
        self.next_id = 1
        self.fail_import_after: int | None = None  # examples stored before a simulated crash
        self.exports = 0

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    def find_project(self, name: str) -> ProjectInfo | None:
        return next((p for p in self.projects.values() if p.name == name), None)

    def create_project(self, name: str, *, guideline: str, grapheme: bool) -> ProjectInfo:
        p = ProjectInfo(self._id(), name, "SequenceLabeling", True, False, grapheme, guideline)
        self.projects[p.id] = p
        self.examples[p.id] = {}
        return p

    def update_project(self, project: ProjectInfo, **changes: Any) -> ProjectInfo:
        self.projects[project.id] = replace(self.projects[project.id], **changes)
        return self.projects[project.id]

    def ensure_label_types(self, project_id: int, specs: Sequence[LabelTypeSpec]) -> dict[str, int]:
        types = self.label_types.setdefault(project_id, {})
        for spec in specs:
            types.setdefault(spec.text, self._id())
        return dict(types)

    def export_examples(self, project_id: int) -> list[ExampleRecord]:
        self.exports += 1
        return [
            ExampleRecord(eid, e["text"], dict(e["meta"]), tuple(sorted(e["label"])))
            for eid, e in sorted(self.examples[project_id].items())
        ]

    def confirmed_example_ids(self, project_id: int) -> set[int]:
        return {i for i, e in self.examples[project_id].items() if e["confirmed"]}

    def count_examples(self, project_id: int) -> int:
        return len(self.examples[project_id])

    def span_totals(self, project_id: int, labels: Sequence[str]) -> dict[str, int]:
        return {
            lab: sum(
                1 for e in self.examples[project_id].values() for s in e["label"] if s[2] == lab
            )
            for lab in labels
        }

    def import_records(self, project_id: int, records: Sequence[Mapping[str, Any]]) -> None:
        for n, rec in enumerate(records):
            crash = self.fail_import_after is not None and n >= self.fail_import_after
            meta = {k: v for k, v in rec.items() if k not in ("text", "label")}
            self.examples[project_id][self._id()] = {
                "text": rec["text"],
                "meta": meta,
                "confirmed": False,
                "label": [] if crash else [tuple(x) for x in rec["label"]],
            }
        if self.fail_import_after is not None:
            self.fail_import_after = None
            raise SyncError("connection reset while importing")

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
            self.examples[project_id][example_id]["label"].append((s, e, names[lab]))

    def example_people(
        self, project_id: int, example_id: int, *, comments: bool
    ) -> tuple[tuple[str, ...], tuple[str, ...], tuple[dict[str, Any], ...]]:
        e = self.examples[project_id][example_id]
        return (("ann",), ("ann",) if e["confirmed"] else (), ())


def _docs(n: int = 4) -> list[Document]:
    out = []
    for i in range(n):
        text = f"😀 doc {i}: 5 mL of MSCs, VAS"
        out.append(
            Document(
                f"d{i}",
                text,
                spans=(
                    Span(text.index("5 mL"), text.index("5 mL") + 4, "DOSE"),
                    Span(text.index("MSCs"), text.index("MSCs") + 4, "CELL_TYPE"),
                ),
            )
        )
    return out


def _ids(fake: FakeDoccano, pid: int) -> list[str]:
    return sorted(e["meta"]["annotkit_id"] for e in fake.examples[pid].values())


def test_sync_push_creates_then_is_idempotent() -> None:
    fake = FakeDoccano()
    first = push(_docs(), "p", client=fake, create=True)
    assert (first.created, first.unchanged) == (4, 0)
    pid = first.project_id
    assert fake.projects[pid].collaborative_annotation
    assert set(fake.label_types[pid]) >= {"CELL_TYPE", "DOSE", "SCALE"}
    exports = fake.exports
    again = push(_docs(), "p", client=fake)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert fake.exports == exports  # the manifest says nothing changed
    assert _ids(fake, pid) == ["d0", "d1", "d2", "d3"]


def test_sync_push_needs_create_for_a_new_project() -> None:
    with pytest.raises(SyncError, match="--create"):
        push(_docs(), "absent", client=FakeDoccano())


def test_sync_push_updates_only_unconfirmed() -> None:
    fake = FakeDoccano()
    pid = push(_docs(), "p", client=fake, create=True).project_id
    first = next(i for i, e in fake.examples[pid].items() if e["meta"]["annotkit_id"] == "d0")
    fake.examples[pid][first]["confirmed"] = True
    changed = [Document(d.id, d.text, spans=d.spans[:1]) for d in _docs()]
    rep = push(changed, "p", client=fake)
    assert (rep.confirmed_kept, rep.updated, rep.created) == (1, 3, 0)
    assert len(fake.examples[pid][first]["label"]) == 2  # confirmed: untouched
    assert _ids(fake, pid) == ["d0", "d1", "d2", "d3"]


def test_sync_push_resumes_after_interrupted_import() -> None:
    fake = FakeDoccano()
    fake.fail_import_after = 5  # chunk 1 stores 5 examples, 2 without spans, then fails
    docs = _docs(12)
    with pytest.raises(SyncError, match="Re-run the same command"):
        push(docs, "p", client=fake, create=True, chunk_size=7)
    pid = fake.find_project("p").id  # type: ignore[union-attr]
    assert len(fake.examples[pid]) == 7
    rep = push(docs, "p", client=fake, chunk_size=7)
    assert rep.repaired == 2 and rep.created == 5 and rep.unchanged == 5
    assert _ids(fake, pid) == sorted(d.id for d in docs)
    assert all(len(e["label"]) == 2 for e in fake.examples[pid].values())


def test_sync_push_removes_duplicates_and_empty_push_deletes_nothing() -> None:
    fake = FakeDoccano()
    pid = push(_docs(), "p", client=fake, create=True).project_id
    dup = dict(next(iter(fake.examples[pid].values())))
    fake.examples[pid][999] = dup
    rep = push(_docs(), "p", client=fake)
    assert rep.duplicates_removed == 1 and len(fake.examples[pid]) == 4
    empty = push([], "p", client=fake)
    assert empty.documents == 0 and len(fake.examples[pid]) == 4


def test_sync_pull_documents_and_changes(tmp_path: Path) -> None:
    fake = FakeDoccano()
    pid = push(_docs(2), "p", client=fake, create=True).project_id
    eid = next(i for i, e in fake.examples[pid].items() if e["meta"]["annotkit_id"] == "d1")
    ex = fake.examples[pid][eid]
    ex["confirmed"] = True
    ex["label"] = [ex["label"][0], (ex["label"][1][0], ex["label"][1][1], "SCALE")]
    result = pull("p", client=fake)
    assert [d.id for d in result.documents] == ["d0", "d1"]
    d1 = result.documents[1]
    assert d1.review.confirmed and d1.review.confirmed_by == ("ann",)
    assert result.documents[0].review.state == "imported"
    assert d1.text_of(d1.spans[1]) == "MSCs" and d1.spans[1].label == "SCALE"
    assert result.changes["micro"]["relabelled"] == 1 and result.changes["examples"] == 1
    with pytest.raises(SyncError):
        pull("absent", client=fake)

    out = tmp_path / "a.jsonl"
    assert write_pull(result, out) is None
    text = out.read_text(encoding="utf-8")
    assert write_pull(result, out) is None  # same content: nothing to back up
    out.write_text(text.replace("SCALE", "DOSE"), encoding="utf-8")
    backup = write_pull(result, out)
    assert backup is not None and "DOSE" in backup.read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8") == text
    out.write_text("local edits\n", encoding="utf-8")
    assert write_pull(result, out, force=True) is None
    assert [json.loads(x)["id"] for x in out.read_text(encoding="utf-8").splitlines()] == [
        "d0",
        "d1",
    ]


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
