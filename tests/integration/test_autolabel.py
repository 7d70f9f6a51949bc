"""Live suggestions in doccano: ``annotkit doccano autolabel`` + ``annotkit serve``, for real.

The suite's doccano server calls a real ``annotkit serve`` process on loopback. Annotators
(created through doccano's API) trigger auto-labelling through doccano's own REST endpoint
and, in a headless Chromium, through the wand in the annotation page; the spans doccano
stores must select exactly the right text (emoji, 𠀀, CRLF), as UTF-16 code units or
grapheme clusters.

Set ``ANNOTKIT_UPDATE_SCREENSHOTS=1`` to refresh ``docs/autolabel-annotator.png`` from the
browser test (otherwise its screenshot goes to the test's temporary folder).
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import pytest
import requests
from click.testing import CliRunner

from annotkit.cli import cli
from annotkit.doc import Document, text_hash
from annotkit.offsets import grapheme_boundaries
from annotkit.sync import push
from annotkit.sync.autolabel import MODEL_NAME, TEMPLATE_MARK
from annotkit.sync.client import DoccanoSync
from annotkit.sync.ledger import ledger_for
from annotkit.sync.server import free_port

pytestmark = pytest.mark.doccano

REPO = Path(__file__).resolve().parents[2]
TEXT = "😀 MSCs\r\n𠀀 5 mL of bone marrow-derived MSCs; VAS 👍🏽 骨髓间充质干细胞 cafe\u0301 cells"
NO_ENV = {"ANNOTKIT_DOCCANO_URL": "", "ANNOTKIT_DOCCANO_USERNAME": "",
          "ANNOTKIT_DOCCANO_PASSWORD": ""}  # fmt: skip


class Rest:
    """A plain REST session, as a browser has it (no annotkit code)."""

    def __init__(self, url: str, username: str, password: str) -> None:
        self.url, self.username = url, username
        self.s = requests.Session()
        self.s.headers.update({"referer": url})
        r = self.s.post(f"{url}/v1/auth/login/", json={"username": username, "password": password})
        r.raise_for_status()
        self.s.headers["X-CSRFToken"] = self.s.cookies["csrftoken"]

    def send(self, method: str, path: str, **kw: Any) -> requests.Response:
        return self.s.request(method, f"{self.url}/v1/{path}", timeout=120, **kw)

    def call(self, method: str, path: str, **kw: Any) -> Any:
        r = self.send(method, path, **kw)
        assert r.status_code < 400, (method, path, r.status_code, r.text[:300])
        return r.json() if r.content else None


@pytest.fixture(scope="module")
def service(doccano_server: Any, start_service: Any) -> Any:
    """``annotkit serve`` for the suite's doccano home (its token lives there)."""
    return start_service(home=doccano_server.home)


@pytest.fixture()
def admin_rest(doccano_server: Any) -> Rest:
    return Rest(doccano_server.url, doccano_server.username, doccano_server.password)


def _annotator(admin: Rest, pid: int) -> tuple[Rest, str, str, int]:
    """A new doccano user with the annotator role in project ``pid``."""
    name = f"ann{uuid.uuid4().hex[:6]}"
    password = f"Pw{uuid.uuid4().hex[:14]}"  # the login form takes < 30 characters
    admin.call("POST", "users/create",
               json={"username": name, "password1": password, "password2": password})  # fmt: skip
    uid = next(u["id"] for u in admin.call("GET", "users") if u["username"] == name)
    role = next(r["id"] for r in admin.call("GET", "roles") if r["name"] == "annotator")
    admin.call("POST", f"projects/{pid}/members", json={"user": uid, "role": role})
    return Rest(admin.url, name, password), name, password, int(uid)


def _project(admin: DoccanoSync, name: str, texts: list[str], *, grapheme: bool = False) -> int:
    """A pushed project whose examples carry no pre-annotation (the wand must do it all)."""
    docs = [Document(f"doc{i}", t) for i, t in enumerate(texts)]
    push(docs, name, client=admin, create=True, grapheme=grapheme)
    info = admin.find_project(name)
    assert info is not None
    return info.id


def _autolabel(doccano_server: Any, project: str, *extra: str) -> Any:
    args = ["doccano", "autolabel", "--project", project, "--home", str(doccano_server.home)]
    return CliRunner().invoke(cli, [*args, *extra], env=NO_ENV)


