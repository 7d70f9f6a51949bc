"""doccano round trip: push pre-annotations, pull human corrections with their provenance.

- :func:`push` creates or reuses a SequenceLabeling project (collaborative annotation on,
  overlapping spans off, label types with colours and shortcut keys, the annotators'
  guideline page) and uploads documents through doccano's JSONL import in chunks, as the
  dedicated ``annotkit`` user, so every suggestion is recognisably a machine's. It holds the
  project's push lock (kept in doccano itself, :mod:`annotkit.sync.lock`) while it works, so
  concurrent pushes, from any machine, never duplicate; afterwards it checks the example
  count and removes any duplicate that got in anyway (lowest example id kept). It is
  idempotent and resumable: examples carry ``meta.annotkit_id``; the suggestion ledger
  (:mod:`annotkit.sync.ledger`) records what each document was pushed with and whether
  its import finished. A re-run imports only what is missing, adds the spans an
  interrupted import never stored, replaces unconfirmed examples nobody touched whose text
  or pre-annotation changed, and never touches confirmed ones nor ones a person edited,
  emptied ("no entities here") or commented (``edited_kept``).
- :func:`pull` exports every example with its spans (offsets back to code points), and
  gives each span its provenance (:mod:`annotkit.sync.provenance`: an untouched
  suggestion with its source/score/norm, a person's change, a person's own span), each
  example its review state, people-only annotators and comments, plus a
  :class:`~annotkit.sync.diff.ChangeReport` of how annotators changed the suggestions on
  confirmed examples.
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
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from annotkit.config import Settings, settings
from annotkit.doc import Document, Review, Span, text_hash
from annotkit.errors import ConfigError, SyncError
from annotkit.labels import EXTRA_COLOURS, LABEL_TYPES
from annotkit.sync.client import LabelTypeSpec, ProjectInfo, SyncClient, iter_chunks
from annotkit.sync.diff import ChangeReport
from annotkit.sync.ledger import Pushed, PushEntry, SuggestionLedger, ledger_for
from annotkit.sync.mapping import (
    ID_KEY,
    ExampleRecord,
    mode_for,
    offsets_from_doccano,
    spans_from_doccano,
    spans_to_doccano,
    to_import_record,
)
from annotkit.sync.provenance import Owner, review_example

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

# The colour table lives in annotkit.labels (the HTML report colours labels alike).
DEFAULT_LABEL_TYPES: tuple[LabelTypeSpec, ...] = tuple(
    LabelTypeSpec(t.name, t.colour, t.key) for t in LABEL_TYPES
)
_EXTRA_COLOURS = EXTRA_COLOURS
_DESCRIPTION = (
    "CELL_TYPE, DOSE and SCALE spans suggested by annotkit (doccano user 'annotkit'). "
    "Correct them, then mark each example done - also when it has no entities. "
    "The guideline page says what to annotate."
)
#: How guideline pages written by earlier annotkit versions begin (replaced on push).
_OLD_GUIDELINES = ("# Annotation guidelines (annotkit)", "# annotkit pre-annotations")
_OLD_MANIFEST = "annotkit-manifest:"

Progress = Callable[[int], None]
Triple = tuple[int, int, str]


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
                f"doccano credentials: {', '.join(missing)} unset in the environment ; set "
                "all three of ANNOTKIT_DOCCANO_URL/_USERNAME/_PASSWORD or none (then the local "
                "server's credentials are used)"
            )
        return env
    from annotkit.sync.server import load_credentials

    creds = load_credentials(home)
    if not creds["url"]:
        raise ConfigError(
            "the local doccano server has no URL yet ; run `annotkit doccano server start`"
        )
    return creds


def connect(home: str | os.PathLike[str] | None = None) -> SyncClient:
    """Log in to doccano with :func:`resolve_credentials` and return the session."""
    from annotkit.sync.client import DoccanoSync
    from annotkit.sync.server import default_home

    creds = resolve_credentials(home)
    where_home = Path(home).expanduser() if home is not None else default_home()
    where = (
        "ANNOTKIT_DOCCANO_URL"
        if settings().doccano_url
        else f"{where_home / 'credentials.json'} (url)"
    )
    return DoccanoSync.connect(
        creds["url"], creds["username"], creds["password"], home=where_home, where=where
    )


def guideline_text(path: str | os.PathLike[str] | None = None) -> str:
    """The guideline page pushed to doccano: the file at ``path``, else the packaged
    annotator guidelines (``annotkit/resources/guidelines/annotators.md``)."""
    if path is not None:
        try:
            text = Path(path).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as err:
            raise ConfigError(
                f"{path}: cannot read the guidelines ({err}) ; pass a UTF-8 Markdown file"
            ) from None
        if not text:
            raise ConfigError(f"{path}: the guidelines file is empty ; write the guidelines")
        return text
    packaged = resources.files("annotkit") / "resources" / "guidelines" / "annotators.md"
    return packaged.read_text(encoding="utf-8").strip()


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
    unrecorded_kept: int = 0
    repaired: int = 0
    duplicates_removed: int = 0
    duplicates_kept: int = 0
    duplicate_inputs: int = 0
    meta_cleaned: int = 0
    lock_wait_s: float = 0.0
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
) -> tuple[ProjectInfo, bool]:
    """The project (the oldest of that name), created if asked; RETURNS (info, created).

    Two pushes creating the same project at once both create one, then both keep the
    oldest and the newer one's creator deletes its own (still empty) project.
    """
    found = client.find_projects(name)
    created = False
    if not found:
        if not create:
            raise SyncError(
                f"{client.url}: no doccano project named {name!r} ; pass --create to create "
                "it, or check the name (names are case-sensitive)"
            )
        mine = client.create_project(
            name,
            guideline=guideline if guideline is not None else guideline_text(),
            grapheme=grapheme,
            description=_DESCRIPTION,
        )
        found = client.find_projects(name) or [mine]
        if found[0].id != mine.id:
            log.warning("%s: another push created project %r first; using it", client.url, name)
            client.delete_project(mine.id)
        else:
            created = True
    elif len(found) > 1:
        log.warning(
            "%s: %d projects are named %r; using the oldest (id %d)",
            client.url,
            len(found),
            name,
            found[0].id,
        )
    project = found[0]
    if project.project_type != "SequenceLabeling":
        raise SyncError(
            f"{client.url}: doccano project {name!r} is a {project.project_type} project ; "
            "annotkit pushes spans to SequenceLabeling projects: choose another --project name"
        )
    changes: dict[str, Any] = {}
    if not project.collaborative_annotation:
        changes["collaborative_annotation"] = True  # annotators must see the suggestions
    if project.allow_overlapping:
        changes["allow_overlapping"] = False
    wanted = guideline
    if wanted is None and project.guideline.startswith(_OLD_GUIDELINES):
        wanted = guideline_text()  # an earlier annotkit's page (implementation notes)
    if wanted is not None and project.guideline != wanted:
        changes["guideline"] = wanted
    if _OLD_MANIFEST in project.description:
        lines = [ln for ln in project.description.splitlines() if _OLD_MANIFEST not in ln]
        changes["description"] = "\n".join(lines).strip() or _DESCRIPTION
    if changes:
        project = client.update_project(project, **changes)
    return project, created


def _digest(docs: Sequence[Document], records: Sequence[dict[str, Any]], mode: str) -> str:
    """Digest of what a push uploads and records (every record, meta and detail; the mode)."""
    digest = hashlib.sha1(mode.encode())
    for doc, rec in zip(docs, records, strict=True):
        details = [[s.source, s.score, dict(s.norm or {})] for s in doc.spans]
        digest.update(
            json.dumps(
                [rec, dict(doc.meta), details], sort_keys=True, ensure_ascii=False, default=str
            ).encode()
        )
    return f"{digest.hexdigest()} {len(records)}"


def _fingerprint(client: SyncClient, info: ProjectInfo, labels: Sequence[str]) -> str:
    """Cheap facts that change when anyone adds, removes or replaces examples or spans."""
    return json.dumps(
        {
            "url": client.url,
            "project": info.id,
            "examples": client.count_examples(info.id),
            "latest": client.latest_example_id(info.id),
            "spans": client.span_totals(info.id, labels),
        },
        sort_keys=True,
    )


def _unchanged_since_last_push(
    client: SyncClient,
    ledger: SuggestionLedger,
    info: ProjectInfo,
    digest: str,
    labels: Sequence[str],
) -> bool:
    """True when the last complete push uploaded exactly this input and nothing moved since.

    Compares the digest the ledger kept from that push, and the project's fingerprint then
    and now (example count, newest example, span count per label): another push, an
    interrupted one, or a person's edit changes it, and the full reconciliation runs.
    """
    saved = ledger.manifest(project=info.name)
    if saved is None or saved[0] != digest:
        return False
    return saved[1] == _fingerprint(client, info, labels)


def _triples(spans: Iterable[Any]) -> tuple[Triple, ...]:
    return tuple(sorted((s.start, s.end, s.label) for s in spans))


@dataclass(frozen=True, slots=True)
class _Found:
    """One existing example with what push knows about it."""

    rec: ExampleRecord
    current: tuple[Triple, ...]
    prior: Pushed | None
    confirmed: bool

    @property
    def touched(self) -> bool:
        """A person worked on it: comments, or spans that differ from what was pushed."""
        if self.confirmed or self.rec.comments:
            return True
        if self.prior is None:
            return False
        if not self.prior.imported and not self.current:
            return False  # an import that stopped before storing the spans
        return self.current != self.prior.spans

    def key(self) -> tuple[bool, bool, int]:
        """Which copy of a duplicated document to keep: confirmed, touched, then oldest."""
        return (not self.confirmed, not self.touched, self.rec.example_id)


def _prior(
    rec: ExampleRecord, doc_id: str, pushed: dict[str, Pushed], hashes: dict[int, str]
) -> Pushed | None:
    """What was pushed to this example: the ledger's record, else an old push's meta."""
    h = hashes.setdefault(rec.example_id, text_hash(rec.text))
    found = pushed.get(doc_id)
    if found is not None and found.text_hash == h:
        return found
    legacy = rec.legacy_pre()
    return Pushed(h, tuple(sorted(legacy)), True) if legacy is not None else None


def _found(
    records: Sequence[ExampleRecord], confirmed: set[int], pushed: dict[str, Pushed], mode: str
) -> dict[str, list[_Found]]:
    groups: dict[str, list[_Found]] = {}
    hashes: dict[int, str] = {}
    for rec in records:
        doc_id = rec.annotkit_id
        if doc_id is None:
            continue
        current = _triples(spans_from_doccano(rec.text, rec.label, mode=mode, source=None))
        prior = _prior(rec, doc_id, pushed, hashes)
        groups.setdefault(doc_id, []).append(
            _Found(rec, current, prior, rec.example_id in confirmed)
        )
    return groups


def _split_duplicates(found: list[_Found], report: PushReport) -> tuple[_Found, list[int]]:
    """The copy to keep and the ids of untouched extra copies to delete."""
    ordered = sorted(found, key=_Found.key)
    keeper, delete = ordered[0], []
    for extra in ordered[1:]:
        if extra.touched:
            report.duplicates_kept += 1
            log.warning(
                "document %r is in doccano twice and a person worked on both copies "
                "(examples %d and %d); both kept",
                extra.rec.annotkit_id,
                keeper.rec.example_id,
                extra.rec.example_id,
            )
        else:
            delete.append(extra.rec.example_id)
    report.duplicates_removed += len(delete)
    return keeper, delete


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
    ledger: SuggestionLedger | None = None,
    create: bool = False,
    grapheme: bool = False,
    guideline: str | None = None,
    chunk_size: int = 2000,
    lock_wait: float = 600.0,
    progress: Progress = _nothing,
    order: str = "id",
) -> PushReport:
    """Upload documents with their spans as suggestions; idempotent, resumable, lock-safe.

    arg docs: documents (ids must be stable: they are the ``annotkit_id`` key).
    arg project: project name; created only with ``create=True``.
    arg ledger: where pushed suggestions are recorded (default: the doccano home's).
    arg grapheme: offsets in grapheme clusters (only when creating; an existing project's
        ``grapheme_mode`` wins).
    arg guideline: the project's guideline page (default: the packaged annotator
        guidelines, written when creating a project or replacing an old annotkit page).
    arg lock_wait: seconds to wait for another push to the same project to finish.
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
    if ledger is None:
        from annotkit.sync.server import default_home

        ledger = ledger_for(default_home())
    info, created = _project(client, project, create=create, grapheme=grapheme, guideline=guideline)
    report.project_id = info.id
    mode = mode_for(info.grapheme_mode)
    records = [to_import_record(doc, mode=mode) for doc in ordered]
    labels = sorted({str(lab) for rec in records for _, _, lab in rec["label"]})
    digest = _digest(ordered, records, mode)

    def finish() -> PushReport:
        report.seconds = round(time.monotonic() - started, 3)
        return report

    if not ordered:
        client.ensure_label_types(info.id, _label_specs(ordered))
        return finish()
    if not created and _unchanged_since_last_push(client, ledger, info, digest, labels):
        report.unchanged = len(ordered)
        progress(len(ordered))
        return finish()
    client.prepare_suggester(info.id)
    with client.project_lock(info.id, wait=lock_wait) as lock:
        report.lock_wait_s = round(lock.waited, 2)
        label_ids = client.ensure_label_types(info.id, _label_specs(ordered))
        if lock.waited > 0.5 and _unchanged_since_last_push(client, ledger, info, digest, labels):
            report.unchanged = len(ordered)  # the push we waited for uploaded the same
            progress(len(ordered))
            return finish()
        _reconcile(
            client,
            ledger,
            info,
            ordered,
            records,
            label_ids,
            mode,
            report,
            lock,
            chunk_size,
            progress,
        )
        lock.check()
        ledger.set_manifest(
            project=project, digest=digest, fingerprint=_fingerprint(client, info, labels)
        )
    return finish()


