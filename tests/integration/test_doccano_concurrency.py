"""Issue 11: concurrent pushes of the same file to one project never duplicate.

Real processes of the real console script, started together, from one machine (one
doccano home) and from two "machines" (two homes: separate ledgers and lock journals,
the server's URL and admin from the environment): only the lock in doccano is shared.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests

from annotkit.doc import Document, Span
from annotkit.io import document_to_record, write_jsonl
from annotkit.sync.accounts import load_suggester, save_suggester

pytestmark = pytest.mark.doccano


def _docs(n: int) -> list[Document]:
    out = []
    for i in range(n):
        text = f"Case {i}: 2 x 10^6 cells/kg of MSCs 😀, then VAS {i % 7}."
        out.append(
            Document(
                f"conc-{i:05d}",
                text,
                spans=(
                    Span(text.index("2 x"), text.index("cells/kg") + 8, "DOSE"),
                    Span(text.index("MSCs"), text.index("MSCs") + 4, "CELL_TYPE"),
                    Span(text.index("VAS"), text.index("VAS") + 3, "SCALE"),
                ),
            )
        )
    return out


def _examples(server: Any, project: str) -> list[dict[str, Any]]:
    s = requests.Session()
    s.headers["referer"] = server.url
    api = f"{server.url}/v1"
    s.post(
        f"{api}/auth/login/", json={"username": server.username, "password": server.password}
    ).raise_for_status()
    projects = [
        p
        for p in s.get(f"{api}/projects", params={"limit": 1000}).json()["results"]
        if p["name"] == project
    ]
    assert len(projects) == 1, projects  # concurrent --create made one project
    pid = projects[0]["id"]
    return s.get(f"{api}/projects/{pid}/examples", params={"limit": 100000}).json()["results"]


@pytest.mark.parametrize("pushers", [2, 4])
def test_doccano_concurrent_pushes_never_duplicate(
    doccano_server: Any, project_name: str, tmp_path: Path, pushers: int, annotkit_exe: str
) -> None:
    docs = _docs(300)
    src = tmp_path / "pre.jsonl"
    write_jsonl([document_to_record(d) for d in docs], src)
    # half the pushers on "another machine": its own home, the admin from the environment,
    # and the suggestion account's password copied over (as the error message asks)
    other = tmp_path / "machine-b"
    creds = load_suggester(doccano_server.home, doccano_server.url)
    assert creds is not None
    save_suggester(other, doccano_server.url, *creds)
    args = [
        "doccano",
        "push",
        str(src),
        "--project",
        project_name,
        "--create",
        "--chunk-size",
        "100",
    ]
    procs = []
    for k in range(pushers):
        home = doccano_server.home if k % 2 == 0 else other
        env = doccano_server.env()
        procs.append(
            subprocess.Popen(
                [annotkit_exe, *args, "--home", str(home)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0 and "Traceback" not in err, err
        reports.append(json.loads(err.strip().splitlines()[-1]))
    examples = _examples(doccano_server, project_name)
    ids = [e["meta"]["annotkit_id"] for e in examples]
    assert len(ids) == len(docs) and set(ids) == {d.id for d in docs}
    assert sum(r["created"] for r in reports) == len(docs)
    assert all(r["created"] + r["unchanged"] == len(docs) for r in reports)
