"""The one adapter over doccano-client: the few calls push/pull need, bounded in time.

Only this module imports ``doccano_client`` (and ``requests``). Every HTTP call has a
connect and a read timeout (``ANNOTKIT_DOCCANO_TIMEOUT``, default 60 s) and a bounded number
of retries (5xx answers and refused connections with exponential backoff, timeouts once),
and every failure leaves as :class:`~annotkit.errors.SyncError` (or
:class:`~annotkit.errors.ConfigError` for a bad URL or credentials) whose message names the
URL, what failed and what to check. Bulk work goes through doccano's JSONL import/export
(the Celery task), which is what makes 10,000 documents a matter of seconds.

Spans are uploaded by the dedicated suggestion account (:mod:`annotkit.sync.accounts`),
so doccano records them as annotkit's, not as the administrator's.

EXAMPLE:
    >>> from annotkit.sync.client import DoccanoSync
    >>> api = DoccanoSync.connect("http://127.0.0.1:8000", "admin", "secret")  # doctest: +SKIP
    >>> api.find_project("demo")  # doctest: +SKIP
"""

from __future__ import annotations

import io
import json
import logging
import os
import secrets
import time
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from annotkit.errors import ConfigError, SyncError
from annotkit.sync.accounts import LOCK_USER, SUGGESTER, load_suggester, save_suggester
from annotkit.sync.lock import LockJournal, ProjectLock
from annotkit.sync.mapping import ExampleRecord
from annotkit.sync.transport import (
    CONNECT_TIMEOUT_S,
    DEFAULT_TIMEOUT_S,
    Http,
    check_url,
    json_or_none,
    results,
    short_body,
    timeout_setting,
)

if TYPE_CHECKING:
    pass

__all__ = [
    "CONNECT_TIMEOUT_S",
    "DEFAULT_TIMEOUT_S",
    "DoccanoSync",
    "ExampleDetail",
    "LabelTypeSpec",
    "OwnedSpan",
    "ProjectInfo",
    "SyncClient",
    "check_url",
    "iter_chunks",
]

log = logging.getLogger(__name__)
T = TypeVar("T")
_LIST_PAGE = 2000
#: A span whose last change is this much later than its creation was edited after upload.
_EDITED_AFTER_S = 1.0


@dataclass(frozen=True, slots=True)
class ProjectInfo:
    """The project settings push/pull care about."""

    id: int
    name: str
    project_type: str
    collaborative_annotation: bool
    allow_overlapping: bool
    grapheme_mode: bool
    guideline: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class LabelTypeSpec:
    """A span label type: name, background colour and shortcut key."""

    text: str
    color: str
    key: str | None


@dataclass(frozen=True, slots=True)
class OwnedSpan:
    """A span as doccano stores it: offsets in doccano units, label, owner, edited or not.

    ``edited`` is True when the span changed after it was created (a person relabelled it
    in place; doccano keeps the creator as its owner).
    """

    start: int
    end: int
    label: str
    user: str
    edited: bool


@dataclass(frozen=True, slots=True)
class ExampleDetail:
    """Who did what on one example: its spans with owners, confirmations and comments."""

    spans: tuple[OwnedSpan, ...]
    confirmed_by: tuple[str, ...]
    comments: tuple[Mapping[str, Any], ...]


class SyncClient(Protocol):
    """What push/pull need from a doccano server (tests implement it in memory)."""

    url: str

    def find_projects(self, name: str) -> list[ProjectInfo]: ...

    def create_project(
        self, name: str, *, guideline: str, grapheme: bool, description: str
    ) -> ProjectInfo: ...

    def delete_project(self, project_id: int) -> None: ...

    def update_project(self, project: ProjectInfo, **changes: Any) -> ProjectInfo: ...

    def ensure_label_types(
        self, project_id: int, specs: Sequence[LabelTypeSpec]
    ) -> dict[str, int]: ...

    def prepare_suggester(self, project_id: int) -> str: ...

    def project_lock(self, project_id: int, *, wait: float) -> ProjectLock: ...

    def export_examples(self, project_id: int) -> list[ExampleRecord]: ...

    def confirmed_example_ids(self, project_id: int) -> set[int]: ...

    def count_examples(self, project_id: int) -> int: ...

    def latest_example_id(self, project_id: int) -> int | None: ...

    def span_totals(self, project_id: int, labels: Sequence[str]) -> dict[str, int]: ...

    def import_records(self, project_id: int, records: Sequence[Mapping[str, Any]]) -> None: ...

    def delete_examples(self, project_id: int, example_ids: Sequence[int]) -> None: ...

    def create_spans(
        self, project_id: int, example_id: int, spans: Sequence[tuple[int, int, int]]
    ) -> None: ...

    def set_example_meta(
        self, project_id: int, example_id: int, meta: Mapping[str, Any]
    ) -> None: ...

    def example_detail(
        self, project_id: int, example_id: int, *, comments: bool
    ) -> ExampleDetail: ...


