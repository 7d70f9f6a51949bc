"""push/pull against a real doccano server, with a second user correcting through REST."""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
import uuid
from typing import Any

import pytest
import requests
from click.testing import CliRunner

from annotkit.cli import cli
from annotkit.doc import LABELS, Document, Span
from annotkit.errors import ConfigError, SyncError
from annotkit.io import read_documents
from annotkit.offsets import OffsetMap
from annotkit.sync import pull, push
from annotkit.sync.client import DoccanoSync
from annotkit.sync.server import free_port, server_status, start_server

pytestmark = pytest.mark.doccano


class Rest:
    """A plain REST session (what an annotator's browser does), no annotkit code."""

    def __init__(self, url: str, username: str, password: str) -> None:
        self.api = f"{url}/v1"
        self.s = requests.Session()
        self.s.headers.update({"referer": url})
        r = self.s.post(
            f"{self.api}/auth/login/", json={"username": username, "password": password}
        )
        r.raise_for_status()
        self.s.headers["X-CSRFToken"] = self.s.cookies["csrftoken"]

    def call(self, method: str, path: str, **kw: Any) -> Any:
        r = self.s.request(method, f"{self.api}/{path}", **kw)
        assert r.status_code < 400, (method, path, r.status_code, r.text[:300])
        return r.json() if r.content else None

    def project_id(self, name: str) -> int:
        for p in self.call("GET", "projects", params={"limit": 1000})["results"]:
            if p["name"] == name:
                return int(p["id"])
        raise AssertionError(name)

    def examples(self, pid: int) -> list[dict[str, Any]]:
        return self.call("GET", f"projects/{pid}/examples", params={"limit": 100000})["results"]

    def label_ids(self, pid: int) -> dict[str, int]:
        return {t["text"]: t["id"] for t in self.call("GET", f"projects/{pid}/span-types")}


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
    rest = Rest(server.url, name, password)
    rest.username = name  # type: ignore[attr-defined]
    return rest


def _seed_docs() -> list[Document]:
    """The seeds, each with a few spans on its longer words (labels cycle)."""
    docs = []
    for doc in read_documents(["seeds/"]):
        words = [m for m in re.finditer(r"[A-Za-z]{6,}", doc.text)][:6]
        spans = tuple(
            Span(m.start(), m.end(), LABELS[i % 3], source="test") for i, m in enumerate(words)
        )
        docs.append(Document(doc.id, doc.text, spans=spans, meta=dict(doc.meta)))
    return docs


def _triples(doc: Document) -> list[tuple[int, int, str]]:
    return [(s.start, s.end, s.label) for s in doc.spans]


