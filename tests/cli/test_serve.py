"""``annotkit serve`` as a real process on loopback: token, errors, offsets, ledger, restart."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from annotkit.doc import text_hash
from annotkit.offsets import grapheme_boundaries
from annotkit.sync.ledger import ledger_for

TEXT = "😀 MSCs\r\n𠀀 5 mL of bone marrow-derived MSCs; VAS 👍🏽 骨髓间充质干细胞 cafe\u0301 cells"


@pytest.fixture(scope="module")
def service(start_service: Any) -> Any:
    return start_service()


def _utf16(text: str, start: int, end: int) -> str:
    return text.encode("utf-16-le")[2 * start : 2 * end].decode("utf-16-le")


def test_serve_health_needs_no_token(service: Any) -> None:
    r = requests.get(f"{service.url}/health", timeout=30)
    assert r.status_code == 200
    assert r.json()["status"] == "ok" and r.json()["engine"] == "rules"


def test_serve_token_file_is_private(service: Any) -> None:
    path = service.home / "serve.token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(service.token) >= 32
    assert json.loads((service.home / "serve.json").read_text())["url"] == service.url


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"Authorization": "Basic abc"}, 401), ({"Authorization": "Bearer nope"}, 403)],
)
def test_serve_refuses_missing_or_wrong_token(
    service: Any, headers: dict[str, str], status: int
) -> None:
    r = requests.post(f"{service.url}/annotate", json={"text": "MSCs"}, headers=headers, timeout=30)
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/json")
    assert "token" in r.json()["error"].lower() or "bearer" in r.json()["error"].lower()
    if status == 401:
        assert r.headers["www-authenticate"].startswith("Bearer")


def test_serve_bad_requests_get_json_errors(service: Any) -> None:
    auth = {"Authorization": f"Bearer {service.token}"}
    cases = [
        (requests.post, "/annotate", {"data": b"{not json"}, 400),
        (requests.post, "/annotate", {"data": b"\xff\xfe"}, 400),
        (requests.post, "/annotate", {"json": {"txt": "x"}}, 422),
        (requests.post, "/annotate", {"json": {"text": "x", "units": "bytes"}}, 422),
        (requests.post, "/annotate", {"json": ["x"]}, 422),
        (requests.get, "/annotate", {}, 405),
        (requests.get, "/nowhere", {}, 404),
        (requests.post, "/annotate", {"data": b" " * (17 * 1024 * 1024)}, 413),
    ]
    for send, path, kw, status in cases:
        r = send(f"{service.url}{path}", headers=auth, timeout=60, **kw)
        assert r.status_code == status, (path, kw.keys(), r.text[:200])
        body = r.json()
        assert set(body) == {"error"} and body["error"] and "Traceback" not in r.text
    assert requests.get(f"{service.url}/health", timeout=30).status_code == 200


def test_serve_utf16_offsets_select_the_right_text(service: Any) -> None:
    r = service.post({"text": TEXT}, project="p-utf16")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["engine"], body["model"], body["units"]) == ("rules", None, "utf16")
    got = {(_utf16(TEXT, s["start_offset"], s["end_offset"]), s["label"]) for s in body["spans"]}
    assert {("MSCs", "CELL_TYPE"), ("5 mL", "DOSE"), ("bone marrow-derived MSCs", "CELL_TYPE"),
            ("VAS", "SCALE"), ("骨髓间充质干细胞", "CELL_TYPE")} <= got  # fmt: skip
    for s in body["spans"]:
        assert _utf16(TEXT, s["start_offset"], s["end_offset"]) == s["text"]
        assert s["source"].startswith("rule:") and s["score"] is not None
    assert body["label"] == [
        [s["start_offset"], s["end_offset"], s["label"]] for s in body["spans"]
    ]


def test_serve_grapheme_and_codepoint_units(service: Any) -> None:
    utf16 = service.post({"text": TEXT}).json()
    grapheme = service.post({"text": TEXT, "units": "grapheme"}).json()
    codepoint = service.post({"text": TEXT}, units="codepoint").json()
    clusters = grapheme_boundaries(TEXT)
    texts = [s["text"] for s in utf16["spans"]]
    assert [TEXT[clusters[s] : clusters[e]] for s, e, _ in grapheme["label"]] == texts
    assert [TEXT[s:e] for s, e, _ in codepoint["label"]] == texts
    assert grapheme["units"] == "grapheme" and grapheme["skipped"] == []


def test_serve_batch_form_answers_each_text_in_order(service: Any) -> None:
    texts = [TEXT, "", "Patients received 2 x 10^7 cells/kg.", TEXT]
    r = service.post({"texts": texts})
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert len(results) == 4 and results[1] == {"spans": [], "label": [], "skipped": []}
    assert results[0] == results[3] == {k: v for k, v in service.post({"text": TEXT}).json().items()
                                        if k not in ("engine", "model", "units")}  # fmt: skip
    assert [s["label"] for s in results[2]["spans"]] == ["DOSE"]


def test_serve_answers_what_annotate_writes(service: Any, run_cli: Any, tmp_path: Path) -> None:
    src = tmp_path / "doc.jsonl"
    src.write_text(json.dumps({"id": "d", "text": TEXT}, ensure_ascii=False) + "\n", "utf-8")
    out = run_cli("annotate", str(src), "--quiet")
    assert out.returncode == 0, out.stderr
    expected = json.loads(out.stdout)["label"]
    got = service.post({"text": TEXT}, units="codepoint").json()["label"]
    assert got == expected


def test_serve_records_what_it_suggested_per_project(service: Any) -> None:
    body = service.post({"texts": [TEXT, "VAS fell."]}, project="ledger-demo").json()
    ledger = ledger_for(service.home)
    recorded = ledger.suggestions(project="ledger-demo", text_hash=text_hash(TEXT))
    cp = service.post({"text": TEXT}, units="codepoint").json()
    assert [(s.start, s.end, s.label) for s in recorded] == [tuple(t) for t in cp["label"]]
    assert [s.source for s in recorded] == [s["source"] for s in body["results"][0]["spans"]]
    assert all(s.status == "suggested" for s in recorded)
    second = ledger.suggestions(project="ledger-demo", text_hash=text_hash("VAS fell."))
    assert [s.label for s in second] == ["SCALE"]
    assert ledger.suggestions(project="other", text_hash=text_hash(TEXT)) == []


def test_serve_follows_a_promotion_without_restart(service: Any) -> None:
    """A promoted model that does not load: 503 naming it; unpromoted: the rules again."""
    models = service.models_dir
    vdir = models / "broken" / "v1"
    vdir.mkdir(parents=True)
    (vdir / "model.json").write_text(json.dumps({"name": "broken", "version": "v1",
                                                 "labels": ["SCALE"]}))  # fmt: skip
    (vdir / "ner.pt").write_bytes(b"not a model")
    (models / "registry.json").write_text(json.dumps({"promoted": "broken/v1"}))
    try:
        r = service.post({"text": TEXT})
        assert r.status_code == 503 and "broken/v1" in r.json()["error"]
        health = requests.get(f"{service.url}/health", timeout=30)
        assert health.status_code == 503 and "broken/v1" in health.json()["error"]
    finally:
        (models / "registry.json").unlink()
    r = service.post({"text": TEXT})
    assert r.status_code == 200 and r.json()["engine"] == "rules"


def test_serve_restarted_keeps_its_token_and_answers(start_service: Any) -> None:
    first = start_service()
    token, before = first.token, first.post({"text": TEXT}).json()
    assert first.stop() == 0
    assert not (first.home / "serve.json").exists()
    again = start_service(home=first.home, models_dir=first.models_dir, port=first.port)
    assert again.token == token
    assert again.post({"text": TEXT}, token=token).json() == before


def test_serve_port_in_use_is_a_clear_error(service: Any, tmp_path: Path) -> None:
    env = dict(os.environ, ANNOTKIT_MODELS_DIR=str(tmp_path / "m"))
    proc = subprocess.run(
        [sys.executable, "-m", "annotkit", "serve", "--home", str(tmp_path / "h"), "--port",
         str(service.port)],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 1
    assert f"error: cannot listen on 127.0.0.1:{service.port}" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_serve_sigint_stops_cleanly(start_service: Any) -> None:
    svc = start_service()
    assert svc.proc is not None
    svc.proc.send_signal(signal.SIGINT)
    assert svc.proc.wait(timeout=30) == 0, svc.log_text()
    assert not (svc.home / "serve.json").exists()
    svc.proc = None
