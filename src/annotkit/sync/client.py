"""The one adapter over doccano-client: the few calls push/pull need, with retries.

Only this module imports ``doccano_client`` (and ``requests``). Every failure leaves it as
:class:`~annotkit.errors.SyncError` (or :class:`~annotkit.errors.ConfigError` for bad
credentials); 5xx answers and connection errors are retried with exponential backoff first.
Bulk work goes through doccano's JSONL import/export (the Celery task), which is what makes
10,000 documents a matter of seconds rather than minutes.

EXAMPLE:
    >>> from annotkit.sync.client import DoccanoSync
    >>> api = DoccanoSync.connect("http://127.0.0.1:8000", "admin", "secret")  # doctest: +SKIP
    >>> api.find_project("demo")  # doctest: +SKIP
"""

from __future__ import annotations

import io
import json
import logging
import time
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from annotkit.errors import ConfigError, SyncError
from annotkit.sync.mapping import ExampleRecord

__all__ = ["DoccanoSync", "LabelTypeSpec", "ProjectInfo", "SyncClient"]

log = logging.getLogger(__name__)
T = TypeVar("T")
_LIST_PAGE = 2000


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


class SyncClient(Protocol):
    """What push/pull need from a doccano server (tests implement it in memory)."""

    def find_project(self, name: str) -> ProjectInfo | None: ...

    def create_project(self, name: str, *, guideline: str, grapheme: bool) -> ProjectInfo: ...

    def update_project(self, project: ProjectInfo, **changes: Any) -> ProjectInfo: ...

    def ensure_label_types(
        self, project_id: int, specs: Sequence[LabelTypeSpec]
    ) -> dict[str, int]: ...

    def export_examples(self, project_id: int) -> list[ExampleRecord]: ...

    def confirmed_example_ids(self, project_id: int) -> set[int]: ...

    def count_examples(self, project_id: int) -> int: ...

    def span_totals(self, project_id: int, labels: Sequence[str]) -> dict[str, int]: ...

    def import_records(self, project_id: int, records: Sequence[Mapping[str, Any]]) -> None: ...

    def delete_examples(self, project_id: int, example_ids: Sequence[int]) -> None: ...

    def create_spans(
        self, project_id: int, example_id: int, spans: Sequence[tuple[int, int, int]]
    ) -> None: ...

    def example_people(
        self, project_id: int, example_id: int, *, comments: bool
    ) -> tuple[tuple[str, ...], tuple[str, ...], tuple[dict[str, Any], ...]]: ...


def _retrying(func: Callable[[], T], what: str, *, attempts: int = 6, base: float = 0.5) -> T:
    """Call ``func``; retry 5xx and connection errors with exponential backoff."""
    import requests
    from doccano_client.exceptions import DoccanoAPIError

    delay = base
    for attempt in range(1, attempts + 1):
        try:
            return func()
        except DoccanoAPIError as err:
            status = getattr(err.response, "status_code", 0) or 0
            body = getattr(err.response, "text", "")[:300]
            if status >= 500 and attempt < attempts:
                log.warning("%s: HTTP %s, retry %d in %.1fs", what, status, attempt, delay)
            elif status in (401, 403):
                raise SyncError(
                    f"{what}: the doccano server refused access (HTTP {status}); check that the "
                    "user is a project admin and the credentials are right"
                ) from None
            elif status == 404:
                raise SyncError(f"{what}: not found on the doccano server (HTTP 404)") from None
            else:
                raise SyncError(f"{what}: doccano answered HTTP {status}: {body}") from None
        except (requests.ConnectionError, requests.Timeout) as err:
            if attempt >= attempts:
                raise SyncError(
                    f"{what}: cannot reach the doccano server ({type(err).__name__}) after "
                    f"{attempts} attempts; is it running? (`annotkit doccano server status`)"
                ) from None
            log.warning("%s: %s, retry %d in %.1fs", what, type(err).__name__, attempt, delay)
        time.sleep(delay)
        delay = min(delay * 2, 8.0)
    raise SyncError(f"{what}: the doccano server kept failing after {attempts} attempts")


