"""push/pull against a real doccano server, with annotators working through REST."""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from annotkit.doc import LABELS, Document, Span
from annotkit.errors import ConfigError, SyncError
from annotkit.io import document_to_record, read_documents, write_jsonl
from annotkit.offsets import OffsetMap
from annotkit.sync import guideline_text, pull, push
from annotkit.sync.client import DoccanoSync
from annotkit.sync.ledger import SuggestionLedger, ledger_for
from annotkit.sync.mapping import spans_to_doccano
from annotkit.sync.server import free_port, server_status, start_server

pytestmark = pytest.mark.doccano


class Rest:
    """A plain REST session (what an annotator's browser does), no annotkit code."""

    def __init__(self, url: str, username: str, password: str) -> None:
        self.api = f"{url}/v1"
        self.username = username
        self.s = requests.Session()
        self.s.headers.update({"referer": url})
        r = self.s.post(
            f"{self.api}/auth/login/", json={"username": username, "password": password}
        )
        r.raise_for_status()
        self.s.headers["X-CSRFToken"] = self.s.cookies["csrftoken"]

    def call(self, method: str, path: str, **kw: Any) -> Any:
        r = self.s.request(method, f"{self.api}/{path}", timeout=60, **kw)
        assert r.status_code < 400, (method, path, r.status_code, r.text[:300])
        return r.json() if r.content else None

    def project(self, name: str) -> dict[str, Any]:
        found = [
            p
            for p in self.call("GET", "projects", params={"limit": 1000})["results"]
            if p["name"] == name
        ]
        assert len(found) == 1, found
        return found[0]

    def project_id(self, name: str) -> int:
        return int(self.project(name)["id"])

    def examples(self, pid: int) -> list[dict[str, Any]]:
        return self.call("GET", f"projects/{pid}/examples", params={"limit": 100000})["results"]

    def by_doc(self, pid: int) -> dict[str, dict[str, Any]]:
        return {e["meta"]["annotkit_id"]: e for e in self.examples(pid)}

    def label_ids(self, pid: int) -> dict[str, int]:
        return {t["text"]: t["id"] for t in self.call("GET", f"projects/{pid}/span-types")}

    def spans(self, pid: int, eid: int) -> list[dict[str, Any]]:
        spans = self.call("GET", f"projects/{pid}/examples/{eid}/spans")
        return sorted(spans, key=lambda s: s["start_offset"])

    def users(self) -> dict[int, str]:
        return {u["id"]: u["username"] for u in self.call("GET", "users")}


def _annotator(server: Any, pid: int) -> Rest:
    admin = Rest(server.url, server.username, server.password)
    name = f"ann{uuid.uuid4().hex[:6]}"
    password = uuid.uuid4().hex
    admin.call(
        "POST",
        "users/create",
        json={"username": name, "password1": password, "password2": password},
    )
    uid = next(u["id"] for u in admin.call("GET", "users") if u["username"] == name)
    role = next(r["id"] for r in admin.call("GET", "roles") if r["name"] == "annotator")
    admin.call("POST", f"projects/{pid}/members", json={"user": uid, "role": role})
    return Rest(server.url, name, password)


def _seed_docs() -> list[Document]:
    """The seeds, each with a few spans on its longer words (labels cycle), with details."""
    docs = []
    for doc in read_documents(["seeds/"]):
        words = [m for m in re.finditer(r"[A-Za-z]{6,}", doc.text)][:6]
        spans = tuple(
            Span(
                m.start(),
                m.end(),
                LABELS[i % 3],
                source=f"rule:test{i}.v1",
                score=round(0.5 + i / 20, 2),
                norm={"id": f"w{i}"},
            )
            for i, m in enumerate(words)
        )
        docs.append(Document(doc.id, doc.text, spans=spans, meta=dict(doc.meta)))
    return docs


def _triples(doc: Document) -> list[tuple[int, int, str]]:
    return [(s.start, s.end, s.label) for s in doc.spans]


def _rows(path: Path) -> dict[str, dict[str, Any]]:
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    return {r["id"]: r for r in rows}


def _last_json(stderr: str) -> dict[str, Any]:
    return json.loads(stderr.strip().splitlines()[-1])