def _reconcile(
    client: SyncClient,
    ledger: SuggestionLedger,
    info: ProjectInfo,
    ordered: Sequence[Document],
    records: Sequence[dict[str, Any]],
    label_ids: dict[str, int],
    mode: str,
    report: PushReport,
    lock: Any,
    chunk_size: int,
    progress: Progress,
) -> None:
    """Under the lock: compare with what doccano holds, then import / repair / replace."""
    project = info.name
    existing = client.export_examples(info.id) if client.count_examples(info.id) else []
    confirmed = client.confirmed_example_ids(info.id) if existing else set()
    groups = _found(existing, confirmed, ledger.pushed(project=project), mode)

    to_import: list[tuple[Document, dict[str, Any]]] = []
    to_delete: list[int] = []
    repairs: list[tuple[int, Document]] = []
    known: list[PushEntry] = []  # already in doccano as pushed: record them here
    cleanups: list[tuple[int, dict[str, Any]]] = []
    for doc, record in zip(ordered, records, strict=True):
        found = groups.get(doc.id, [])
        if not found:
            to_import.append((doc, record))
            continue
        keeper, extras = _split_duplicates(found, report)
        to_delete.extend(extras)
        wanted = _triples(doc.spans)
        rec, prior = keeper.rec, keeper.prior
        same_text = rec.text == doc.text
        replace = False
        if keeper.confirmed:
            report.confirmed_kept += 1
        elif same_text and keeper.current == wanted:
            report.unchanged += 1
            if (
                prior is None
                or prior.spans != wanted
                or not prior.imported
                or prior.meta != dict(doc.meta)
            ):
                known.append(_entry(doc))
        elif prior is None:
            report.unrecorded_kept += 1  # pushed from elsewhere: cannot prove nobody edited it
        elif rec.comments:
            report.edited_kept += 1
        elif not prior.imported and not keeper.current:
            if same_text and prior.spans == wanted:
                repairs.append((rec.example_id, doc))  # the import stopped before its spans
            else:
                replace = True
        elif keeper.current == prior.spans:
            replace = True  # nobody touched it: bring it up to date
        else:
            report.edited_kept += 1  # a person changed or removed suggestions: keep their work
        if replace:
            to_delete.append(rec.example_id)
            to_import.append((doc, record))
            report.updated += 1
        elif rec.has_legacy_meta:
            # an older annotkit kept its bookkeeping in the meta annotators read: move it to
            # the ledger (what it pushed), keep only the document's own meta in doccano
            cleanups.append((rec.example_id, {**rec.user_meta(), ID_KEY: doc.id}))
            if prior is not None and (not known or known[-1].doc_id != doc.id):
                plain = tuple(Span(*t) for t in prior.spans)
                known.append(PushEntry(doc.id, prior.text_hash, plain))
    done = report.unchanged + report.confirmed_kept + report.edited_kept + report.unrecorded_kept
    progress(done)

    ledger.record_push(project=project, entries=known, imported=True)
    ledger.record_push(
        project=project,
        entries=[_entry(d) for d, _ in to_import] + [_entry(d) for _, d in repairs],
        imported=False,
    )
    if to_delete:
        client.delete_examples(info.id, to_delete)
    for example_id, meta in cleanups:
        client.set_example_meta(info.id, example_id, meta)
        report.meta_cleaned += 1
    for example_id, doc in repairs:
        lock.check()
        units = spans_to_doccano(doc.text, doc.spans, mode=mode)
        spans = [(int(s), int(e), label_ids[str(lab)]) for s, e, lab in units]
        client.create_spans(info.id, example_id, spans)
        ledger.mark_imported(project=project, doc_ids=[doc.id])
        report.repaired += 1
        done += 1
        progress(done)
    imported = 0
    for chunk in iter_chunks(to_import, chunk_size):
        lock.check()
        try:
            client.import_records(info.id, [r for _, r in chunk])
        except SyncError as err:
            raise SyncError(
                f"{err} ; push to {project!r} stopped after importing {imported} of "
                f"{len(to_import)} new or changed documents ({report.unchanged} were already "
                "there). Re-run the same command to resume; push is idempotent"
            ) from None
        ledger.mark_imported(project=project, doc_ids=[d.id for d, _ in chunk])
        imported += len(chunk)
        done += len(chunk)
        progress(done)
    report.created = len(to_import) - report.updated
    expected = len(existing) - len(set(to_delete)) + imported
    if client.count_examples(info.id) != expected:
        _dedupe(client, ledger, info, mode, report)


