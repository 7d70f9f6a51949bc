"""doccano round trip: push pre-annotations, pull human corrections.

- :func:`push` creates or reuses a SequenceLabeling project (collaborative annotation on,
  overlapping spans off, label types with colours and shortcut keys, guideline text) and
  uploads documents through doccano's JSONL import in chunks. It is idempotent and
  resumable: each example carries ``meta.annotkit_id`` / ``annotkit_hash`` /
  ``annotkit_pre``; a re-run imports only what is missing, repairs examples an interrupted
  import left without spans, removes duplicates, replaces unconfirmed examples whose text or
  pre-annotation changed and never touches confirmed ones, nor unconfirmed ones a person
  has edited or commented (reported as ``edited_kept``).
- :func:`pull` exports every example with its spans (offsets back to code points), confirmed
  state, annotators and comments, and a :class:`~annotkit.sync.diff.ChangeReport` of how the
  annotators changed the pre-annotations on confirmed examples.
- :func:`connect` finds credentials (environment, else the local server's
  ``credentials.json``) and logs in.

EXAMPLE:
    >>> from annotkit.sync import connect, push, pull
    >>> api = connect()  # doctest: +SKIP
    >>> push(docs, "demo", client=api, create=True)  # doctest: +SKIP
    >>> result = pull("demo", client=api)  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotkit.config import Settings, settings
from annotkit.doc import Document
from annotkit.errors import ConfigError, SyncError
from annotkit.sync.client import LabelTypeSpec, ProjectInfo, SyncClient, iter_chunks
from annotkit.sync.diff import ChangeReport, compare_spans
from annotkit.sync.mapping import (
    HASH_KEY,
    ID_KEY,
    PRE_KEY,
    ExampleRecord,
    mode_for,
    spans_from_doccano,
    to_import_record,
)

__all__ = [
    "DEFAULT_LABEL_TYPES",
    "PUSH_ORDERS",
    "PullResult",
    "PushReport",
    "connect",
    "guideline_text",
    "pull",
    "push",
    "resolve_credentials",
    "write_pull",
]

log = logging.getLogger(__name__)

DEFAULT_LABEL_TYPES: tuple[LabelTypeSpec, ...] = (
    LabelTypeSpec("CELL_TYPE", "#1f77b4", "c"),
    LabelTypeSpec("DOSE", "#d62728", "d"),
    LabelTypeSpec("SCALE", "#2ca02c", "s"),
)
_EXTRA_COLOURS = ("#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
_BUILTIN_GUIDELINE = (
    "# annotkit pre-annotations\n\n"
    "Correct the pre-annotated spans, then mark the example as confirmed.\n\n"
    "- CELL_TYPE: a cell type or cell product (e.g. MSCs, CD34+ cells).\n"
    "- DOSE: an amount with its unit (e.g. 1 x 10^6 cells/kg, 5 mL).\n"
    "- SCALE: a named clinical scale or score (e.g. VAS, ODI).\n\n"
    "Spans never include surrounding spaces or punctuation; spans do not overlap."
)

Progress = Callable[[int], None]


def _nothing(_: int) -> None:
    return None


def resolve_credentials(
    home: str | os.PathLike[str] | None = None, *, config: Settings | None = None
) -> dict[str, str]:
    """URL/username/password from the settings (``ANNOTKIT_DOCCANO_*``), else
    ``<home>/credentials.json`` of the local server."""
    cfg = config if config is not None else settings()
    env = {
        "url": cfg.doccano_url or "",
        "username": cfg.doccano_username or "",
        "password": cfg.doccano_password or "",
    }
    if any(env.values()):
        missing = [f"ANNOTKIT_DOCCANO_{k.upper()}" for k, v in env.items() if not v]
        if missing:
            raise ConfigError(
                f"incomplete doccano credentials in the environment: {', '.join(missing)} "
                "unset; set all three or none (then the local server's credentials are used)"
            )
        return env
    from annotkit.sync.server import load_credentials

    creds = load_credentials(home)
    if not creds["url"]:
        raise ConfigError(
            "the local doccano server has no URL yet; run `annotkit doccano server start`"
        )
    return creds


def connect(home: str | os.PathLike[str] | None = None) -> SyncClient:
    """Log in to doccano with :func:`resolve_credentials` and return the session."""
    from annotkit.sync.client import DoccanoSync

    creds = resolve_credentials(home)
    return DoccanoSync.connect(creds["url"], creds["username"], creds["password"])


def guideline_text(root: str | os.PathLike[str] | None = None) -> str:
    """``docs/annotation-guidelines.md`` under ``root`` (default: cwd), else built-in text."""
    path = Path(root or ".") / "docs" / "annotation-guidelines.md"
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        return _BUILTIN_GUIDELINE
    return text or _BUILTIN_GUIDELINE


@dataclass(slots=True)
class PushReport:
    """What a push did, per outcome (counts of documents)."""

    project: str
    project_id: int = 0
    documents: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    confirmed_kept: int = 0
    edited_kept: int = 0
    repaired: int = 0
    duplicates_removed: int = 0
    duplicate_inputs: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _label_specs(docs: Sequence[Document]) -> list[LabelTypeSpec]:
    specs = list(DEFAULT_LABEL_TYPES)
    known = {s.text for s in specs}
    extra = sorted({s.label for d in docs for s in d.spans} - known)
    for i, label in enumerate(extra):
        specs.append(LabelTypeSpec(label, _EXTRA_COLOURS[i % len(_EXTRA_COLOURS)], None))
    return specs


def _project(
    client: SyncClient, name: str, *, create: bool, grapheme: bool, guideline: str | None
) -> ProjectInfo:
    project = client.find_project(name)
    if project is None:
        if not create:
            raise SyncError(
                f"no doccano project named {name!r}; pass --create to create it, or check the "
                "name (`annotkit doccano push ... --project NAME --create`)"
            )
        return client.create_project(
            name,
            guideline=guideline if guideline is not None else guideline_text(),
            grapheme=grapheme,
        )
    if project.project_type != "SequenceLabeling":
        raise SyncError(
            f"doccano project {name!r} is a {project.project_type} project; annotkit pushes "
            "spans to SequenceLabeling projects: choose another --project name"
        )
    changes: dict[str, Any] = {}
    if not project.collaborative_annotation:
        changes["collaborative_annotation"] = True
    if project.allow_overlapping:
        changes["allow_overlapping"] = False
    if guideline is not None and project.guideline != guideline:
        changes["guideline"] = guideline
    if changes:
        project = client.update_project(project, **changes)
    return project


_MANIFEST = "annotkit-manifest:"


def _manifest(records: Sequence[dict[str, Any]], mode: str) -> str:
    """Digest of what a push uploads (ids, text hashes, pre-annotations, offset mode)."""
    digest = hashlib.sha1(mode.encode())
    for rec in records:
        digest.update(json.dumps([rec[ID_KEY], rec[HASH_KEY], rec[PRE_KEY]]).encode())
    return f"{digest.hexdigest()} {len(records)}"


def _unchanged_since_last_push(
    client: SyncClient, info: ProjectInfo, records: Sequence[dict[str, Any]], manifest: str
) -> bool:
    """True when the last complete push uploaded exactly this input and nothing moved since.

    Checks the manifest a complete push leaves in the project description, the example
    count and the span count per label; any difference (an interrupted push, a human edit,
    another input) means the full reconciliation runs.
    """
    if f"{_MANIFEST} {manifest}" not in info.description.splitlines():
        return False
    if client.count_examples(info.id) != len(records):
        return False
    expected: dict[str, int] = {}
    for rec in records:
        for _, _, label in rec["label"]:
            expected[label] = expected.get(label, 0) + 1
    return client.span_totals(info.id, sorted(expected)) == expected


def _write_manifest(client: SyncClient, info: ProjectInfo, manifest: str) -> None:
    lines = [ln for ln in info.description.splitlines() if not ln.startswith(_MANIFEST)]
    description = "\n".join([*lines, f"{_MANIFEST} {manifest}"]).strip()
    client.update_project(info, description=description)


def _edited_by_a_person(rec: ExampleRecord, mode: str) -> bool:
    """True when an example's spans differ from what push uploaded, or it has comments.

    An example with no spans at all is taken as an interrupted import (repaired), not as
    a person's edit.
    """
    if rec.comments:
        return True
    if not rec.label:
        return False
    current = sorted(
        (s.start, s.end, s.label) for s in spans_from_doccano(rec.text, rec.label, mode=mode)
    )
    return current != sorted(rec.pre())


# --- push order (learning from corrections, issue 12) -----------------------------------
#: Upload orders: by document id (default), as read, or by the ``rank`` field that
#: ``annotkit rank`` writes (position 1 first). doccano lists examples in creation order,
#: so the examples a push creates appear to annotators in this order.
PUSH_ORDERS: tuple[str, ...] = ("id", "input", "rank")


def _push_order(batch: dict[str, Document], order: str) -> list[Document]:
    if order not in PUSH_ORDERS:
        raise ConfigError(f"unknown push order {order!r}; choose one of {', '.join(PUSH_ORDERS)}")
    if order == "input":
        return list(batch.values())

    def position(doc: Document) -> float:
        rank = doc.extra.get("rank")
        pos = rank.get("position") if isinstance(rank, dict) else None
        return float(pos) if isinstance(pos, int | float) else float("inf")

    if order == "rank":
        return sorted(batch.values(), key=lambda d: (position(d), d.id))
    return [batch[k] for k in sorted(batch)]


# --- end of push order --------------------------------------------------------------------


def push(
    docs: Iterable[Document],
    project: str,
    *,
    client: SyncClient,
    create: bool = False,
    grapheme: bool = False,
    guideline: str | None = None,
    chunk_size: int = 2000,
    progress: Progress = _nothing,
    order: str = "id",
) -> PushReport:
    """Upload documents with their spans as pre-annotations; idempotent and resumable.

    arg docs: documents (ids must be stable: they are the ``annotkit_id`` key).
    arg project: project name; created only with ``create=True``.
    arg grapheme: offsets in grapheme clusters (only when creating; an existing project's
        ``grapheme_mode`` wins).
    arg progress: called with the number of documents finished after each step.
    arg order: upload order, one of :data:`PUSH_ORDERS` (``"rank"``: by ``annotkit rank``).
    RETURNS a :class:`PushReport`. A failure mid-way raises SyncError saying what was done;
    re-running the same push finishes the job without duplicates.
    """
    started = time.monotonic()
    batch: dict[str, Document] = {}
    report = PushReport(project=project)
    for doc in docs:
        if doc.id in batch:
            report.duplicate_inputs += 1
        batch[doc.id] = doc
    ordered = _push_order(batch, order)
    report.documents = len(ordered)
    fresh = client.find_project(project) is None
    info = _project(client, project, create=create, grapheme=grapheme, guideline=guideline)
    report.project_id = info.id
    mode = mode_for(info.grapheme_mode)
    label_ids = client.ensure_label_types(info.id, _label_specs(ordered))

    records = [to_import_record(doc, mode=mode) for doc in ordered]
    manifest = _manifest(records, mode)
    if ordered and not fresh and _unchanged_since_last_push(client, info, records, manifest):
        report.unchanged = len(ordered)
        progress(len(ordered))
        report.seconds = round(time.monotonic() - started, 3)
        return report

    existing = client.export_examples(info.id) if ordered and not fresh else []
    confirmed = client.confirmed_example_ids(info.id) if existing else set()
    groups: dict[str, list[ExampleRecord]] = {}
    for rec in existing:
        if rec.annotkit_id is not None:
            groups.setdefault(rec.annotkit_id, []).append(rec)

    to_import: list[dict[str, Any]] = []
    to_delete: list[int] = []
    repairs: list[tuple[int, list[tuple[int, int, int]]]] = []
    for doc, record in zip(ordered, records, strict=True):
        found = groups.get(doc.id, [])
        if not found:
            to_import.append(record)
            continue
        wanted = tuple(sorted((int(s), int(e), str(lab)) for s, e, lab in record["label"]))
        found.sort(key=lambda r: (r.example_id not in confirmed, r.label != wanted, r.example_id))
        keeper, extras = found[0], found[1:]
        to_delete.extend(r.example_id for r in extras if r.example_id not in confirmed)
        report.duplicates_removed += sum(1 for r in extras if r.example_id not in confirmed)
        same = (
            keeper.meta.get(HASH_KEY) == record[HASH_KEY]
            and [list(p) for p in keeper.pre()] == record["annotkit_pre"]
        )
        if keeper.example_id in confirmed:
            report.confirmed_kept += 1
        elif not same and _edited_by_a_person(keeper, mode):
            report.edited_kept += 1  # unconfirmed, but someone worked on it: keep their work
        elif not same:
            to_delete.append(keeper.example_id)
            to_import.append(record)
            report.updated += 1
        elif not keeper.label and wanted:
            # an interrupted import stores examples before their spans
            repairs.append((keeper.example_id, [(s, e, label_ids[lab]) for s, e, lab in wanted]))
            report.repaired += 1
        else:
            report.unchanged += 1
    done = report.unchanged + report.confirmed_kept + report.edited_kept
    progress(done)
    if to_delete:
        client.delete_examples(info.id, to_delete)
    for example_id, spans in repairs:
        client.create_spans(info.id, example_id, spans)
        done += 1
        progress(done)
    imported = 0
    for chunk in iter_chunks(to_import, chunk_size):
        try:
            client.import_records(info.id, chunk)
        except SyncError as err:
            raise SyncError(
                f"push to {project!r} stopped after importing {imported} of {len(to_import)} "
                f"new or changed documents ({report.unchanged} were already there): {err}. "
                "Re-run the same command to resume; push is idempotent"
            ) from None
        imported += len(chunk)
        done += len(chunk)
        progress(done)
    report.created = len(to_import) - report.updated
    if ordered:
        _write_manifest(client, info, manifest)
    report.seconds = round(time.monotonic() - started, 3)
    return report


@dataclass(slots=True)
class PullResult:
    """Pulled documents (sorted by id) and the change report (confirmed examples)."""

    documents: list[Document]
    changes: dict[str, Any]
    examples: int = 0
    confirmed: int = 0
    skipped: list[str] = field(default_factory=list)


def pull(
    project: str,
    *,
    client: SyncClient,
    progress: Progress = _nothing,
) -> PullResult:
    """Export every example of ``project`` as Documents with the humans' spans.

    ``meta`` carries ``doccano_id``, ``confirmed``, ``annotators``, ``confirmed_by``,
    ``comments``, ``pre_annotation`` (what push uploaded) and, for confirmed examples,
    ``changes`` (counts of kept/removed/added/relabelled/boundary-changed spans). Who
    annotated and confirmed is looked up only for examples humans touched (confirmed,
    commented, or spans differing from the pre-annotation). RETURNS a :class:`PullResult`.
    """
    info = client.find_project(project)
    if info is None:
        raise SyncError(
            f"no doccano project named {project!r}; check --project (names are "
            "case-sensitive) or push to it first"
        )
    mode = mode_for(info.grapheme_mode)
    records = client.export_examples(info.id)
    confirmed = client.confirmed_example_ids(info.id) if records else set()
    changes = ChangeReport()
    docs: list[Document] = []
    from dataclasses import replace

    for i, rec in enumerate(records, 1):
        rec = replace(rec, confirmed=rec.example_id in confirmed)
        doc = rec.to_document(mode=mode, project=project)
        final = tuple((s.start, s.end, s.label) for s in doc.spans)
        touched = rec.confirmed or bool(rec.comments) or tuple(sorted(rec.pre())) != final
        if touched:
            annotators, confirmed_by, comments = client.example_people(
                info.id, rec.example_id, comments=bool(rec.comments)
            )
            rec = replace(
                rec,
                annotators=annotators,
                confirmed_by=confirmed_by,
                comments=comments or rec.comments,
            )
            doc = rec.to_document(mode=mode, project=project)
        if rec.confirmed and doc.review is not None:
            changes.add(rec.pre(), final)
            kinds = compare_spans(rec.pre(), final)
            counts = {kind: len(pairs) for kind, pairs in kinds.items()}
            doc = replace(doc, review=replace(doc.review, changes=counts))
        docs.append(doc)
        if i % 500 == 0:
            progress(i)
    progress(len(records))
    docs.sort(key=lambda d: (d.id, (d.review.example or 0) if d.review else 0))
    return PullResult(
        documents=docs,
        changes=changes.to_dict(),
        examples=len(records),
        confirmed=len(confirmed),
    )


def _records_of(path: Path) -> list[dict[str, Any]] | None:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    out = []
    for line in lines:
        if line.strip():
            try:
                out.append(json.loads(line))
            except ValueError:
                out.append({"unparsed": line})
    return out


def write_pull(
    result: PullResult, path: str | os.PathLike[str], *, force: bool = False
) -> Path | None:
    """Write pulled documents as JSONL atomically; RETURNS the backup path if one was kept.

    An existing file holding different annotations is never silently lost: it is kept as
    ``<name>.<UTC timestamp>.bak`` beside the output unless ``force`` is set.
    """
    from annotkit.io import document_to_record, write_jsonl

    target = Path(path)
    records = [document_to_record(d) for d in result.documents]
    new_text = [json.loads(json.dumps(r, ensure_ascii=False)) for r in records]
    backup: Path | None = None
    old = _records_of(target) if target.exists() else None
    if old is not None and old != new_text and not force:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        backup = target.with_name(f"{target.name}.{stamp}.bak")
        n = 1
        while backup.exists():
            backup = target.with_name(f"{target.name}.{stamp}-{n}.bak")
            n += 1
        shutil.copy2(target, backup)
    write_jsonl(records, target)
    return backup