class DoccanoSync:
    """A logged-in doccano session (see :meth:`connect`) implementing :class:`SyncClient`."""

    def __init__(
        self,
        client: Any,
        http: Http,
        *,
        login: tuple[str, str],
        home: Path,
    ) -> None:
        self._client = client
        self._http = http
        self.url = http.url
        self.home = home
        self._login = login
        self._label_ids: dict[int, dict[int, str]] = {}
        self._users: dict[int, str] | None = None
        self._roles: dict[str, int] | None = None
        self._uploader: DoccanoSync | None = None

    @classmethod
    def connect(
        cls,
        url: str,
        username: str,
        password: str,
        *,
        home: str | os.PathLike[str] | None = None,
        timeout: float | None = None,
        where: str = "doccano URL",
    ) -> DoccanoSync:
        """Log in. Bad URL or credentials -> ConfigError; unreachable / not doccano -> SyncError.

        arg home: where the suggestion account's password is kept (default: the doccano
            home of the settings).
        arg timeout: read timeout in seconds (default ``ANNOTKIT_DOCCANO_TIMEOUT`` or 60).
        arg where: how to name the URL's origin in errors (an environment variable, a file).
        """
        base = check_url(url, where)
        try:
            from doccano_client import DoccanoClient
        except ImportError:  # pragma: no cover - the extra is installed by `make install`
            raise ConfigError(
                "doccano-client is not installed ; run `pip install 'annotkit[doccano]'`"
            ) from None
        client = DoccanoClient(base)
        http = Http(
            client._base_repository._session,
            base,
            timeout if timeout is not None else timeout_setting(),
        )
        what = f"log in as {username!r}"
        resp = http.call(
            "POST",
            "auth/login/",
            what,
            json={"username": username, "password": password},
            accept=(*range(400, 500), 501, 505),
            attempts=3,
        )
        body = json_or_none(resp)
        if resp.status_code in (400, 401, 403) and isinstance(body, Mapping):
            if "non_field_errors" in body or "detail" in body:
                raise ConfigError(
                    f"{base}: doccano rejected the login for user {username!r} ; check "
                    "ANNOTKIT_DOCCANO_USERNAME/ANNOTKIT_DOCCANO_PASSWORD or <home>/credentials.json"
                )
        if resp.status_code >= 300 or not isinstance(body, Mapping) or "key" not in body:
            raise SyncError(
                f"{base}: this is not a doccano server (POST /v1/auth/login/ answered "
                f"{short_body(resp)}) ; check the URL's host and port (annotkit talks to "
                "doccano 1.8: `annotkit doccano server status` shows the local one)"
            )
        http.session.headers["X-CSRFToken"] = http.session.cookies.get("csrftoken") or ""
        from annotkit.config import settings

        where_home = Path(home) if home is not None else settings().doccano_home
        return cls(client, http, login=(username, password), home=where_home)

    def clone(self) -> DoccanoSync:
        """A second, independent session with the same login (for another thread)."""
        return DoccanoSync.connect(
            self.url, *self._login, home=self.home, timeout=self._http.read_timeout
        )

    # ----------------------------------------------------------------- raw helpers
    def call_json(self, method: str, resource: str, what: str, **kwargs: Any) -> Any:
        """One API call (``resource`` under ``/v1``) with timeouts, retries and clear errors;
        RETURNS the decoded JSON answer (None when empty). ``what`` names it in errors."""
        return self._http.json(method, resource, what, **kwargs)

    @property
    def _base(self) -> Any:
        """doccano-client's repository over this same session (so with its timeouts).

        Kept for callers written against the earlier adapter; prefer :meth:`call_json`.
        """
        return self._client._base_repository

    def _get(self, resource: str, what: str, **params: Any) -> Any:
        return self._http.json("GET", resource, what, params=params or None)

    def _post(self, resource: str, what: str, payload: Any) -> Any:
        return self._http.json("POST", resource, what, json=payload)

    def _wait_task(self, task_id: str, what: str, timeout: float = 900.0) -> Any:
        deadline = time.monotonic() + timeout
        delay = 0.05
        while time.monotonic() < deadline:
            status = self._get(f"tasks/status/{task_id}", what)
            if status.get("ready"):
                if status.get("error"):
                    raise SyncError(
                        f"{self.url}: {what}: the doccano task failed: {status['error']} ; see "
                        "the server's Celery log (local server: <home>/logs/celery.log)"
                    )
                return status.get("result")
            time.sleep(delay)
            delay = min(delay * 1.5, 0.25)
        raise SyncError(
            f"{self.url}: {what}: doccano's task queue did not finish within {timeout:.0f} s ; "
            "is the Celery worker running (`annotkit doccano server status`)?"
        )

    # ----------------------------------------------------------------- projects
    @staticmethod
    def _project(data: Mapping[str, Any]) -> ProjectInfo:
        return ProjectInfo(
            id=int(data["id"]),
            name=str(data["name"]),
            project_type=str(data["project_type"]),
            collaborative_annotation=bool(data.get("collaborative_annotation")),
            allow_overlapping=bool(data.get("allow_overlapping")),
            grapheme_mode=bool(data.get("grapheme_mode")),
            guideline=str(data.get("guideline") or ""),
            description=str(data.get("description") or ""),
        )

    def find_projects(self, name: str) -> list[ProjectInfo]:
        """Every project with this name that the user belongs to, oldest (lowest id) first."""
        found: list[ProjectInfo] = []
        offset = 0
        while True:
            page = self._get("projects", "list projects", limit=200, offset=offset)
            found.extend(self._project(p) for p in page.get("results", []) if p.get("name") == name)
            if not page.get("next"):
                return sorted(found, key=lambda p: p.id)
            offset += 200

    def find_project(self, name: str) -> ProjectInfo | None:
        """The oldest project with this name, if any."""
        found = self.find_projects(name)
        return found[0] if found else None

    def create_project(
        self, name: str, *, guideline: str, grapheme: bool, description: str = ""
    ) -> ProjectInfo:
        payload = {
            "name": name,
            "description": description or name,
            "guideline": guideline,
            "project_type": "SequenceLabeling",
            "resourcetype": "SequenceLabelingProject",
            "random_order": False,
            "collaborative_annotation": True,
            "allow_overlapping": False,
            "grapheme_mode": grapheme,
            "use_relation": False,
            "tags": [],
        }
        return self._project(self._post("projects", f"create project {name!r}", payload))

    def delete_project(self, project_id: int) -> None:
        self._http.call(
            "DELETE", "projects", f"delete project {project_id}", json={"ids": [project_id]}
        )

    def update_project(self, project: ProjectInfo, **changes: Any) -> ProjectInfo:
        payload = {"resourcetype": "SequenceLabelingProject", **changes}
        data = self._http.json(
            "PATCH", f"projects/{project.id}", f"update project {project.name!r}", json=payload
        )
        return self._project(data)

    def ensure_label_types(self, project_id: int, specs: Sequence[LabelTypeSpec]) -> dict[str, int]:
        existing = self._get(f"projects/{project_id}/span-types", "list label types")
        by_name = {str(t["text"]): int(t["id"]) for t in existing}
        used_keys = {t.get("suffix_key") for t in existing}
        for spec in specs:
            if spec.text in by_name:
                continue
            key = spec.key if spec.key not in used_keys else None
            created = self._post(
                f"projects/{project_id}/span-types",
                f"create label type {spec.text!r}",
                {
                    "text": spec.text,
                    "background_color": spec.color,
                    "text_color": "#ffffff",
                    "suffix_key": key,
                    "prefix_key": None,
                },
            )
            used_keys.add(key)
            by_name[spec.text] = int(created["id"])
        self._label_ids[project_id] = {v: k for k, v in by_name.items()}
        return by_name

    def _label_names(self, project_id: int) -> dict[int, str]:
        if project_id not in self._label_ids:
            types = self._get(f"projects/{project_id}/span-types", "list label types")
            self._label_ids[project_id] = {int(t["id"]): str(t["text"]) for t in types}
        return self._label_ids[project_id]

    # ----------------------------------------------------------------- users, members
    def _usernames(self, *, refresh: bool = False) -> dict[int, str]:
        if self._users is None or refresh:
            rows = results(self._get("users", "list users"))
            self._users = {int(u["id"]): str(u["username"]) for u in rows}
        return self._users

    def user_id(self, username: str) -> int | None:
        """The id of a doccano user, if it exists."""
        for refresh in (False, True):
            found = [i for i, n in self._usernames(refresh=refresh).items() if n == username]
            if found:
                return found[0]
        return None

    def create_user(self, username: str, password: str) -> int | None:
        """Create a user (needs a doccano administrator); None when the name is taken."""
        resp = self._http.call(
            "POST",
            "users/create",
            f"create the doccano user {username!r}",
            json={"username": username, "password1": password, "password2": password},
            accept=(400,),
        )
        if resp.status_code == 400:
            return None
        self._users = None
        return int(resp.json()["id"])

    def _role_id(self, role: str) -> int:
        if self._roles is None:
            rows = results(self._get("roles", "list roles"))
            self._roles = {str(r["name"]): int(r["id"]) for r in rows}
        if role not in self._roles:
            raise SyncError(f"{self.url}: doccano has no role {role!r} ; is it doccano 1.8?")
        return self._roles[role]

    def add_member(self, project_id: int, user_id: int, role: str) -> int | None:
        resp = self._http.call(
            "POST",
            f"projects/{project_id}/members",
            f"add user {user_id} to project {project_id}",
            json={"user": user_id, "role": self._role_id(role)},
            accept=(400,),
        )
        if resp.status_code == 400:
            return None
        return int(resp.json()["id"])

    def find_member(self, project_id: int, user_id: int) -> tuple[int, str] | None:
        rows = results(
            self._get(f"projects/{project_id}/members", "list project members", user=user_id)
        )
        for row in rows:
            if int(row["user"]) == user_id:
                return int(row["id"]), str(row.get("rolename") or row.get("role"))
        return None

    def set_member_role(self, project_id: int, member_id: int, role: str) -> bool:
        resp = self._http.call(
            "PATCH",
            f"projects/{project_id}/members/{member_id}",
            f"update member {member_id} of project {project_id}",
            json={"role": self._role_id(role)},
            accept=(404,),
        )
        return resp.status_code != 404

    def delete_members(self, project_id: int, member_ids: Sequence[int]) -> None:
        ids = sorted({int(i) for i in member_ids})
        if ids:
            what = f"remove members from project {project_id}"
            self._http.call("DELETE", f"projects/{project_id}/members", what, json={"ids": ids})

    def _machine_user(self, username: str) -> tuple[int, str | None]:
        """The id of an annotkit account, created when missing (with the new password)."""
        uid = self.user_id(username)
        if uid is not None:
            return uid, None
        password = secrets.token_urlsafe(24)
        created = self.create_user(username, password)
        if created is not None:
            return created, password
        uid = self.user_id(username)  # created by a concurrent push meanwhile
        if uid is None:
            raise SyncError(
                f"{self.url}: cannot create the doccano user {username!r} ; log in as a doccano "
                "administrator (superuser) for the first push, or create that user by hand"
            )
        return uid, None

    def prepare_suggester(self, project_id: int) -> str:
        """Make sure the suggestion account exists and is this project's admin; log it in.

        RETURNS its username. Spans uploaded by :meth:`import_records` and
        :meth:`create_spans` then belong to it.
        """
        uid, password = self._machine_user(SUGGESTER)
        creds = load_suggester(self.home, self.url)
        if password is not None:
            path = save_suggester(self.home, self.url, SUGGESTER, password)
            log.info("created the doccano user %r; its password is in %s", SUGGESTER, path)
            creds = (SUGGESTER, password)
        for _ in range(20):  # a concurrent push may be saving the password it just created
            if creds is not None:
                break
            time.sleep(0.25)
            creds = load_suggester(self.home, self.url)
        if creds is None:
            raise SyncError(
                f"{self.url}: the doccano user {SUGGESTER!r} that owns annotkit's suggestions "
                f"exists, but its password is not in {self.home}/credentials.json or "
                f"{self.home}/suggesters.json ; copy suggesters.json from the machine that "
                "created it into the doccano home (--home), or for the local server run "
                "`annotkit doccano server start`, which resets it"
            )
        member = self.find_member(project_id, uid)
        if member is None:
            if self.add_member(project_id, uid, "project_admin") is None:
                member = self.find_member(project_id, uid)
        if member is not None and member[1] != "project_admin":
            self.set_member_role(project_id, member[0], "project_admin")
        if self._uploader is None:
            try:
                self._uploader = DoccanoSync.connect(
                    self.url, *creds, home=self.home, timeout=self._http.read_timeout
                )
            except ConfigError:
                raise SyncError(
                    f"{self.url}: the password kept for the doccano user {SUGGESTER!r} is "
                    "wrong ; for the local server run `annotkit doccano server start` (it "
                    "resets it); elsewhere delete its entry from suggesters.json and ask a "
                    "doccano administrator to delete that user, then push again"
                ) from None
        return SUGGESTER

    def project_lock(self, project_id: int, *, wait: float) -> ProjectLock:
        """The project's push lock (:mod:`annotkit.sync.lock`), not yet acquired."""
        uid, _ = self._machine_user(LOCK_USER)
        return ProjectLock(
            self,
            project_id,
            uid,
            name=f"{self.url} project {project_id}",
            heartbeat_store=self.clone(),
            journal=LockJournal(self.home / "locks.json", f"{self.url}#{project_id}"),
            wait=wait,
        )

    def _uploading(self) -> DoccanoSync:
        if self._uploader is None:
            raise SyncError(
                f"{self.url}: spans are uploaded by the suggestion account ; call "
                "prepare_suggester(project_id) first"
            )
        return self._uploader

    # ----------------------------------------------------------------- examples
    def export_examples(self, project_id: int) -> list[ExampleRecord]:
        what = f"export project {project_id}"
        task = self._post(
            f"projects/{project_id}/download", what, {"format": "JSONL", "exportApproved": False}
        )
        self._wait_task(str(task["task_id"]), what)
        resp = self._http.call(
            "GET", f"projects/{project_id}/download", what, params={"taskId": task["task_id"]}
        )
        out: list[ExampleRecord] = []
        try:
            archive = zipfile.ZipFile(io.BytesIO(resp.content))
        except zipfile.BadZipFile:
            raise SyncError(
                f"{self.url}: {what}: the download is not a zip file ; run the command again"
            ) from None
        with archive:
            for name in archive.namelist():
                for line in archive.read(name).decode("utf-8").splitlines():
                    if line.strip():
                        out.append(_record_from_export(json.loads(line)))
        out.sort(key=lambda r: r.example_id)
        return out

    def confirmed_example_ids(self, project_id: int) -> set[int]:
        ids: set[int] = set()
        offset = 0
        while True:
            page = self._get(
                f"projects/{project_id}/examples",
                "list confirmed examples",
                confirmed="true",
                limit=_LIST_PAGE,
                offset=offset,
            )
            ids.update(int(e["id"]) for e in page.get("results", []))
            if not page.get("next"):
                return ids
            offset += _LIST_PAGE

    def count_examples(self, project_id: int) -> int:
        page = self._get(f"projects/{project_id}/examples", "count examples", limit=1)
        return int(page["count"])

    def latest_example_id(self, project_id: int) -> int | None:
        page = self._get(
            f"projects/{project_id}/examples",
            "find the newest example",
            limit=1,
            ordering="-created_at",
        )
        rows = page.get("results", [])
        return int(rows[0]["id"]) if rows else None

    def span_totals(self, project_id: int, labels: Sequence[str]) -> dict[str, int]:
        """Spans per label in the project (all users), from the example filter's count."""
        return {
            label: int(
                self._get(f"projects/{project_id}/examples", "count spans", label=label, limit=1)[
                    "count"
                ]
            )
            for label in labels
        }

    def import_records(self, project_id: int, records: Sequence[Mapping[str, Any]]) -> None:
        """JSONL-import examples with their spans, as the suggestion account."""
        if not records:
            return
        self._uploading()._import(project_id, records)

    def _import(self, project_id: int, records: Sequence[Mapping[str, Any]]) -> None:
        what = f"import {len(records)} examples into project {project_id}"
        # ASCII-only JSON: doccano guesses file encodings, escapes leave nothing to guess
        data = "\n".join(json.dumps(r, ensure_ascii=True) for r in records).encode("ascii")
        resp = self._http.call(
            "POST",
            "fp/process/",
            what,
            files={"filepond": ("annotkit.jsonl", data, "application/octet-stream")},
            headers={"content-type": None, "accept": "*/*"},
        )
        upload_id = resp.content.decode()
        task = self._post(
            f"projects/{project_id}/upload",
            what,
            {
                "uploadIds": [upload_id],
                "task": "SequenceLabeling",
                "format": "JSONL",
                "column_data": "text",
                "column_label": "label",
                "encoding": "utf_8",
            },
        )
        result = self._wait_task(str(task["task_id"]), what)
        errors = result.get("error") if isinstance(result, Mapping) else None
        if errors:
            raise SyncError(
                f"{self.url}: {what}: doccano rejected part of the file: {errors[:3]} ; fix "
                "those documents and push again"
            )

    def delete_examples(self, project_id: int, example_ids: Sequence[int]) -> None:
        ids = sorted({int(i) for i in example_ids})
        if not ids:  # doccano deletes EVERY example when given an empty list
            return
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            self._http.call(
                "DELETE",
                f"projects/{project_id}/examples",
                f"delete {len(chunk)} examples from project {project_id}",
                json={"ids": chunk},
            )

    def create_spans(
        self, project_id: int, example_id: int, spans: Sequence[tuple[int, int, int]]
    ) -> None:
        """Add spans to an example, as the suggestion account."""
        uploader = self._uploading()
        for start, end, label_id in spans:
            uploader._post(
                f"projects/{project_id}/examples/{example_id}/spans",
                f"add a span to example {example_id}",
                {"start_offset": start, "end_offset": end, "label": label_id, "prob": 0.0},
            )

    def set_example_meta(self, project_id: int, example_id: int, meta: Mapping[str, Any]) -> None:
        self._http.call(
            "PATCH",
            f"projects/{project_id}/examples/{example_id}",
            f"update the metadata of example {example_id}",
            json={"meta": dict(meta)},
        )

    def create_example(
        self,
        project_id: int,
        record: Mapping[str, Any],
        label_ids: Mapping[str, int],
    ) -> int:
        """The plain per-example REST path (one example, then one request per span).

        ``record`` is a :func:`~annotkit.sync.mapping.to_import_record` line. Slow (a few
        dozen documents a second); the benchmark compares it with the JSONL import.
        """
        meta = {k: v for k, v in record.items() if k not in ("text", "label")}
        example = self._post(
            f"projects/{project_id}/examples",
            f"create an example in project {project_id}",
            {"text": record["text"], "meta": meta},
        )
        spans = [(int(s), int(e), label_ids[str(lab)]) for s, e, lab in record["label"]]
        self.create_spans(project_id, int(example["id"]), spans)
        return int(example["id"])

    def list_examples_paged(self, project_id: int, *, limit: int | None = None) -> int:
        """Walk the example list at the server's default page size; RETURNS the count."""
        count = 0
        url: str | None = f"projects/{project_id}/examples"
        while url is not None:
            page = self._http.json("GET", url, "list examples")
            for _ in page.get("results", []):
                count += 1
                if limit is not None and count >= limit:
                    return count
            url = page.get("next")
        return count

    def example_detail(self, project_id: int, example_id: int, *, comments: bool) -> ExampleDetail:
        """The example's spans with their owners, who confirmed it and its comments."""
        names = self._usernames()
        labels = self._label_names(project_id)

        def name(uid: Any) -> str:
            if uid is None:
                return "?"
            if int(uid) not in names:
                names.update(self._usernames(refresh=True))
            return names.get(int(uid), f"user-{uid}")

        base = f"projects/{project_id}/examples/{example_id}"
        spans = []
        for s in results(self._get(f"{base}/spans", f"list spans of example {example_id}")):
            created, updated = _when(s.get("created_at")), _when(s.get("updated_at"))
            edited = (
                created is not None
                and updated is not None
                and (updated - created > _EDITED_AFTER_S)
            )
            label = labels.get(int(s["label"]))
            if label is None:
                label = self._label_names_refresh(project_id).get(int(s["label"]), "?")
            spans.append(
                OwnedSpan(
                    int(s["start_offset"]), int(s["end_offset"]), label, name(s.get("user")), edited
                )
            )
        states = results(
            self._get(f"{base}/states", f"list states of example {example_id}", limit=100)
        )
        confirmed_by = tuple(
            dict.fromkeys(
                name(s.get("confirmed_by")) for s in sorted(states, key=lambda s: s["id"])
            )
        )
        notes: tuple[dict[str, Any], ...] = ()
        if comments:
            rows = results(
                self._get(
                    f"projects/{project_id}/comments",
                    f"list comments of example {example_id}",
                    example=example_id,
                    limit=1000,
                )
            )
            notes = tuple(
                {"user": c.get("username"), "text": c.get("text")}
                for c in sorted(rows, key=lambda c: int(c["id"]))
            )
        return ExampleDetail(tuple(spans), confirmed_by, notes)

    def _label_names_refresh(self, project_id: int) -> dict[int, str]:
        self._label_ids.pop(project_id, None)
        return self._label_names(project_id)


