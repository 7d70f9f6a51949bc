"""Point a doccano project's auto-labelling at ``annotkit serve`` (through doccano's API).

doccano 1.8 runs a project's auto-labelling configs when an annotator turns on the wand
(``POST /v1/projects/{id}/auto-labeling?example={id}``) and saves the spans as that
annotator. :func:`configure_autolabel` writes one config of the kind "Custom REST Request":

* request: ``POST <service>/annotate?project=NAME&units=utf16|grapheme`` with the body
  ``{"text": "{{ text }}"}`` and the header ``Authorization: Bearer <token>``;
* mapping template: the service's ``spans`` to doccano's ``[{label, start_offset,
  end_offset}]`` (offsets already in the project's units); a service error renders as
  text that is no JSON, so doccano fails the request instead of saving nothing silently;
* label mapping: each of the project's span labels to itself (doccano keeps only labels the
  mapping names).

The config is recognised by a marker comment in its template, so running it again updates
that config in place (or changes nothing) and never adds a second one. Before writing, it
asks doccano to call the service once (``auto-labeling/request-testing``) and to render
the template on the answer (``label-extractor-testing``): a service doccano cannot reach,
a wrong token or a template doccano cannot render is an error, not a silent wand.

EXAMPLE:
    >>> from annotkit.sync.client import DoccanoSync
    >>> api = DoccanoSync.connect("http://127.0.0.1:8000", "admin", "secret")  # doctest: +SKIP
    >>> configure_autolabel(api, "cells", serve_url="http://127.0.0.1:8750",
    ...                     token="...").action  # doctest: +SKIP
    'created'
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from annotkit.errors import ConfigError, SyncError
from annotkit.sync import DEFAULT_LABEL_TYPES
from annotkit.sync.client import DoccanoSync, ProjectInfo, _retrying

__all__ = [
    "MODEL_NAME",
    "TEMPLATE",
    "TEMPLATE_MARK",
    "AutolabelReport",
    "annotate_url",
    "autolabel_config",
    "configure_autolabel",
]

log = logging.getLogger(__name__)

#: doccano's name for the generic REST request model (auto_labeling_pipeline).
MODEL_NAME = "Custom REST Request"
TEMPLATE_MARK = "{# annotkit autolabel v1 #}"
#: The Jinja2 mapping template doccano renders on the service's answer (``input``).
TEMPLATE = (
    TEMPLATE_MARK
    + "{% if input.error is defined %}annotkit service error: {{ input.error }}{% else %}["
    + "{% for s in input.spans %}"
    + '{"label": {{ s.label|tojson }}, "start_offset": {{ s.start_offset|int }}, '
    + '"end_offset": {{ s.end_offset|int }}}{% if not loop.last %}, {% endif %}'
    + "{% endfor %}]{% endif %}"
)
_SAMPLE = "Patients received 5 mL of bone marrow-derived MSCs."
_COMPARED = ("model_name", "model_attrs", "template", "label_mapping", "task_type")


@dataclass(frozen=True, slots=True)
class AutolabelReport:
    """What :func:`configure_autolabel` did.

    ``action`` is ``created``, ``updated`` or ``unchanged``; ``removed`` the ids of
    duplicate annotkit configs it deleted; ``others`` how many other auto-labelling configs
    the project has (doccano runs them all); ``checked`` whether doccano called the service.
    """

    project: str
    config_id: int
    action: str
    url: str
    units: str
    labels: tuple[str, ...]
    removed: tuple[int, ...] = ()
    others: int = 0
    checked: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "config": self.config_id,
            "action": self.action,
            "url": self.url,
            "units": self.units,
            "labels": list(self.labels),
            "removed": list(self.removed),
            "other_configs": self.others,
            "checked": self.checked,
        }


def annotate_url(serve_url: str, project: str | None, *, grapheme: bool) -> str:
    """The ``/annotate`` URL doccano calls for ``project`` (the project rides in the query).

    EXAMPLE:
        >>> annotate_url("http://127.0.0.1:8750/", "cells 1", grapheme=False)
        'http://127.0.0.1:8750/annotate?project=cells+1&units=utf16'
    """
    parts = urlsplit(serve_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise ConfigError(
            f"--serve-url {serve_url!r} must be an http(s) URL like http://127.0.0.1:8750 "
            "(the address where doccano reaches `annotkit serve`)"
        )
    query: dict[str, str] = {} if project is None else {"project": project}
    query["units"] = "grapheme" if grapheme else "utf16"
    return f"{serve_url.rstrip('/')}/annotate?{urlencode(query)}"


def autolabel_config(
    *, serve_url: str, token: str, project: str, grapheme: bool, labels: Sequence[str]
) -> dict[str, Any]:
    """The auto-labelling config (doccano's JSON) that calls the service for ``project``."""
    return {
        "model_name": MODEL_NAME,
        "model_attrs": {
            "url": annotate_url(serve_url, project, grapheme=grapheme),
            "method": "POST",
            "params": {},
            "headers": {"Authorization": f"Bearer {token}"},
            "body": {"text": "{{ text }}"},
        },
        "template": TEMPLATE,
        "label_mapping": {label: label for label in sorted(labels)},
        "task_type": "Span",
    }


class _Rest:
    """doccano's auto-labelling endpoints over the logged-in session of a DoccanoSync."""

    def __init__(self, client: DoccanoSync, project_id: int) -> None:
        self._base = client._base
        self._root = f"projects/{project_id}/auto-labeling"

    def configs(self) -> list[dict[str, Any]]:
        found = _retrying(
            lambda: self._base.get(f"{self._root}/configs").json(), "list auto-labelling configs"
        )
        return list(found.get("results", found) if isinstance(found, Mapping) else found)

    def create(self, config: Mapping[str, Any]) -> dict[str, Any]:
        what = "create the auto-labelling config"
        created: dict[str, Any] = _retrying(
            lambda: self._base.post(f"{self._root}/configs", json=dict(config)).json(), what
        )
        return created

    def update(self, config_id: int, config: Mapping[str, Any]) -> None:
        what = f"update auto-labelling config {config_id}"
        _retrying(lambda: self._base.put(f"{self._root}/configs/{config_id}", json=dict(config)),
                  what)  # fmt: skip

    def delete(self, config_id: int) -> None:
        what = f"delete auto-labelling config {config_id}"
        _retrying(lambda: self._base.delete(f"{self._root}/configs/{config_id}"), what)

    def call_service(self, config: Mapping[str, Any], text: str) -> Any:
        payload = {"model_name": config["model_name"], "model_attrs": config["model_attrs"],
                   "text": text}  # fmt: skip
        return _retrying(
            lambda: self._base.post(f"{self._root}/request-testing", json=payload).json(),
            "ask doccano to call the annotkit service",
            attempts=1,
        )

    def render(self, response: Any) -> Any:
        payload = {"response": response, "template": TEMPLATE, "task_type": "Span"}
        return _retrying(
            lambda: self._base.post(f"{self._root}/label-extractor-testing", json=payload).json(),
            "ask doccano to render the mapping template",
            attempts=1,
        )


def _check(rest: _Rest, config: Mapping[str, Any], serve_url: str) -> None:
    """doccano calls the service once (without the project: nothing is recorded)."""
    probe = {**config, "model_attrs": {**config["model_attrs"]}}
    probe["model_attrs"]["url"] = annotate_url(
        serve_url, None, grapheme="units=grapheme" in config["model_attrs"]["url"]
    )
    try:
        answer = rest.call_service(probe, _SAMPLE)
    except SyncError as err:
        raise SyncError(
            f"doccano could not call the annotkit service at {serve_url} ({err}); start it "
            "(`annotkit serve`) and pass --serve-url as doccano's server can reach it"
        ) from None
    if isinstance(answer, Mapping) and "error" in answer:
        raise SyncError(
            f"the annotkit service at {serve_url} refused doccano's request: {answer['error']}"
        )
    if not isinstance(answer, Mapping) or not isinstance(answer.get("spans"), list):
        raise SyncError(
            f"{serve_url} answered doccano with something that is not an annotkit service "
            f"answer ({str(answer)[:200]}); check --serve-url"
        )
    if answer["spans"]:
        rest.render(answer)


def _project(client: DoccanoSync, name: str) -> ProjectInfo:
    info = client.find_project(name)
    if info is None:
        raise SyncError(
            f"no doccano project named {name!r}; check the name (case-sensitive) or create it "
            "with `annotkit doccano push FILE --project NAME --create`"
        )
    if info.project_type != "SequenceLabeling":
        raise SyncError(
            f"doccano project {name!r} is a {info.project_type} project; auto-labelling with "
            "annotkit needs a sequence labelling project"
        )
    return info


def _same(found: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    return all(found.get(key) == wanted[key] for key in _COMPARED)


def configure_autolabel(
    client: DoccanoSync,
    project: str,
    *,
    serve_url: str,
    token: str,
    check: bool = True,
) -> AutolabelReport:
    """Make ``project``'s auto-labelling call the service at ``serve_url`` (idempotent).

    client (DoccanoSync): a session of a project admin.
    serve_url (str): the service as doccano's server reaches it (``http://127.0.0.1:8750``).
    token (str): the service's bearer token (``<home>/serve.token``).
    check (bool): have doccano call the service once before writing the config.
    RETURNS (AutolabelReport): the config id and whether it was created, updated or unchanged.
    """
    info = _project(client, project)
    labels = tuple(sorted(client.ensure_label_types(info.id, DEFAULT_LABEL_TYPES)))
    wanted = autolabel_config(
        serve_url=serve_url, token=token, project=project, grapheme=info.grapheme_mode,
        labels=labels,
    )  # fmt: skip
    rest = _Rest(client, info.id)
    if check:
        _check(rest, wanted, serve_url)
    configs = rest.configs()
    ours = sorted(
        (c for c in configs if TEMPLATE_MARK in str(c.get("template", ""))),
        key=lambda c: int(c["id"]),
    )
    others = len(configs) - len(ours)
    if others:
        log.warning(
            "project %r has %d other auto-labelling config(s); doccano runs them all", project,
            others,
        )  # fmt: skip
    removed = tuple(int(c["id"]) for c in ours[1:])
    for config_id in removed:
        rest.delete(config_id)
    if not ours:
        config_id, action = int(rest.create(wanted)["id"]), "created"
    elif _same(ours[0], wanted):
        config_id, action = int(ours[0]["id"]), "unchanged"
    else:
        config_id, action = int(ours[0]["id"]), "updated"
        rest.update(config_id, {**wanted, "default": bool(ours[0].get("default", False))})
    return AutolabelReport(
        project=project,
        config_id=config_id,
        action=action,
        url=str(wanted["model_attrs"]["url"]),
        units="grapheme" if info.grapheme_mode else "utf16",
        labels=labels,
        removed=removed,
        others=others,
        checked=check,
    )