def _entry(doc: Document) -> PushEntry:
    return PushEntry(doc.id, doc.hash, doc.spans, dict(doc.meta))


def _dedupe(
    client: SyncClient, ledger: SuggestionLedger, info: ProjectInfo, mode: str, report: PushReport
) -> None:
    """Remove untouched duplicate copies (keeping the oldest) that got in around the lock.

    Deterministic: every pusher that runs it keeps the same copy of each document, so two
    running it at once converge.
    """
    records = client.export_examples(info.id)
    confirmed = client.confirmed_example_ids(info.id)
    groups = _found(records, confirmed, ledger.pushed(project=info.name), mode)
    delete: list[int] = []
    for found in groups.values():
        if len(found) > 1:
            _, extras = _split_duplicates(found, report)
            delete.extend(extras)
    if delete:
        log.warning(
            "%s: project %r held %d duplicate example(s) (a push that bypassed the lock?); "
            "removed them, kept the oldest copy of each document",
            client.url,
            info.name,
            len(delete),
        )
        client.delete_examples(info.id, delete)


@dataclass(slots=True)
class PullResult:
    """Pulled documents (sorted by id), the change report (confirmed examples) and counts."""

    documents: list[Document]
    changes: dict[str, Any]
    examples: int = 0
    confirmed: int = 0
    states: dict[str, int] = field(default_factory=dict)
    unrecorded: int = 0
    skipped: list[str] = field(default_factory=list)