def _retrying(func: Callable[[], T], what: str, *, attempts: int = 5, base: float = 0.5) -> T:
    """Call ``func`` (doccano-client calls over a DoccanoSync's ``_base``), retrying 5xx and
    refused connections with backoff, a timeout once; failures become SyncError.

    Kept for callers written against the earlier adapter; prefer
    :meth:`DoccanoSync.call_json`, which names the URL in its errors.
    """
    import requests
    from doccano_client.exceptions import DoccanoAPIError

    delay = base
    timeouts = 0
    for attempt in range(1, attempts + 1):
        try:
            return func()
        except DoccanoAPIError as err:
            status = getattr(err.response, "status_code", 0) or 0
            body = (getattr(err.response, "text", "") or "")[:300]
            if status >= 500 and attempt < attempts:
                log.warning("%s: HTTP %s, retry %d in %.1fs", what, status, attempt, delay)
            elif status in (401, 403):
                raise SyncError(
                    f"{what}: the doccano server refused access (HTTP {status}) ; check that "
                    "the user is a doccano administrator or the project's admin"
                ) from None
            else:
                raise SyncError(
                    f"{what}: doccano answered HTTP {status}: {body} ; check the request's input"
                ) from None
        except requests.Timeout:
            timeouts += 1
            if timeouts >= 2 or attempt >= attempts:
                raise SyncError(
                    f"{what}: the doccano server did not answer in time ; check that it runs "
                    "(`annotkit doccano server status`), or raise ANNOTKIT_DOCCANO_TIMEOUT"
                ) from None
        except requests.ConnectionError as err:
            if attempt >= attempts:
                raise SyncError(
                    f"{what}: cannot reach the doccano server ({type(err).__name__}) after "
                    f"{attempts} tries ; is it running? (`annotkit doccano server status`)"
                ) from None
            log.warning("%s: %s, retry %d in %.1fs", what, type(err).__name__, attempt, delay)
        time.sleep(delay)
        delay = min(delay * 2, 8.0)
    raise SyncError(f"{what}: the doccano server kept failing after {attempts} tries ; try later")


def _when(value: Any) -> float | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _record_from_export(raw: Mapping[str, Any]) -> ExampleRecord:
    reserved = {"id", "text", "data", "label", "Comments", "relations", "entities"}
    meta = {k: v for k, v in raw.items() if k not in reserved}
    labels = raw.get("label") or raw.get("entities") or []
    triples = []
    for item in labels:
        if isinstance(item, Mapping):
            triples.append((int(item["start_offset"]), int(item["end_offset"]), str(item["label"])))
        else:
            triples.append((int(item[0]), int(item[1]), str(item[2])))
    comments = tuple({"user": None, "text": str(c)} for c in raw.get("Comments") or [])
    return ExampleRecord(
        example_id=int(raw["id"]),
        text=str(raw.get("text", raw.get("data", ""))),
        meta=meta,
        label=tuple(sorted(triples)),
        comments=comments,
    )


def iter_chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    """Consecutive slices of ``items`` of at most ``size`` elements."""
    for i in range(0, len(items), size):
        yield items[i : i + size]