class DoccanoSync:
    """A logged-in doccano session (see :meth:`connect`) implementing :class:`SyncClient`."""

    def __init__(self, client: Any, url: str) -> None:
        self._client = client
        self._base = client._base_repository
        self.url = url
        self._label_ids: dict[int, dict[int, str]] = {}
        self._users: dict[int, str] | None = None

    @classmethod
    def connect(cls, url: str, username: str, password: str) -> DoccanoSync:
        """Log in; wrong credentials -> ConfigError, unreachable server -> SyncError."""
        try:
            from doccano_client import DoccanoClient
            from doccano_client.exceptions import DoccanoAPIError
        except ImportError:  # pragma: no cover - the extra is installed by `make install`
            raise ConfigError(
                "doccano-client is not installed; run `pip install 'annotkit[doccano]'`"
            ) from None
        client = DoccanoClient(url)
        try:
            _retrying(lambda: client.login(username, password), f"log in to {url}", attempts=3)
        except SyncError as err:
            if "HTTP 400" in str(err) or "HTTP 401" in str(err) or "HTTP 403" in str(err):
                raise ConfigError(
                    f"doccano at {url} rejected the login for user {username!r}; check "
                    "ANNOTKIT_DOCCANO_USERNAME/ANNOTKIT_DOCCANO_PASSWORD or <home>/credentials.json"
                ) from None
            raise
        except DoccanoAPIError:  # pragma: no cover - mapped by _retrying
            raise
        return cls(client, url.rstrip("/"))

    # ----------------------------------------------------------------- raw helpers
    def _get(self, resource: str, what: str, **params: Any) -> Any:
        return _retrying(lambda: self._base.get(resource, params=params or None).json(), what)

    def _post(self, resource: str, what: str, payload: Any) -> Any:
        resp = _retrying(lambda: self._base.post(resource, json=payload), what)
        return resp.json() if resp.content else None

    def _wait_task(self, task_id: str, what: str, timeout: float = 600.0) -> Any:
        deadline = time.monotonic() + timeout
        delay = 0.05
        while time.monotonic() < deadline:
            status = self._get(f"tasks/status/{task_id}", what)
            if status.get("ready"):
                if status.get("error"):
                    raise SyncError(f"{what}: the doccano task failed: {status['error']}")
                return status.get("result")
            time.sleep(delay)
            delay = min(delay * 1.5, 0.25)
        raise SyncError(
            f"{what}: doccano's task queue did not finish within {timeout:.0f} s; is the "
            "Celery worker running (`annotkit doccano server status`)?"
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

    def find_project(self, name: str) -> ProjectInfo | None:
        offset = 0
        while True:
            page = self._get("projects", "list projects", limit=200, offset=offset)
            for item in page.get("results", []):
                if item.get("name") == name:
                    return self._project(item)
            if not page.get("next"):
                return None
            offset += 200

    def create_project(self, name: str, *, guideline: str, grapheme: bool) -> ProjectInfo:
        payload = {
            "name": name,
            "description": f"annotkit pre-annotations ({name})",
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

    def update_project(self, project: ProjectInfo, **changes: Any) -> ProjectInfo:
        payload = {"resourcetype": "SequenceLabelingProject", **changes}
        data = _retrying(
            lambda: self._base._session.patch(
                f"{self._base.api_url}/projects/{project.id}", json=payload
            ),
            f"update project {project.name!r}",
        )
        if data.status_code >= 400:
            raise SyncError(
                f"update project {project.name!r}: HTTP {data.status_code}: {data.text[:300]}"
            )
        return self._project(data.json())

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

    # ----------------------------------------------------------------- examples
    def export_examples(self, project_id: int) -> list[ExampleRecord]:
        what = f"export project {project_id}"
        task = self._post(
            f"projects/{project_id}/download", what, {"format": "JSONL", "exportApproved": False}
        )
        self._wait_task(str(task["task_id"]), what)
        resp = _retrying(
            lambda: self._base.get(
                f"projects/{project_id}/download", params={"taskId": task["task_id"]}
            ),
            what,
        )
        out: list[ExampleRecord] = []
        with zipfile.ZipFile(io.BytesIO(resp.content)) as archive:
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
        if not records:
            return
        what = f"import {len(records)} examples into project {project_id}"
        # ASCII-only JSON: doccano guesses file encodings, escapes leave nothing to guess
        data = "\n".join(json.dumps(r, ensure_ascii=True) for r in records).encode("ascii")

        def upload() -> str:
            from doccano_client.repositories.base import verbose_raise_for_status

            resp = self._base._session.post(
                f"{self._base.api_url}/fp/process/",
                files={"filepond": ("annotkit.jsonl", data, "application/octet-stream")},
                headers={"content-type": None, "accept": "*/*"},
            )
            verbose_raise_for_status(resp)
            return str(resp.content.decode())

        upload_id = _retrying(upload, what)
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
            raise SyncError(f"{what}: doccano rejected part of the file: {errors[:3]}")

    def delete_examples(self, project_id: int, example_ids: Sequence[int]) -> None:
        ids = sorted({int(i) for i in example_ids})
        if not ids:  # doccano deletes EVERY example when given an empty list
            return
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            _retrying(
                lambda chunk=chunk: self._base.delete(  # type: ignore[misc]
                    f"projects/{project_id}/examples", json={"ids": chunk}
                ),
                f"delete {len(chunk)} examples from project {project_id}",
            )

    def create_spans(
        self, project_id: int, example_id: int, spans: Sequence[tuple[int, int, int]]
    ) -> None:
        for start, end, label_id in spans:
            self._post(
                f"projects/{project_id}/examples/{example_id}/spans",
                f"add a span to example {example_id}",
                {"start_offset": start, "end_offset": end, "label": label_id, "prob": 0.0},
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
        example = _retrying(
            lambda: self._client.create_example(project_id, text=record["text"], meta=meta),
            f"create an example in project {project_id}",
        )
        spans = [(int(s), int(e), label_ids[str(lab)]) for s, e, lab in record["label"]]
        self.create_spans(project_id, int(example.id), spans)
        return int(example.id)

    def list_examples_paged(self, project_id: int, *, limit: int | None = None) -> int:
        """Walk the example list at the server's default page size; RETURNS the count."""

        def walk() -> int:
            count = 0
            for _ in self._client.list_examples(project_id):
                count += 1
                if limit is not None and count >= limit:
                    break
            return count

        return _retrying(walk, "list examples")

    def _usernames(self) -> dict[int, str]:
        if self._users is None:
            users = self._get("users", "list users")
            rows = users.get("results", users) if isinstance(users, Mapping) else users
            self._users = {int(u["id"]): str(u["username"]) for u in rows}
        return self._users

    def example_people(
        self, project_id: int, example_id: int, *, comments: bool
    ) -> tuple[tuple[str, ...], tuple[str, ...], tuple[dict[str, Any], ...]]:
        """(annotators, confirmed_by, comments) of one example, as usernames."""
        names = self._usernames()

        def name(uid: Any) -> str:
            if uid is None:
                return "?"
            if int(uid) not in names:
                self._users = None
                names.update(self._usernames())
            return names.get(int(uid), f"user-{uid}")

        base = f"projects/{project_id}/examples/{example_id}"
        spans = self._get(f"{base}/spans", f"list spans of example {example_id}")
        annotators = tuple(sorted({name(s.get("user")) for s in spans}))
        states = self._get(f"{base}/states", f"list states of example {example_id}", limit=100)
        rows = states.get("results", states) if isinstance(states, Mapping) else states
        confirmed_by = tuple(sorted({name(s.get("confirmed_by")) for s in rows}))
        notes: tuple[dict[str, Any], ...] = ()
        if comments:
            found = self._get(
                f"projects/{project_id}/comments",
                f"list comments of example {example_id}",
                example=example_id,
                limit=1000,
            )
            rows = found.get("results", found) if isinstance(found, Mapping) else found
            notes = tuple(
                {"user": c.get("username"), "text": c.get("text")}
                for c in sorted(rows, key=lambda c: int(c["id"]))
            )
        return annotators, confirmed_by, notes


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