def _surface(text: str, start: int, end: int, *, grapheme: bool) -> str:
    if grapheme:
        clusters = grapheme_boundaries(text)
        return text[clusters[start] : clusters[end]]
    return text.encode("utf-16-le")[2 * start : 2 * end].decode("utf-16-le")


def _expected(service: Any, text: str) -> list[tuple[str, str]]:
    """(surface, label) of what the service suggests, from its code-point answer."""
    body = service.post({"text": text}, units="codepoint").json()
    return [(text[s:e], label) for s, e, label in body["label"]]


def _stored(rest: Rest, pid: int, example: int, text: str, *, grapheme: bool) -> list[Any]:
    spans = rest.call("GET", f"projects/{pid}/examples/{example}/spans")
    labels = {t["id"]: t["text"] for t in rest.call("GET", f"projects/{pid}/span-types")}
    return sorted(
        (s["start_offset"], _surface(text, s["start_offset"], s["end_offset"], grapheme=grapheme),
         labels[s["label"]], s["user"])
        for s in spans
    )  # fmt: skip


def _example(rest: Rest, pid: int) -> dict[str, Any]:
    return rest.call("GET", f"projects/{pid}/examples", params={"limit": 10})["results"][0]


def test_autolabel_configures_once_and_rerun_changes_nothing(
    doccano_server: Any, admin: DoccanoSync, admin_rest: Rest, service: Any, project_name: str
) -> None:
    pid = _project(admin, project_name, [TEXT])
    first = _autolabel(doccano_server, project_name)
    assert first.exit_code == 0, first.stderr
    report = json.loads(first.stdout)
    assert (report["action"], report["checked"], report["units"]) == ("created", True, "utf16")
    configs = admin_rest.call("GET", f"projects/{pid}/auto-labeling/configs")
    assert len(configs) == 1
    config = configs[0]
    assert config["model_name"] == MODEL_NAME and config["task_type"] == "Span"
    attrs = config["model_attrs"]
    assert attrs["url"] == f"{service.url}/annotate?project={quote_plus(project_name)}&units=utf16"
    assert attrs["method"] == "POST" and attrs["body"] == {"text": "{{ text }}"}
    assert attrs["headers"] == {"Authorization": f"Bearer {service.token}"}
    assert TEMPLATE_MARK in config["template"]
    assert config["label_mapping"] == {k: k for k in ("CELL_TYPE", "DOSE", "SCALE")}
    assert service.token not in first.stdout + first.stderr

    again = _autolabel(doccano_server, project_name)
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout)["action"] == "unchanged"
    assert admin_rest.call("GET", f"projects/{pid}/auto-labeling/configs") == configs
    assert len(admin_rest.call("GET", f"projects/{pid}/span-types")) == 3


@pytest.mark.parametrize("grapheme", [False, True])
def test_autolabel_annotator_gets_spans_on_exactly_the_right_text(
    doccano_server: Any,
    admin: DoccanoSync,
    admin_rest: Rest,
    service: Any,
    project_name: str,
    grapheme: bool,
) -> None:
    pid = _project(admin, project_name, [TEXT], grapheme=grapheme)
    result = _autolabel(doccano_server, project_name)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["units"] == ("grapheme" if grapheme else "utf16")
    ann, _, _, uid = _annotator(admin_rest, pid)
    example = _example(ann, pid)
    assert example["text"] == TEXT
    assert ann.call("GET", f"projects/{pid}/examples/{example['id']}/spans") == []

    r = ann.send("POST", f"projects/{pid}/auto-labeling", params={"example": example["id"]},
                 json={})  # fmt: skip
    assert r.status_code == 201, r.text[:300]
    stored = _stored(ann, pid, example["id"], TEXT, grapheme=grapheme)
    expected = _expected(service, TEXT)
    assert {("MSCs", "CELL_TYPE"), ("5 mL", "DOSE"), ("VAS", "SCALE"),
            ("骨髓间充质干细胞", "CELL_TYPE")} <= set(expected)  # fmt: skip
    assert [(surface, label) for _, surface, label, _ in stored] == expected
    assert {user for *_, user in stored} == {uid}  # saved as the annotator who asked

    # the service recorded, for this project and this exact text (CRLF kept), what it said
    recorded = ledger_for(doccano_server.home).suggestions(project=project_name,
                                                           text_hash=text_hash(TEXT))  # fmt: skip
    assert [(TEXT[s.start : s.end], s.label) for s in recorded] == expected
    assert all(s.source and s.source.startswith("rule:") for s in recorded)

    # asking again adds nothing (doccano keeps spans from overlapping)
    r = ann.send("POST", f"projects/{pid}/auto-labeling", params={"example": example["id"]},
                 json={})  # fmt: skip
    assert r.status_code == 201
    assert _stored(ann, pid, example["id"], TEXT, grapheme=grapheme) == stored