def test_doccano_provenance_round_trip_through_the_console_script(
    cli: Any, doccano_server: Any, project_name: str, tmp_path: Path
) -> None:
    """Issues 10 and 14: suggestions are annotkit's; pull says per span who made it."""
    docs = _seed_docs()
    assert len(docs) >= 4 and all(len(d.spans) >= 5 for d in docs[:4])
    docs = docs[:4]
    pre = tmp_path / "pre.jsonl"
    write_jsonl([document_to_record(d) for d in docs], pre)
    home = str(doccano_server.home)
    env = doccano_server.env()
    r = cli(
        ["doccano", "push", str(pre), "--project", project_name, "--create", "--home", home],
        env=env,
    )
    assert r.returncode == 0, r.stderr
    assert _last_json(r.stderr)["created"] == 4

    admin = Rest(doccano_server.url, doccano_server.username, doccano_server.password)
    project = admin.project(project_name)
    pid = int(project["id"])
    users = admin.users()
    by_doc = admin.by_doc(pid)
    # every suggestion belongs to the annotkit user; annotators read no bookkeeping
    owners = {users[s["user"]] for e in by_doc.values() for s in admin.spans(pid, e["id"])}
    assert owners == {"annotkit"}
    assert all(set(e["meta"]) == {"annotkit_id"} for e in by_doc.values())
    assert project["guideline"] == guideline_text()
    assert "annotkit-manifest" not in project["description"]

    ann = _annotator(doccano_server, pid)
    labels = ann.label_ids(pid)
    # d0: delete one, relabel one in place, redraw one shorter, add one; confirm; comment
    d0 = docs[0]
    e0 = by_doc[d0.id]["id"]
    omap = OffsetMap.build(d0.text, "utf16")
    spans = ann.spans(pid, e0)
    pre0 = _triples(d0)
    ann.call("DELETE", f"projects/{pid}/examples/{e0}/spans/{spans[0]['id']}")
    relabel = next(lab for lab in LABELS if lab != pre0[1][2])
    ann.call(
        "PATCH",
        f"projects/{pid}/examples/{e0}/spans/{spans[1]['id']}",
        json={"label": labels[relabel]},
    )
    ann.call("DELETE", f"projects/{pid}/examples/{e0}/spans/{spans[2]['id']}")
    shorter = (pre0[2][0], pre0[2][1] - 1, pre0[2][2])
    gap = re.search(r"[A-Za-z]{3,}", d0.text[pre0[-1][1] :])
    assert gap is not None
    add = (pre0[-1][1] + gap.start(), pre0[-1][1] + gap.end(), "DOSE")
    for s, e, lab in (shorter, add):
        ann.call(
            "POST",
            f"projects/{pid}/examples/{e0}/spans",
            json={
                "start_offset": omap.to_external(s),
                "end_offset": omap.to_external(e),
                "label": labels[lab],
                "prob": 0,
            },
        )
    ann.call("POST", f"projects/{pid}/examples/{e0}/states")
    ann.call(
        "POST", f"projects/{pid}/comments", params={"example": e0}, json={"text": "checked 😀"}
    )
    # d1: confirmed as suggested; d2: untouched; d3: "no entities here", not confirmed
    ann.call("POST", f"projects/{pid}/examples/{by_doc[docs[1].id]['id']}/states")
    e3 = by_doc[docs[3].id]["id"]
    for s in ann.spans(pid, e3):
        ann.call("DELETE", f"projects/{pid}/examples/{e3}/spans/{s['id']}")

    out = tmp_path / "pulled.jsonl"
    r = cli(["doccano", "pull", "--project", project_name, "-o", str(out), "--home", home], env=env)
    assert r.returncode == 0, r.stderr
    got = _rows(out)
    assert set(got) == {d.id for d in docs}

    g0 = got[d0.id]
    expected0 = sorted([(pre0[1][0], pre0[1][1], relabel), shorter, *pre0[3:], add])
    assert [tuple(x) for x in g0["label"]] == expected0
    status0 = {(s["start"], s["end"], s["label"]): s for s in g0["spans"]}
    assert status0[(pre0[1][0], pre0[1][1], relabel)]["status"] == "changed"
    assert status0[shorter]["status"] == "changed" and status0[shorter]["by"] == ann.username
    assert status0[add] == {
        **status0[add],
        "status": "added",
        "by": ann.username,
        "source": "person",
    }
    for k, (s, e, lab) in enumerate(pre0[3:], 3):
        kept = status0[(s, e, lab)]
        src = d0.spans[k]
        assert (kept["status"], kept["by"], kept["source"], kept["score"], kept["norm"]) == (
            "kept",
            ann.username,
            src.source,
            src.score,
            dict(src.norm or {}),
        )
    review0 = g0["review"]
    assert review0["state"] == "confirmed" and review0["annotators"] == [ann.username]
    assert review0["confirmed_by"] == [ann.username]
    assert review0["comments"] == [{"user": ann.username, "text": "checked 😀"}]
    assert review0["changes"] == {
        "kept": len(pre0) - 3,
        "removed": 1,
        "added": 1,
        "relabelled": 1,
        "boundary_changed": 1,
    }
    assert g0["meta"] == dict(d0.meta)

    g1, g2, g3 = (got[d.id] for d in docs[1:])
    assert [tuple(x) for x in g1["label"]] == _triples(docs[1])
    assert {s["status"] for s in g1["spans"]} == {"kept"}
    assert [s["source"] for s in g1["spans"]] == [s.source for s in docs[1].spans]
    assert g2["review"]["state"] == "imported" and g2["review"]["annotators"] == []
    assert [(s["status"], s["score"]) for s in g2["spans"]] == [
        ("suggested", s.score) for s in docs[2].spans
    ]
    assert g3["label"] == [] and g3["review"]["state"] == "touched"
    report = json.loads(Path(f"{out}.report.json").read_text())
    assert report["states"] == {"confirmed": 2, "imported": 1, "touched": 1}

    # a re-push keeps the person's "no entities here" and their confirmed work
    r = cli(["doccano", "push", str(pre), "--project", project_name, "--home", home], env=env)
    assert r.returncode == 0, r.stderr
    again = _last_json(r.stderr)
    assert (again["confirmed_kept"], again["edited_kept"], again["unchanged"]) == (2, 1, 1)
    assert (again["repaired"], again["updated"], again["created"]) == (0, 0, 0)
    assert ann.spans(pid, e3) == []

    # train/export leave out what nobody confirmed, and say so
    r = cli(["export", str(out), "--format", "jsonl", "-o", str(tmp_path / "exp")])
    assert r.returncode == 0, r.stderr
    assert "left out 2 of 4" in r.stderr
    exported = "".join(p.read_text() for p in (tmp_path / "exp").rglob("*.jsonl"))
    assert d0.id in exported and docs[3].id not in exported