def test_doccano_round_trip_second_user_changes(
    doccano_server: Any, admin: DoccanoSync, project_name: str
) -> None:
    docs = _seed_docs()
    assert len(docs) >= 3 and all(len(d.spans) >= 4 for d in docs[:2])
    report = push(docs, project_name, client=admin, create=True)
    assert report.created == len(docs)
    ann = None
    rest_admin = Rest(doccano_server.url, doccano_server.username, doccano_server.password)
    pid = rest_admin.project_id(project_name)
    ann = _annotator(doccano_server, pid)
    labels = ann.label_ids(pid)
    by_id = {e["meta"]["annotkit_id"]: e for e in ann.examples(pid)}
    assert set(by_id) == {d.id for d in docs}

    # document 0: delete, relabel, move a boundary, add; confirm; comment
    d0 = docs[0]
    e0 = by_id[d0.id]["id"]
    omap = OffsetMap.build(d0.text, "utf16")
    spans = sorted(
        ann.call("GET", f"projects/{pid}/examples/{e0}/spans"), key=lambda s: s["start_offset"]
    )
    pre = _triples(d0)
    ann.call("DELETE", f"projects/{pid}/examples/{e0}/spans/{spans[0]['id']}")
    new_label = next(lab for lab in LABELS if lab != pre[1][2])
    ann.call(
        "PATCH",
        f"projects/{pid}/examples/{e0}/spans/{spans[1]['id']}",
        json={"label": labels[new_label]},
    )
    ann.call(
        "PATCH",
        f"projects/{pid}/examples/{e0}/spans/{spans[2]['id']}",
        json={"end_offset": spans[2]["end_offset"] - 1},
    )
    gap = re.search(r"[A-Za-z]{3,}", d0.text[pre[-1][1] :])
    assert gap is not None
    add = (pre[-1][1] + gap.start(), pre[-1][1] + gap.end(), "DOSE")
    ann.call(
        "POST",
        f"projects/{pid}/examples/{e0}/spans",
        json={
            "start_offset": omap.to_external(add[0]),
            "end_offset": omap.to_external(add[1]),
            "label": labels["DOSE"],
            "prob": 0,
        },
    )
    ann.call("POST", f"projects/{pid}/examples/{e0}/states")
    ann.call(
        "POST", f"projects/{pid}/comments", params={"example": e0}, json={"text": "checked 😀"}
    )
    # document 1: confirmed unchanged; document 2: untouched
    e1 = by_id[docs[1].id]["id"]
    ann.call("POST", f"projects/{pid}/examples/{e1}/states")

    result = pull(project_name, client=admin)
    got = {d.id: d for d in result.documents}
    assert set(got) == {d.id for d in docs}
    expected0 = sorted(
        [(pre[1][0], pre[1][1], new_label), (pre[2][0], pre[2][1] - 1, pre[2][2]), *pre[3:], add]
    )
    assert _triples(got[d0.id]) == expected0
    for span in got[d0.id].spans:
        assert got[d0.id].text_of(span) == d0.text[span.start : span.end]
    review0 = got[d0.id].review
    assert review0 is not None and review0.state == "confirmed"
    assert review0.confirmed_by == (ann.username,)  # type: ignore[attr-defined]
    assert ann.username in review0.annotators  # type: ignore[attr-defined]
    assert list(review0.comments) == [
        {
            "user": ann.username,  # type: ignore[attr-defined]
            "text": "checked 😀",
        }
    ]
    assert review0.changes == {
        "kept": len(pre) - 3,
        "removed": 1,
        "added": 1,
        "relabelled": 1,
        "boundary_changed": 1,
    }
    assert _triples(got[docs[1].id]) == _triples(docs[1])
    assert got[docs[1].id].review.state == "confirmed"  # type: ignore[union-attr]
    assert got[docs[2].id].review.state == "imported"  # type: ignore[union-attr]
    assert _triples(got[docs[2].id]) == _triples(docs[2])
    assert result.confirmed == 2

    micro = result.changes["micro"]
    n1 = len(docs[1].spans)
    assert micro["kept"] == len(pre) - 3 + n1
    assert (micro["removed"], micro["relabelled"], micro["boundary_changed"], micro["added"]) == (
        1,
        1,
        1,
        1,
    )
    assert micro["pre_annotated"] == len(pre) + n1
    assert result.changes["examples"] == 2
    assert micro["precision"] == round(micro["kept"] / micro["pre_annotated"], 4)


@pytest.mark.parametrize("grapheme", [False, True])
def test_doccano_emoji_astral_crlf_round_trip(
    doccano_server: Any, admin: DoccanoSync, project_name: str, tricky_doc: Document, grapheme: bool
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
    )
    push([doc, tricky_doc], project_name, client=admin, create=True, grapheme=grapheme)
    rest = Rest(doccano_server.url, doccano_server.username, doccano_server.password)
    pid = rest.project_id(project_name)
    ex = next(e for e in rest.examples(pid) if e["meta"]["annotkit_id"] == "emoji")
    assert ex["text"] == text
    omap = OffsetMap.build(text, "grapheme" if grapheme else "utf16")
    stored = sorted(
        (s["start_offset"], s["end_offset"])
        for s in rest.call("GET", f"projects/{pid}/examples/{ex['id']}/spans")
    )
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
    got = {d.id: d for d in pull(project_name, client=admin).documents}
    assert got["emoji"].text == text
    assert _triples(got["emoji"]) == [*_triples(doc), (start, start + 5, "CELL_TYPE")]
    assert got["tricky"].text == tricky_doc.text
    assert _triples(got["tricky"]) == _triples(tricky_doc)
    assert [got["tricky"].text_of(s) for s in got["tricky"].spans] == [
        tricky_doc.text_of(s) for s in tricky_doc.spans
    ]