def pull(
    project: str,
    *,
    client: SyncClient,
    ledger: SuggestionLedger | None = None,
    progress: Progress = _nothing,
) -> PullResult:
    """Export every example of ``project`` as Documents with the annotators' spans.

    Each span gets ``status`` (suggested / kept / changed / added), ``by`` and, for
    untouched suggestions, the ``source``/``score``/``norm`` the ledger recorded; each
    document a ``review`` (state, people-only annotators, confirmers, comments, and for
    confirmed examples the change counts) and the ``meta`` the document was pushed with
    (kept in the ledger; else the example's meta without annotkit's keys). Owners are
    looked up only for examples whose spans differ from what was pushed, that are
    confirmed or commented, or that this machine's ledger has no push record of.
    RETURNS a :class:`PullResult`.
    """
    found = client.find_projects(project)
    if not found:
        raise SyncError(
            f"{client.url}: no doccano project named {project!r} ; check --project (names "
            "are case-sensitive) or push to it first"
        )
    info = found[0]
    if ledger is None:
        from annotkit.sync.server import default_home

        ledger = ledger_for(default_home())
    mode = mode_for(info.grapheme_mode)
    records = client.export_examples(info.id)
    confirmed = client.confirmed_example_ids(info.id) if records else set()
    pushed = ledger.pushed(project=project)
    index = ledger.suggestion_index(project=project)
    hashes: dict[int, str] = {}
    changes = ChangeReport()
    states: Counter[str] = Counter()
    unrecorded = 0
    docs: list[Document] = []
    for i, rec in enumerate(records, 1):
        doc_id = rec.annotkit_id or f"doccano-{rec.example_id}"
        final = spans_from_doccano(rec.text, rec.label, mode=mode, source=None)
        prior = _prior(rec, doc_id, pushed, hashes)
        pre = prior.spans if prior is not None else None
        is_confirmed = rec.example_id in confirmed
        keys = _triples(final)
        owners = None
        confirmed_by: tuple[str, ...] = ()
        comments = tuple(rec.comments)
        if is_confirmed or comments or pre is None or keys != pre:
            unrecorded += pre is None
            detail = client.example_detail(info.id, rec.example_id, comments=bool(comments))
            owners = _owners(rec.text, detail.spans, mode)
            confirmed_by = detail.confirmed_by if is_confirmed else ()
            comments = tuple(detail.comments) or comments
        reviewed = review_example(
            final=final,
            pushed=pre,
            suggested=index.get(hashes[rec.example_id], {}),
            owners=owners,
            confirmed_by=confirmed_by,
            comments=comments,
        )
        if reviewed.state == "confirmed" and reviewed.pre is not None:
            changes.add(reviewed.pre, keys)
        states[reviewed.state] += 1
        review = Review(
            state=reviewed.state,
            project=project,
            example=rec.example_id,
            annotators=reviewed.annotators,
            confirmed_by=reviewed.confirmed_by,
            comments=reviewed.comments,
            changes=reviewed.changes,
        )
        meta = dict(prior.meta) if prior is not None and prior.meta is not None else None
        docs.append(
            Document(
                doc_id, rec.text, spans=reviewed.spans, meta=meta or rec.user_meta(), review=review
            )
        )
        if i % 500 == 0:
            progress(i)
    progress(len(records))
    if unrecorded:
        log.warning(
            "%d example(s) of %r have no push record in %s (pushed from another machine, or "
            "by an older annotkit): their span owners were read one by one, and suggestions "
            "a person deleted there cannot be seen",
            unrecorded,
            project,
            ledger.path,
        )
    docs.sort(key=lambda d: (d.id, (d.review.example or 0) if d.review else 0))
    return PullResult(
        documents=docs,
        changes=changes.to_dict(),
        examples=len(records),
        confirmed=len(confirmed),
        states=dict(sorted(states.items())),
        unrecorded=unrecorded,
    )


def _owners(text: str, spans: Sequence[Any], mode: str) -> dict[Triple, list[Owner]]:
    """Owned doccano spans -> code-point key -> owners."""
    out: dict[Triple, list[Owner]] = {}
    points = offsets_from_doccano(text, [(s.start, s.end) for s in spans], mode=mode)
    for (start, end), span in zip(points, spans, strict=True):
        out.setdefault((start, end, span.label), []).append(Owner(span.user, span.edited))
    return out


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
    from annotkit.io import backup_path, document_to_record, write_jsonl

    target = Path(path)
    records = [document_to_record(d) for d in result.documents]
    new_text = [json.loads(json.dumps(r, ensure_ascii=False)) for r in records]
    backup: Path | None = None
    old = _records_of(target) if target.exists() else None
    if old is not None and old != new_text and not force:
        backup = backup_path(target)
        shutil.copy2(target, backup)
    write_jsonl(records, target)
    return backup