@pytest.mark.parametrize("grapheme", [False, True])
def test_doccano_emoji_astral_crlf_round_trip(
    doccano_server: Any,
    admin: DoccanoSync,
    ledger: SuggestionLedger,
    project_name: str,
    tricky_doc: Document,
    grapheme: bool,
) -> None:
    text = "😀 MSCs 5 mL\r\n𠀀 VAS 👍🏽 ok\r\n骨髓 cells"
    doc = Document(
        "emoji",
        text,
        spans=(
            Span(2, 6, "CELL_TYPE"),
            Span(7, 11, "DOSE"),
            Span(text.index("VAS"), text.index("VAS") + 3, "SCALE"),
        ),
        meta={"source": "emoji.txt", "zh_script": "Hans"},  # tricky_doc has none
    )
    push(
        [doc, tricky_doc], project_name, client=admin, ledger=ledger, create=True, grapheme=grapheme
    )
    rest = Rest(doccano_server.url, doccano_server.username, doccano_server.password)
    pid = rest.project_id(project_name)
    ex = rest.by_doc(pid)["emoji"]
    assert ex["text"] == text
    omap = OffsetMap.build(text, "grapheme" if grapheme else "utf16")
    stored = [(s["start_offset"], s["end_offset"]) for s in rest.spans(pid, ex["id"])]
    assert stored == [(omap.to_external(s.start), omap.to_external(s.end)) for s in doc.spans]
    # a human adds "cells" after CJK and the CRLF, in doccano's units
    start = text.index("cells")
    rest.call(
        "POST",
        f"projects/{pid}/examples/{ex['id']}/spans",
        json={
            "start_offset": omap.to_external(start),
            "end_offset": omap.to_external(start + 5),
            "label": rest.label_ids(pid)["CELL_TYPE"],
            "prob": 0,
        },
    )
    got = {d.id: d for d in pull(project_name, client=admin, ledger=ledger).documents}
    assert got["emoji"].text == text and got["emoji"].meta == doc.meta
    assert _triples(got["emoji"]) == [*_triples(doc), (start, start + 5, "CELL_TYPE")]
    assert [s.status for s in got["emoji"].spans] == ["suggested"] * 3 + ["added"]
    assert got["emoji"].spans[-1].by == doccano_server.username
    assert got["tricky"].text == tricky_doc.text
    assert _triples(got["tricky"]) == _triples(tricky_doc)
    assert [got["tricky"].text_of(s) for s in got["tricky"].spans] == [
        tricky_doc.text_of(s) for s in tricky_doc.spans
    ]


