"""Span provenance and review state from the evidence pull has (no network)."""

from __future__ import annotations

from annotkit.doc import Span
from annotkit.sync.provenance import Owner, review_example

PUSHED = [(0, 4, "DOSE"), (10, 14, "CELL_TYPE")]
DETAILS = {(0, 4, "DOSE"): (Span(0, 4, "DOSE", source="rule:dose.v1", score=0.9), "push")}


def _final(*keys: tuple[int, int, str]) -> list[Span]:
    return [Span(*k) for k in keys]


def test_sync_provenance_untouched_suggestions_keep_details() -> None:
    r = review_example(
        final=_final(*PUSHED),
        pushed=PUSHED,
        suggested=DETAILS,
        owners=None,
        confirmed_by=(),
        comments=(),
    )
    assert r.state == "imported" and r.annotators == ()
    assert [(s.status, s.source, s.score) for s in r.spans] == [
        ("suggested", "rule:dose.v1", 0.9),
        ("suggested", None, None),
    ]


def test_sync_provenance_boundary_redrawn_by_a_person_is_changed() -> None:
    owners = {(0, 4, "DOSE"): [Owner("annotkit")], (9, 14, "CELL_TYPE"): [Owner("eve")]}
    r = review_example(
        final=_final((0, 4, "DOSE"), (9, 14, "CELL_TYPE")),
        pushed=PUSHED,
        suggested=DETAILS,
        owners=owners,
        confirmed_by=(),
        comments=(),
    )
    assert r.state == "touched" and r.annotators == ("eve",)
    assert [(s.status, s.by, s.source) for s in r.spans] == [
        ("suggested", None, "rule:dose.v1"),
        ("changed", "eve", "person"),
    ]


def test_sync_provenance_emptied_example_is_touched_not_imported() -> None:
    r = review_example(
        final=[], pushed=PUSHED, suggested=DETAILS, owners={}, confirmed_by=(), comments=()
    )
    assert r.state == "touched" and r.spans == ()
    confirmed = review_example(
        final=[], pushed=PUSHED, suggested=DETAILS, owners={}, confirmed_by=("ann",), comments=()
    )
    assert confirmed.state == "confirmed" and confirmed.changes["removed"] == 2  # type: ignore[index]


def test_sync_provenance_machine_accounts_are_not_people() -> None:
    owners = {k: [Owner("annotkit")] for k in PUSHED}
    r = review_example(
        final=_final(*PUSHED),
        pushed=PUSHED,
        suggested={},
        owners=owners,
        confirmed_by=("annotkit", "ann"),
        comments=[{"user": "ann", "text": "ok"}],
    )
    assert r.annotators == ("ann",) and r.confirmed_by == ("ann",)
    assert [(s.status, s.by) for s in r.spans] == [("kept", "ann"), ("kept", "ann")]


def test_sync_provenance_unknown_push_uses_owners_and_edits() -> None:
    owners = {
        (0, 4, "SCALE"): [Owner("annotkit", edited=True)],
        (10, 14, "CELL_TYPE"): [Owner("annotkit")],
    }
    r = review_example(
        final=_final((0, 4, "SCALE"), (10, 14, "CELL_TYPE")),
        pushed=None,
        suggested={},
        owners=owners,
        confirmed_by=(),
        comments=(),
    )
    assert [s.status for s in r.spans] == ["changed", "suggested"] and r.state == "touched"
    assert r.pre is None and r.changes is None
