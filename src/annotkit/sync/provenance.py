"""Who made each pulled span: an untouched suggestion, a person's change, a person's own.

Pure logic, no network. Inputs per example: its final spans (code points), what push
uploaded to it (the ledger's span set; ``None`` when this machine did not push it), the
ledger's suggestions for its text (pushed or auto-labelled, with source/score/norm), and,
when fetched, each span's doccano owner and whether it was edited after creation.

Rules (docs/record.md, "Span details"):

- a final span equal to a suggestion (pushed, or auto-labelled for this text) is that
  suggestion, untouched: ``suggested``, or ``kept`` once the example is confirmed (``by`` =
  the first confirmer); it keeps the suggestion's ``source``, ``score`` and ``norm``;
- without a push record, a span owned by annotkit's suggestion account and never edited
  is an untouched suggestion (its details are unknown);
- a span the suggestion account owns but a person edited in place, or a person's span that
  overlaps or shares offsets with a suggestion that is gone, is ``changed`` (``source`` =
  ``person``);
- any other span is ``added``: a person's own (``by`` = its owner).

The review state follows from the same evidence, never from an empty span list alone:
``confirmed`` when a person confirmed the example; else ``touched`` when a person changed,
added or removed a span, or commented; else ``imported``. A pushed suggestion that is gone
was removed by a person: deleting every suggestion ("no entities here") is ``touched``.

EXAMPLE:
    >>> from annotkit.doc import Span
    >>> r = review_example(final=[Span(0, 4, "DOSE")], pushed=[(0, 4, "DOSE")],
    ...                    suggested={}, owners=None, confirmed_by=("ann",), comments=())
    >>> r.state, r.spans[0].status, r.spans[0].by
    ('confirmed', 'kept', 'ann')
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from annotkit.doc import Span
from annotkit.sync.accounts import MACHINE_USERS
from annotkit.sync.diff import compare_spans

__all__ = ["Owner", "Reviewed", "review_example"]

Triple = tuple[int, int, str]


@dataclass(frozen=True, slots=True)
class Owner:
    """A doccano user owning a span, and whether the span changed after it was created."""

    user: str
    edited: bool = False


@dataclass(frozen=True, slots=True)
class Reviewed:
    """The spans with their details and the example's review facts."""

    spans: tuple[Span, ...]
    state: str
    annotators: tuple[str, ...]
    confirmed_by: tuple[str, ...]
    comments: tuple[Mapping[str, Any], ...]
    pre: tuple[Triple, ...] | None = None
    changes: Mapping[str, int] | None = field(default=None)


def _people(users: Collection[str], machine: Collection[str]) -> list[str]:
    return [u for u in users if u and u not in machine and u != "?"]


def review_example(
    *,
    final: Sequence[Span],
    pushed: Sequence[Triple] | None,
    suggested: Mapping[Triple, tuple[Span, str]],
    owners: Mapping[Triple, Sequence[Owner]] | None,
    confirmed_by: Sequence[str],
    comments: Sequence[Mapping[str, Any]],
    machine: Collection[str] = MACHINE_USERS,
) -> Reviewed:
    """Classify one example's final spans and derive its review state (module docstring).

    arg final: the example's spans now (code points, sorted, no overlaps).
    arg pushed: exactly what push uploaded to this example, None when unknown.
    arg suggested: the ledger's suggestions for the example's text: key -> (span, origin).
    arg owners: key -> the doccano users owning a span with that key (None: not fetched;
        only valid when ``final`` equals ``pushed``).
    RETURNS a :class:`Reviewed`.
    """
    confirmers = tuple(_people(confirmed_by, machine))
    is_confirmed = bool(confirmers)
    pre = set(pushed) if pushed is not None else None
    machine_keys = set(pre or ()) | {
        k for k, (_, origin) in suggested.items() if origin == "autolabel"
    }

    def owned(key: Triple) -> Sequence[Owner]:
        return owners.get(key, ()) if owners is not None else ()

    untouched: set[Triple] = set()
    edited_in_place: set[Triple] = set()
    for span in final:
        key = span.key
        own = owned(key)
        if key in machine_keys and not (own and all(o.edited for o in own)):
            untouched.add(key)
        elif owners is None:
            untouched.add(key)  # not fetched: final == pushed, nothing to tell apart
        elif own and all(o.user in machine for o in own):
            if pre is None and not all(o.edited for o in own):
                untouched.add(key)  # pushed from elsewhere: ours, never edited
            else:
                edited_in_place.add(key)
    rest_final = [s.key for s in final if s.key not in untouched]
    rest_pre = sorted((pre or set()) - untouched)
    kinds = compare_spans(rest_pre, rest_final)
    changed = edited_in_place | {
        f for kind in ("relabelled", "boundary_changed") for _, f in kinds[kind] if f is not None
    }
    removed = [p for p, _ in kinds["removed"] if p is not None]
    added = [k for k in rest_final if k not in changed]

    person_spans: list[str] = []
    out: list[Span] = []
    sole = _sole_person(owners, confirmers, comments, machine)
    for span in final:
        key = span.key
        people = _people([o.user for o in owned(key)], machine)
        if key in untouched:
            detail = suggested.get(key, (None, ""))[0]
            out.append(
                Span(
                    *key,
                    source=detail.source if detail is not None else None,
                    score=detail.score if detail is not None else None,
                    norm=detail.norm if detail is not None else None,
                    status="kept" if is_confirmed else "suggested",
                    by=confirmers[0] if is_confirmed else None,
                )
            )
            continue
        by = people[0] if people else sole
        if people:
            person_spans.extend(people)
        status = "changed" if key in changed else "added"
        out.append(Span(*key, source="person", status=status, by=by))
    commenters = _people([str(c.get("user") or "") for c in comments], machine)
    annotators = tuple(sorted({*person_spans, *confirmers, *commenters}))
    human_change = bool(changed or added or removed or comments)
    state = "confirmed" if is_confirmed else "touched" if human_change else "imported"
    changes = None
    if is_confirmed and pre is not None:
        counts = compare_spans(sorted(pre), [s.key for s in final])
        changes = {kind: len(pairs) for kind, pairs in counts.items()}
    return Reviewed(
        spans=tuple(out),
        state=state,
        annotators=annotators,
        confirmed_by=confirmers,
        comments=tuple(dict(c) for c in comments),
        pre=tuple(sorted(pre)) if pre is not None else None,
        changes=changes,
    )


def _sole_person(
    owners: Mapping[Triple, Sequence[Owner]] | None,
    confirmers: Sequence[str],
    comments: Sequence[Mapping[str, Any]],
    machine: Collection[str],
) -> str | None:
    """The one person who worked on the example, when exactly one did (else None)."""
    users = {o.user for own in (owners or {}).values() for o in own}
    users |= set(confirmers) | {str(c.get("user") or "") for c in comments}
    people = _people(users, machine)
    return people[0] if len(people) == 1 else None
