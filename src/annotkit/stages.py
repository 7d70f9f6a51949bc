"""What each stage requires and provides (docs/record.md), checked on the record itself.

Like stanza's processors (``REQUIRES_DEFAULT``/``PROVIDES_DEFAULT``), every stage declares
the record fields it needs and the ones it writes. A stage function checks its inputs with
:func:`require` and raises :class:`MissingStageError` naming the stage (and command) that
provides what is missing; :func:`annotkit.pipeline.ensure` runs the missing stages, each
once and with its owner's code. No stage re-derives another's output.

EXAMPLE:
    >>> from annotkit.doc import Document
    >>> missing(Document("d", "MSCs 5 mL"), "align")
    ['detect']
"""

from __future__ import annotations

from dataclasses import dataclass

from annotkit.doc import Document
from annotkit.errors import InputError

__all__ = ["STAGES", "MissingStageError", "Stage", "bilingual", "done", "missing", "require"]


class MissingStageError(InputError):
    """A document lacks the output of a stage that the requested one requires."""


@dataclass(frozen=True, slots=True)
class Stage:
    """A stage's contract: record fields it requires (as stages) and provides."""

    name: str
    command: str
    requires: tuple[str, ...]
    provides: tuple[str, ...]


STAGES: dict[str, Stage] = {
    "detect": Stage(
        "detect", "annotkit detect", (), ("lang", "langs", "zh_script", "segments", "sentences")
    ),
    "align": Stage("align", "annotkit align", ("detect",), ("pairs",)),
    # annotate needs `align` only for documents holding English and Chinese (projection)
    "annotate": Stage("annotate", "annotkit annotate", ("detect", "align"), ("label", "spans")),
}


def bilingual(doc: Document) -> bool:
    """True when detection found both English and Chinese in the document."""
    return {"en", "zh"} <= {s.lang for s in doc.segments}


def done(doc: Document, stage: str) -> bool:
    """True when the record already holds ``stage``'s output."""
    if stage == "detect":
        return doc.detected
    if stage == "align":
        return doc.pairs is not None
    if stage == "annotate":
        return any(s.source is not None for s in doc.spans)
    raise KeyError(stage)


def missing(doc: Document, stage: str) -> list[str]:
    """The stages ``stage`` requires that ``doc`` has not been through, in run order.

    ``annotate`` requires ``align`` only when the document is bilingual (the projection of
    entities across aligned sentences), which is known only after ``detect``.
    """
    out: list[str] = []
    for need in STAGES[stage].requires:
        if done(doc, need):
            continue
        if stage == "annotate" and need == "align" and doc.detected and not bilingual(doc):
            continue
        out.append(need)
    return out


def require(doc: Document, stage: str) -> None:
    """Raise :class:`MissingStageError` unless ``doc`` holds what ``stage`` requires."""
    gaps = [s for s in missing(doc, stage) if not (stage == "annotate" and s == "align")]
    if gaps:
        first = STAGES[gaps[0]]
        raise MissingStageError(
            f"document {doc.id!r} has no {first.name} output ({', '.join(first.provides)}), "
            f"which {stage} requires; run `{first.command}` on it first (the commands do this "
            "themselves), or annotkit.pipeline.ensure(doc, "
            f"{stage!r}) in Python"
        )
