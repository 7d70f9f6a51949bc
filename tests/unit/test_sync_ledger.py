"""The suggestion ledger: machine suggestions with details, per project and text."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from annotkit.doc import Span
from annotkit.errors import SyncError
from annotkit.sync.ledger import SuggestionLedger, ledger_for


def _write(path: str, k: int) -> None:
    SuggestionLedger(path).record(
        project="p", text_hash="h", origin="push", spans=[Span(k, k + 1, "DOSE", source="r")]
    )


def test_sync_ledger_round_trip_and_replace(tmp_path: Path) -> None:
    ledger = ledger_for(tmp_path)
    norm = {"value": 5.0, "unit": "mL"}
    first = Span(0, 4, "DOSE", source="rule:dose.v1", score=0.9, norm=norm)
    ledger.record(project="p", text_hash="h", origin="push", spans=[first])
    ledger.record(project="p", text_hash="h", origin="autolabel",
                  spans=[Span(0, 4, "DOSE", source="model:ner/v2", score=0.7)])  # fmt: skip
    ledger.record(project="q", text_hash="h", origin="push", spans=[Span(1, 2, "SCALE")])
    (got,) = ledger.suggestions(project="p", text_hash="h")
    assert (got.key, got.source, got.score, got.status) == ((0, 4, "DOSE"), "model:ner/v2", 0.7,
                                                            "suggested")  # fmt: skip
    assert ledger.suggestions(project="p", text_hash="other") == []
    with pytest.raises(ValueError):
        ledger.record(project="p", text_hash="h", origin="elsewhere", spans=[Span(0, 1, "X")])


def test_sync_ledger_concurrent_writers(tmp_path: Path) -> None:
    path = str(tmp_path / "s.sqlite")
    SuggestionLedger(path)
    procs = [multiprocessing.get_context("spawn").Process(target=_write, args=(path, k))
             for k in range(4)]  # fmt: skip
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [s.start for s in SuggestionLedger(path).suggestions(project="p", text_hash="h")] == [
        0, 1, 2, 3,
    ]  # fmt: skip


def test_sync_ledger_unwritable_folder_is_a_sync_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(SyncError, match="writable"):
        SuggestionLedger(blocker / "s.sqlite")


def test_sync_ledger_push_records_and_manifest(tmp_path: Path) -> None:
    from annotkit.sync.ledger import PushEntry

    ledger = ledger_for(tmp_path)
    spans = (Span(0, 4, "DOSE", source="rule:dose.v1", score=0.9, norm={"value": 5.0}),)
    ledger.record_push(project="p", entries=[PushEntry("d1", "h1", spans)], imported=False)
    (entry,) = ledger.pushed(project="p").values()
    assert (entry.text_hash, entry.spans, entry.imported) == ("h1", ((0, 4, "DOSE"),), False)
    ledger.mark_imported(project="p", doc_ids=["d1"])
    assert ledger.pushed(project="p")["d1"].imported
    # a new push of the document replaces its span set (details accumulate per text)
    ledger.record_push(project="p", entries=[PushEntry("d1", "h2", ())], imported=True)
    assert ledger.pushed(project="p")["d1"].spans == ()
    index = ledger.suggestion_index(project="p")
    span, origin = index["h1"][(0, 4, "DOSE")]
    assert (span.source, span.norm, origin) == ("rule:dose.v1", {"value": 5.0}, "push")
    assert ledger.pushed(project="q") == {} and ledger.manifest(project="p") is None
    ledger.set_manifest(project="p", digest="d", fingerprint="f")
    ledger.set_manifest(project="p", digest="d2", fingerprint="f2")
    assert ledger.manifest(project="p") == ("d2", "f2")