def test_doccano_repush_idempotent_and_confirmed_untouched(
    doccano_server: Any, admin: DoccanoSync, ledger: SuggestionLedger, project_name: str
) -> None:
    docs = _seed_docs()
    push(docs, project_name, client=admin, ledger=ledger, create=True)
    again = push(docs, project_name, client=admin, ledger=ledger)
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(docs))
    rest = Rest(doccano_server.url, doccano_server.username, doccano_server.password)
    pid = rest.project_id(project_name)
    examples = rest.by_doc(pid)
    assert len(examples) == len(docs)
    rest.call("POST", f"projects/{pid}/examples/{examples[docs[0].id]['id']}/states")
    # a person removes the last span of the second example but does not confirm it
    second = examples[docs[1].id]["id"]
    last = rest.spans(pid, second)[-1]
    rest.call("DELETE", f"projects/{pid}/examples/{second}/spans/{last['id']}")
    changed = [Document(d.id, d.text, spans=d.spans[:1]) for d in docs]
    third = push(changed, project_name, client=admin, ledger=ledger)
    assert third.confirmed_kept == 1 and third.edited_kept == 1
    assert third.updated == len(docs) - 2 and third.created == 0
    got = {d.id: d for d in pull(project_name, client=admin, ledger=ledger).documents}
    assert len(got) == len(docs)
    assert _triples(got[docs[0].id]) == _triples(docs[0])  # confirmed: never modified
    assert _triples(got[docs[1].id]) == _triples(docs[1])[:-1]  # the person's edit is kept
    for d in docs[2:]:
        assert _triples(got[d.id]) == _triples(d)[:1]
    assert len(rest.examples(pid)) == len(docs)


def test_doccano_empty_push_deletes_nothing(
    admin: DoccanoSync, ledger: SuggestionLedger, project_name: str
) -> None:
    docs = _seed_docs()[:2]
    push(docs, project_name, client=admin, ledger=ledger, create=True)
    report = push([], project_name, client=admin, ledger=ledger)
    assert report.documents == 0 and report.created == 0
    assert len(pull(project_name, client=admin, ledger=ledger).documents) == 2


def _synthetic(n: int, prefix: str = "kill") -> list[Document]:
    out = []
    for i in range(n):
        text = f"Patient {i} received 5 mL of MSCs 😀 and scored VAS {i % 10}."
        out.append(
            Document(
                f"{prefix}-{i:05d}",
                text,
                spans=(
                    Span(text.index("5 mL"), text.index("5 mL") + 4, "DOSE"),
                    Span(text.index("MSCs"), text.index("MSCs") + 4, "CELL_TYPE"),
                    Span(text.index("VAS"), text.index("VAS") + 3, "SCALE"),
                ),
            )
        )
    return out


def test_doccano_kill_server_mid_push_then_resume(local_server: Any, project_name: str) -> None:
    docs = _synthetic(3000)
    api = local_server.admin()
    led = ledger_for(local_server.home)
    killed = threading.Event()

    def kill_once(done: int) -> None:
        if done >= 1000 and not killed.is_set():
            killed.set()
            for pid in server_status(local_server.home).pids:
                os.killpg(pid, signal.SIGKILL)

    try:
        with pytest.raises(SyncError, match="Re-run the same command"):
            push(
                docs,
                project_name,
                client=api,
                ledger=led,
                create=True,
                chunk_size=500,
                progress=kill_once,
            )
    finally:
        assert killed.is_set()
        time.sleep(0.5)
        start_server(local_server.home, port=local_server.port)
    started = time.monotonic()
    report = push(docs, project_name, client=local_server.admin(), ledger=led, chunk_size=500)
    # the lock the killed push could not release is this machine's: taken over at once
    assert time.monotonic() - started < 50 and report.lock_wait_s < 5
    assert report.unchanged + report.created + report.repaired == len(docs)
    assert report.created > 0
    rest = Rest(local_server.url, local_server.username, local_server.password)
    pid = rest.project_id(project_name)
    ids = [e["meta"]["annotkit_id"] for e in rest.examples(pid)]
    assert len(ids) == len(docs) and set(ids) == {d.id for d in docs}
    pulled = pull(project_name, client=local_server.admin(), ledger=led).documents
    assert all(_triples(p) == _triples(d) for p, d in zip(pulled, docs, strict=True))
    assert {p.review.state for p in pulled} == {"imported"}  # type: ignore[union-attr]