def test_doccano_repush_idempotent_and_confirmed_untouched(
    doccano_server: Any, admin: DoccanoSync, project_name: str
) -> None:
    docs = _seed_docs()
    push(docs, project_name, client=admin, create=True)
    again = push(docs, project_name, client=admin)
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(docs))
    rest = Rest(doccano_server.url, doccano_server.username, doccano_server.password)
    pid = rest.project_id(project_name)
    examples = rest.examples(pid)
    assert len(examples) == len(docs)
    first = next(e for e in examples if e["meta"]["annotkit_id"] == docs[0].id)
    rest.call("POST", f"projects/{pid}/examples/{first['id']}/states")  # confirm
    # a person removes the last span of the second example but does not confirm it
    second = next(e for e in examples if e["meta"]["annotkit_id"] == docs[1].id)
    spans = rest.call("GET", f"projects/{pid}/examples/{second['id']}/spans")
    last = max(spans, key=lambda x: x["start_offset"])
    rest.call("DELETE", f"projects/{pid}/examples/{second['id']}/spans/{last['id']}")
    changed = [Document(d.id, d.text, spans=d.spans[:1]) for d in docs]
    third = push(changed, project_name, client=admin)
    assert third.confirmed_kept == 1 and third.edited_kept == 1
    assert third.updated == len(docs) - 2 and third.created == 0
    got = {d.id: d for d in pull(project_name, client=admin).documents}
    assert len(got) == len(docs)
    assert _triples(got[docs[0].id]) == _triples(docs[0])  # confirmed: never modified
    assert _triples(got[docs[1].id]) == _triples(docs[1])[:-1]  # the person's edit is kept
    for d in docs[2:]:
        assert _triples(got[d.id]) == _triples(d)[:1]
    assert len(rest.examples(pid)) == len(docs)


def test_doccano_empty_push_deletes_nothing(admin: DoccanoSync, project_name: str) -> None:
    docs = _seed_docs()[:2]
    push(docs, project_name, client=admin, create=True)
    report = push([], project_name, client=admin)
    assert report.documents == 0 and report.created == 0
    assert len(pull(project_name, client=admin).documents) == 2


def _synthetic(n: int) -> list[Document]:
    out = []
    for i in range(n):
        text = f"Patient {i} received 5 mL of MSCs 😀 and scored VAS {i % 10}."
        out.append(
            Document(
                f"kill-{i:05d}",
                text,
                spans=(
                    Span(text.index("5 mL"), text.index("5 mL") + 4, "DOSE"),
                    Span(text.index("MSCs"), text.index("MSCs") + 4, "CELL_TYPE"),
                    Span(text.index("VAS"), text.index("VAS") + 3, "SCALE"),
                ),
            )
        )
    return out