def test_autolabel_wrong_token_fails_loudly_and_a_rerun_repairs_it(
    doccano_server: Any, admin: DoccanoSync, admin_rest: Rest, service: Any, project_name: str
) -> None:
    pid = _project(admin, project_name, [TEXT])
    assert _autolabel(doccano_server, project_name).exit_code == 0
    config = admin_rest.call("GET", f"projects/{pid}/auto-labeling/configs")[0]
    config["model_attrs"]["headers"] = {"Authorization": "Bearer not-the-token"}
    admin_rest.call("PUT", f"projects/{pid}/auto-labeling/configs/{config['id']}", json=config)
    ann, *_ = _annotator(admin_rest, pid)
    example = _example(ann, pid)
    r = ann.send("POST", f"projects/{pid}/auto-labeling", params={"example": example["id"]},
                 json={})  # fmt: skip
    assert r.status_code >= 400  # the service refused (403): doccano fails, saves nothing
    assert ann.call("GET", f"projects/{pid}/examples/{example['id']}/spans") == []

    fixed = _autolabel(doccano_server, project_name)
    assert fixed.exit_code == 0, fixed.stderr
    assert json.loads(fixed.stdout)["action"] == "updated"
    assert len(admin_rest.call("GET", f"projects/{pid}/auto-labeling/configs")) == 1
    r = ann.send("POST", f"projects/{pid}/auto-labeling", params={"example": example["id"]},
                 json={})  # fmt: skip
    assert r.status_code == 201
    assert len(ann.call("GET", f"projects/{pid}/examples/{example['id']}/spans")) == len(
        _expected(service, TEXT)
    )


def test_autolabel_unreachable_service_is_an_error_and_configures_nothing(
    doccano_server: Any, admin: DoccanoSync, admin_rest: Rest, service: Any, project_name: str
) -> None:
    pid = _project(admin, project_name, [TEXT])
    dead = f"http://127.0.0.1:{free_port()}"
    r = _autolabel(doccano_server, project_name, "--serve-url", dead)
    assert r.exit_code == 1
    assert r.stderr.startswith("error: ") and "could not call the annotkit service" in r.stderr
    assert admin_rest.call("GET", f"projects/{pid}/auto-labeling/configs") == []
    r = _autolabel(doccano_server, f"missing-{uuid.uuid4().hex[:8]}")
    assert r.exit_code == 1 and "no doccano project" in r.stderr
    r = _autolabel(doccano_server, project_name, "--serve-url", "ftp://x")
    assert r.exit_code == 1 and "must be an http(s) URL" in r.stderr


# the wand is the third-from-last toolbar button; its icon is mdiAutoFix
_WAND = "M7.5,5.6L5,7L6.4,4.5L5,2"
_RENDERED_SPANS = r"""
const out = [];
for (const t of document.querySelectorAll('#container svg text[id]')) {
  const s = t.textContent;
  for (const line of t.parentNode.querySelectorAll(':scope > g > line')) {
    const x1 = +line.getAttribute('x1'), x2 = +line.getAttribute('x2');
    let under = '';
    for (let i = 0; i < t.getNumberOfChars(); i++) {
      const e = t.getExtentOfChar(i), mid = e.x + e.width / 2;
      if (mid >= x1 - 0.5 && mid <= x2 + 0.5) under += s[i];
    }
    out.push([under, line.parentNode.querySelector('g > text').textContent]);
  }
}
return out;
"""