def test_doccano_wrong_credentials_and_unreachable(cli: Any, doccano_server: Any) -> None:
    with pytest.raises(ConfigError):
        DoccanoSync.connect(doccano_server.url, doccano_server.username, "not-the-password")
    with pytest.raises(SyncError):
        DoccanoSync.connect(f"http://127.0.0.1:{free_port()}", "admin", "x")
    env = {**doccano_server.env(), "ANNOTKIT_DOCCANO_PASSWORD": "wrong-secret-123"}
    r = cli(["doccano", "pull", "--project", "nope"], env=env)
    assert r.returncode == 1 and "rejected the login" in r.stderr
    assert "wrong-secret-123" not in r.stderr + r.stdout
    r = cli(
        ["doccano", "pull", "--project", f"missing-{uuid.uuid4().hex}"], env=doccano_server.env()
    )
    assert r.returncode == 1 and "no doccano project" in r.stderr
    assert doccano_server.password not in r.stderr + r.stdout


def test_doccano_cli_push_pull_keeps_backup(
    cli: Any, doccano_server: Any, project_name: str, tmp_path: Path
) -> None:
    docs = _seed_docs()[:3]
    src = tmp_path / "pre.jsonl"
    write_jsonl([document_to_record(d) for d in docs], src)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANNOTKIT_DOCCANO_")}
    if not doccano_server.local:
        env = doccano_server.env()
    home = str(doccano_server.home)
    r = cli(["doccano", "push", str(src), "--project", project_name, "--home", home], env=env)
    assert r.returncode == 1 and "--create" in r.stderr
    r = cli(
        ["doccano", "push", str(src), "--project", project_name, "--create", "--home", home],
        env=env,
    )
    assert r.returncode == 0, r.stderr
    assert _last_json(r.stderr)["created"] == 3
    out = tmp_path / "ann.jsonl"
    pull_args = ["doccano", "pull", "--project", project_name, "-o", str(out), "--home", home]
    r = cli(pull_args, env=env)
    assert r.returncode == 0, r.stderr
    first = out.read_text(encoding="utf-8")
    assert [json.loads(x)["id"] for x in first.splitlines()] == sorted(d.id for d in docs)
    report = json.loads((tmp_path / "ann.jsonl.report.json").read_text())
    assert report["examples"] == 3
    confirmed = first.replace('"state": "imported"', '"state": "confirmed"', 1)
    out.write_text(confirmed, encoding="utf-8")
    r = cli(pull_args, env=env)
    assert r.returncode == 0 and "kept it as" in r.stderr
    backups = list(tmp_path.glob("ann.jsonl.*.bak"))
    assert len(backups) == 1 and '"state": "confirmed"' in backups[0].read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8") == first


def test_doccano_push_cleans_what_older_versions_left(
    doccano_server: Any, admin: DoccanoSync, ledger: SuggestionLedger, project_name: str
) -> None:
    """Projects pushed before this version: bookkeeping in meta and description goes."""
    docs = _synthetic(3, prefix="legacy")
    push([], project_name, client=admin, ledger=ledger, create=True)
    info = admin.find_project(project_name)
    assert info is not None
    admin.update_project(
        info,
        description="cells\nannotkit-manifest: 0123abcd 3",
        guideline="# Annotation guidelines (annotkit)\n\nimplementation notes",
    )
    admin.prepare_suggester(info.id)
    old = []
    for d in docs:
        rec = {
            "text": d.text,
            "label": spans_to_doccano(d.text, d.spans, mode="utf16"),
            "annotkit_id": d.id,
            "annotkit_hash": d.hash,
            "annotkit_pre": [[s.start, s.end, s.label] for s in d.spans],
        }
        old.append(rec)
    admin.import_records(info.id, old)
    report = push(docs, project_name, client=admin, ledger=ledger)
    assert (report.unchanged, report.meta_cleaned, report.created) == (3, 3, 0)
    rest = Rest(doccano_server.url, doccano_server.username, doccano_server.password)
    project = rest.project(project_name)
    assert project["description"] == "cells" and project["guideline"] == guideline_text()
    assert [e["meta"] for e in rest.examples(project["id"])] == [
        {"annotkit_id": d.id} for d in docs
    ]
    got = pull(project_name, client=admin, ledger=ledger).documents
    assert [d.review.state for d in got] == ["imported"] * 3  # type: ignore[union-attr]
    assert all(s.status == "suggested" for d in got for s in d.spans)