def test_doccano_kill_server_mid_push_then_resume(doccano_server: Any, project_name: str) -> None:
    docs = _synthetic(3000)
    api = doccano_server.admin()
    killed = threading.Event()

    def kill_once(done: int) -> None:
        if done >= 1000 and not killed.is_set():
            killed.set()
            for pid in server_status(doccano_server.home).pids:
                os.killpg(pid, signal.SIGKILL)

    try:
        with pytest.raises(SyncError, match="Re-run the same command"):
            push(docs, project_name, client=api, create=True, chunk_size=500, progress=kill_once)
    finally:
        assert killed.is_set()
        time.sleep(0.5)
        start_server(doccano_server.home, port=doccano_server.port)
    report = push(docs, project_name, client=doccano_server.admin(), chunk_size=500)
    assert report.unchanged + report.created + report.repaired == len(docs)
    assert report.created > 0
    rest = Rest(doccano_server.url, doccano_server.username, doccano_server.password)
    pid = rest.project_id(project_name)
    ids = [e["meta"]["annotkit_id"] for e in rest.examples(pid)]
    assert len(ids) == len(docs) and set(ids) == {d.id for d in docs}
    pulled = pull(project_name, client=doccano_server.admin()).documents
    assert all(_triples(p) == _triples(d) for p, d in zip(pulled, docs, strict=True))


def test_doccano_wrong_credentials_and_unreachable(doccano_server: Any) -> None:
    with pytest.raises(ConfigError):
        DoccanoSync.connect(doccano_server.url, doccano_server.username, "not-the-password")
    with pytest.raises(SyncError):
        DoccanoSync.connect(f"http://127.0.0.1:{free_port()}", "admin", "x")
    runner = CliRunner()
    env = {
        "ANNOTKIT_DOCCANO_URL": doccano_server.url,
        "ANNOTKIT_DOCCANO_USERNAME": doccano_server.username,
        "ANNOTKIT_DOCCANO_PASSWORD": "wrong-secret-123",
    }
    r = runner.invoke(cli, ["doccano", "pull", "--project", "nope"], env=env)
    assert r.exit_code == 1 and "rejected the login" in r.stderr
    assert "wrong-secret-123" not in r.stderr + r.stdout
    env["ANNOTKIT_DOCCANO_PASSWORD"] = doccano_server.password
    r = runner.invoke(cli, ["doccano", "pull", "--project", f"missing-{uuid.uuid4().hex}"], env=env)
    assert r.exit_code == 1 and "no doccano project" in r.stderr
    assert doccano_server.password not in r.stderr + r.stdout


def test_doccano_cli_push_pull_keeps_backup(
    doccano_server: Any, project_name: str, tmp_path: Any
) -> None:
    docs = _seed_docs()[:3]
    src = tmp_path / "pre.jsonl"
    from annotkit.io import document_to_record, write_jsonl

    write_jsonl([document_to_record(d) for d in docs], src)
    runner = CliRunner()
    env = {
        "ANNOTKIT_DOCCANO_URL": "",
        "ANNOTKIT_DOCCANO_USERNAME": "",
        "ANNOTKIT_DOCCANO_PASSWORD": "",
    }
    home = str(doccano_server.home)
    r = runner.invoke(
        cli, ["doccano", "push", str(src), "--project", project_name, "--home", home], env=env
    )
    assert r.exit_code == 1 and "--create" in r.stderr
    r = runner.invoke(
        cli,
        ["doccano", "push", str(src), "--project", project_name, "--create", "--home", home],
        env=env,
    )
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stderr.strip().splitlines()[-1])["created"] == 3
    out = tmp_path / "ann.jsonl"
    r = runner.invoke(
        cli, ["doccano", "pull", "--project", project_name, "-o", str(out), "--home", home], env=env
    )
    assert r.exit_code == 0, r.stderr
    first = out.read_text(encoding="utf-8")
    assert [json.loads(x)["id"] for x in first.splitlines()] == sorted(d.id for d in docs)
    report = json.loads((tmp_path / "ann.jsonl.report.json").read_text())
    assert report["examples"] == 3
    confirmed = first.replace('"state": "imported"', '"state": "confirmed"', 1)
    out.write_text(confirmed, encoding="utf-8")
    r = runner.invoke(
        cli, ["doccano", "pull", "--project", project_name, "-o", str(out), "--home", home], env=env
    )
    assert r.exit_code == 0 and "kept it as" in r.stderr
    backups = list(tmp_path.glob("ann.jsonl.*.bak"))
    assert len(backups) == 1 and '"state": "confirmed"' in backups[0].read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8") == first
