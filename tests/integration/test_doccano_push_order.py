"""`doccano push --order rank`: annotators see the ranked documents first (real doccano)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from annotkit.doc import Document, Span
from annotkit.sync import push
from annotkit.sync.client import DoccanoSync

pytestmark = pytest.mark.doccano


def _examples_in_doccano_order(server: Any, project: str) -> list[str]:
    s = requests.Session()
    s.headers.update({"referer": server.url})
    r = s.post(f"{server.url}/v1/auth/login/",
               json={"username": server.username, "password": server.password})  # fmt: skip
    r.raise_for_status()
    projects = s.get(f"{server.url}/v1/projects", params={"limit": 1000}).json()["results"]
    pid = next(p["id"] for p in projects if p["name"] == project)
    # what the annotation page walks through: the example list in doccano's default order
    rows = s.get(f"{server.url}/v1/projects/{pid}/examples", params={"limit": 1000}).json()
    return [e["meta"]["annotkit_id"] for e in rows["results"]]


def test_doccano_push_order_rank(
    doccano_server: Any, admin: DoccanoSync, project_name: str
) -> None:
    docs = []
    for i, pos in enumerate((4, 2, 5, 1, 3)):
        text = f"Document {i}: 5 mL of MSCs."
        docs.append(Document(f"doc{i}", text, spans=(Span(13, 17, "DOSE"),),
                             extra={"rank": {"position": pos, "value": 1.0 / pos}}))  # fmt: skip
    report = push(docs, project_name, client=admin, create=True, order="rank")
    assert report.created == 5
    assert _examples_in_doccano_order(doccano_server, project_name) == [
        "doc3", "doc1", "doc4", "doc0", "doc2"]  # fmt: skip