def _shown(browser: Any, css: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return [e for e in browser.find_elements(By.CSS_SELECTOR, css) if e.is_displayed()]


def _click(browser: Any, element: Any) -> None:
    """Click like a person; an element still under a transition gets the click from JS."""
    from selenium.common.exceptions import ElementClickInterceptedException

    try:
        element.click()
    except ElementClickInterceptedException:
        browser.execute_script("arguments[0].click()", element)


def test_autolabel_browser_annotator_sees_live_suggestions(
    doccano_server: Any,
    admin: DoccanoSync,
    admin_rest: Rest,
    service: Any,
    project_name: str,
    browser: Any,
    tmp_path: Path,
) -> None:
    """An annotator logs in, opens a pushed document without spans, turns on the wand: the
    service's suggestions appear, each underline under exactly its words."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    pid = _project(admin, project_name, [TEXT])
    assert _autolabel(doccano_server, project_name).exit_code == 0
    ann, name, password, uid = _annotator(admin_rest, pid)
    expected = _expected(service, TEXT)
    wait = WebDriverWait(browser, 60)
    browser.delete_all_cookies()
    browser.get(f"{doccano_server.url}/auth")
    user = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "input[type=text]"))
    wait.until(lambda d: d.execute_script("return document.readyState") == "complete")
    user.send_keys(name)
    browser.find_element(By.CSS_SELECTOR, "input[type=password]").send_keys(password)
    login = wait.until(lambda d: [b for b in d.find_elements(By.CSS_SELECTOR,
                                  ".v-card__actions button") if b.is_enabled()])  # fmt: skip
    _click(browser, login[0])
    wait.until(lambda d: "/projects" in d.current_url)
    browser.get(f"{doccano_server.url}/projects/{pid}/sequence-labeling?page=1")
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#container svg text[id]"))
    assert browser.find_elements(By.CSS_SELECTOR, "#container svg line") == []

    wand = browser.find_element(
        By.XPATH,
        "//*[contains(@class,'toolbar-control')]//button"
        f"[.//*[local-name()='path' and starts-with(@d,'{_WAND}')]]",
    )
    _click(browser, wand)
    switch = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, ".v-dialog input[role=switch]"))
    browser.execute_script("arguments[0].click()", switch)
    close = wait.until(lambda d: _shown(d, ".v-dialog .v-card__actions button"))
    _click(browser, close[0])
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#container svg line"))
               >= len(expected))  # fmt: skip
    wait.until(lambda d: not _shown(d, ".v-dialog, .v-overlay--active"))
    rendered = browser.execute_script(_RENDERED_SPANS)
    shot = tmp_path / "autolabel-annotator.png"
    browser.save_screenshot(str(shot))
    if os.environ.get("ANNOTKIT_UPDATE_SCREENSHOTS"):
        shutil.copyfile(shot, REPO / "docs" / "autolabel-annotator.png")
    assert [tuple(r) for r in rendered] == expected, f"see {shot}"
    stored = _stored(ann, pid, _example(ann, pid)["id"], TEXT, grapheme=False)
    assert [(surface, label) for _, surface, label, _ in stored] == expected
    assert {user for *_, user in stored} == {uid}


def test_autolabel_restarted_service_still_serves(
    doccano_server: Any, admin: DoccanoSync, admin_rest: Rest, service: Any, project_name: str
) -> None:
    """Runs last in this module: it restarts the module's service on the same port."""
    pid = _project(admin, project_name, [TEXT, "Pain on the VAS fell after 10 million MSCs."])
    assert _autolabel(doccano_server, project_name).exit_code == 0
    assert service.stop() == 0
    service.start()
    ann, *_ = _annotator(admin_rest, pid)
    examples = ann.call("GET", f"projects/{pid}/examples", params={"limit": 10})["results"]
    for example in examples:
        r = ann.send("POST", f"projects/{pid}/auto-labeling", params={"example": example["id"]},
                     json={})  # fmt: skip
        assert r.status_code == 201, r.text[:300]
        stored = _stored(ann, pid, example["id"], example["text"], grapheme=False)
        assert [(s, lab) for _, s, lab, _ in stored] == _expected(service, example["text"])
    assert json.loads(_autolabel(doccano_server, project_name).stdout)["action"] == "unchanged"
