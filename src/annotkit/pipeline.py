"""The main job: language detection, parallel alignment and entity pre-annotation.

Each stage is a pure function over one :class:`~annotkit.doc.Document`, so a batch can be
mapped over processes (or Dask) document by document. :func:`ensure` runs the stages a
record lacks before a given one (each once, by its owner: :mod:`annotkit.stages` says who
requires what); :func:`run_document` chains them all and returns a picklable
:class:`DocumentResult`.

EXAMPLE:
    >>> from annotkit.io import read_documents
    >>> from annotkit.pipeline import run_document
    >>> results = [run_document(d) for d in read_documents(["seeds/"])]
    >>> results[4].doc.pairs[0].src_lang
    'en'
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

from annotkit.doc import LABELS, Document, PassagePair
from annotkit.io import atomic_writer, dumps_record, iter_input_files
from annotkit.record import document_to_record
from annotkit.stages import missing

__all__ = [
    "RUN_FILES",
    "DocumentResult",
    "Summary",
    "SummaryEntry",
    "SummaryTotals",
    "ensure",
    "result_lines",
    "run_document",
    "run_inputs",
    "run_stage",
    "summarise",
    "summary_entry",
    "table_header",
    "table_line",
    "write_results",
    "write_summary",
]

#: The files :func:`write_results` writes into a run folder, by stage; the last stage's
#: file (``annotate``) holds the whole record.
RUN_FILES: dict[str, str] = {
    "detect": "detect.jsonl",
    "align": "align.jsonl",
    "annotate": "annotate.jsonl",
    "summary": "summary.json",
}


def run_stage(doc: Document, stage: str, **options: Any) -> Document:
    """Run one stage on a document with its owner's code (``options`` go to that stage).

    ``detect``: :func:`annotkit.langid.detect` (``langs``, ``latin_langs``, ``prior``, ``backend``,
    ``segmenter``); ``align``: :func:`annotkit.align.align_document` (``scorer``);
    ``annotate``: :func:`annotkit.annotate.preannotate` (``engine``, ``model``, ``project``,
    ``models_dir``).
    """
    if stage == "detect":
        from annotkit.langid import detect

        return detect(doc, **options)
    if stage == "align":
        from annotkit.align import align_document

        return replace(doc, pairs=align_document(doc, **options))
    if stage == "annotate":
        from annotkit.annotate import preannotate

        return preannotate(doc, **options)
    raise KeyError(f"unknown stage {stage!r}")


def ensure(doc: Document, stage: str, **options: Mapping[str, Any]) -> Document:
    """Run the stages ``stage`` requires that the record lacks (not ``stage`` itself).

    ``options`` maps a stage name to its options, e.g. ``detect={"backend": "profile"}``.
    A stage whose output the record already holds is not run again.

    EXAMPLE:
        >>> from annotkit.doc import Document
        >>> d = ensure(Document("d", "Pain fell. 疼痛减轻。"), "annotate")
        >>> d.lang is not None, d.pairs is not None
        (True, True)
    """
    for need in missing(doc, stage):
        doc = run_stage(doc, need, **dict(options.get(need, {})))
        if need == "detect":  # alignment may have become needed, or not
            return ensure(doc, stage, **options)
    return doc


@dataclass(frozen=True, slots=True)
class DocumentResult:
    """One document after the pipeline: detected, aligned and pre-annotated.

    ``detected`` and ``aligned`` are the record after those stages (what ``detect.jsonl``
    and ``align.jsonl`` hold); ``doc`` is the final record.
    """

    doc: Document
    detected: Document
    aligned: Document

    @property
    def pairs(self) -> tuple[PassagePair, ...]:
        return self.doc.pairs or ()


@dataclass(frozen=True, slots=True)
class Summary:
    """Counts over a batch, per document and in total."""

    rows: tuple[Mapping[str, Any], ...]
    totals: Mapping[str, Any]

    def format_table(self) -> str:
        return "\n".join([*table_header(), *(table_line(r) for r in [*self.rows, self.totals])])


def table_header() -> list[str]:
    """The two header lines of the summary table (:meth:`Summary.format_table`)."""
    head = f"{'document':<24} {'lang':<6} {'en/zh %':>8} {'sents':>6} {'pairs':>6} {'beads':>6}"
    head += "".join(f" {label:>9}" for label in LABELS)
    return [head, "-" * len(head)]


def table_line(row: Mapping[str, Any]) -> str:
    """One row (a document's or the totals) of the summary table."""
    shares = row["langs"]
    mix = f"{round(100 * shares.get('en', 0))}/{round(100 * shares.get('zh', 0))}"
    line = (
        f"{str(row['id'])[:24]:<24} {row['lang']:<6} {mix:>8} {row['sentences']:>6} "
        f"{row['pairs']:>6} {row['beads']:>6}"
    )
    return line + "".join(f" {row['entities'].get(label, 0):>9}" for label in LABELS)


@dataclass(frozen=True, slots=True)
class SummaryEntry:
    """One document's row of ``summary.json``, with its letters per language (``chars``,
    what the totals' language shares are computed from)."""

    row: Mapping[str, Any]
    chars: Mapping[str, float]

    def to_json(self) -> str:
        return json.dumps({"row": self.row, "chars": self.chars}, ensure_ascii=False)

    @classmethod
    def from_json(cls, line: str) -> SummaryEntry:
        data = json.loads(line)
        return cls(row=data["row"], chars=data["chars"])


def summary_entry(res: DocumentResult) -> SummaryEntry:
    """The summary row of one pipeline result."""
    doc = res.doc
    langs = dict(doc.langs)
    n = sum(len(doc.text[s.start : s.end].split()) and (s.end - s.start) for s in doc.segments)
    row = {
        "id": doc.id,
        "lang": doc.lang or "und",
        "langs": langs,
        "sentences": len(doc.sentences),
        "pairs": len(res.pairs),
        "beads": sum(len(p.sentences) for p in res.pairs),
        "entities": dict(Counter(s.label for s in doc.spans)),
    }
    return SummaryEntry(row=row, chars={lang: share * n for lang, share in langs.items()})


class SummaryTotals:
    """The totals row, accumulated document by document (same result in any batch size)."""

    def __init__(self) -> None:
        self.documents = 0
        self.sentences = 0
        self.pairs = 0
        self.beads = 0
        self.entities: Counter[str] = Counter()
        self.chars: dict[str, float] = {}

    def add(self, entry: SummaryEntry) -> None:
        row = entry.row
        self.documents += 1
        self.sentences += row["sentences"]
        self.pairs += row["pairs"]
        self.beads += row["beads"]
        self.entities.update(row["entities"])
        for lang, n in entry.chars.items():
            self.chars[lang] = self.chars.get(lang, 0.0) + n

    def row(self) -> dict[str, Any]:
        total_chars = sum(self.chars.values()) or 1
        return {
            "id": f"TOTAL ({self.documents} docs)",
            "lang": "",
            "langs": {k: v / total_chars for k, v in self.chars.items()},
            "sentences": self.sentences,
            "pairs": self.pairs,
            "beads": self.beads,
            "entities": dict(self.entities),
        }


def run_document(
    doc: Document,
    *,
    engine: str = "rules",
    model: str | None = None,
    models_dir: str | Path | None = None,
    detect_options: Mapping[str, Any] | None = None,
) -> DocumentResult:
    """Detect languages, pair and align translated passages, then pre-annotate entities.

    A stage whose output the record already holds is kept, not recomputed.
    """
    detected = doc if doc.detected else run_stage(doc, "detect", **dict(detect_options or {}))
    aligned = detected if detected.pairs is not None else run_stage(detected, "align")
    annotated = run_stage(aligned, "annotate", engine=engine, model=model, models_dir=models_dir)
    return DocumentResult(doc=annotated, detected=detected, aligned=aligned)


def summarise(results: Iterable[DocumentResult]) -> Summary:
    """Per-document and total counts of languages, sentences, pairs and entities."""
    totals = SummaryTotals()
    rows: list[Mapping[str, Any]] = []
    for res in results:
        entry = summary_entry(res)
        totals.add(entry)
        rows.append(entry.row)
    return Summary(rows=tuple(rows), totals=totals.row())


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=list)


def write_summary(entries: Iterable[SummaryEntry], handle: IO[str]) -> dict[str, Any]:
    """Write ``summary.json`` (``{"documents": [...], "totals": {...}}``, indented by 2)
    row by row, without holding the rows. RETURNS the totals row.

    The bytes are those of ``json.dump`` over the whole object (tests compare them).
    """
    totals = SummaryTotals()
    handle.write('{\n  "documents": [')
    first = True
    for entry in entries:
        totals.add(entry)
        handle.write(("\n    " if first else ",\n    ") + _dumps(entry.row).replace("\n", "\n    "))
        first = False
    handle.write("]" if first else "\n  ]")
    total = totals.row()
    handle.write(',\n  "totals": ' + _dumps(total).replace("\n", "\n  ") + "\n}\n")
    return total


def result_lines(res: DocumentResult) -> tuple[str, str, str, str]:
    """A result's ``detect``, ``align`` and ``annotate`` JSONL lines and summary entry."""
    return (
        dumps_record(document_to_record(res.detected)),
        dumps_record(document_to_record(res.aligned)),
        dumps_record(document_to_record(res.doc)),
        summary_entry(res).to_json(),
    )


def write_results(results: Iterable[DocumentResult], out_dir: str | Path) -> dict[str, Path]:
    """Write ``detect.jsonl``, ``align.jsonl``, ``annotate.jsonl`` and ``summary.json``.

    Documents are written in the order given, in one pass (the results are not held).
    Each JSONL file holds the whole record after that stage (docs/record.md), so any of
    them feeds the next command; each file is written atomically. RETURNS the paths
    written, by stage.
    """
    out = Path(out_dir)
    paths = {stage: out / name for stage, name in RUN_FILES.items()}
    with ExitStack() as stack:
        handles = [stack.enter_context(atomic_writer(paths[s])) for s in RUN_FILES]

        def entries() -> Iterator[SummaryEntry]:
            for res in results:
                docs = (res.detected, res.aligned, res.doc)
                for handle, doc in zip(handles[:3], docs, strict=True):
                    handle.write(dumps_record(document_to_record(doc)) + "\n")
                yield summary_entry(res)

        write_summary(entries(), handles[3])
    return paths


def run_inputs(inputs: Iterable[str]) -> list[str]:
    """``inputs`` with each ``annotkit run`` folder read once: its last stage's file.

    A run folder holds the same documents after each stage (``detect.jsonl``,
    ``align.jsonl``, ``annotate.jsonl``); reading all of them would count every document
    three times. A folder holding any of them stands for the last one present (annotate,
    else align, else detect) plus any other input files it holds; other inputs pass as
    they are.

    EXAMPLE:
        >>> run_inputs(["annotations/pre", "more.jsonl"])  # doctest: +SKIP
        ['annotations/pre/annotate.jsonl', 'more.jsonl']
    """
    stage_files = [RUN_FILES[s] for s in ("annotate", "align", "detect")]
    out: list[str] = []
    for item in inputs:
        folder = Path(item)
        present = [folder / n for n in stage_files] if item != "-" and folder.is_dir() else []
        present = [f for f in present if f.is_file()]
        if not present:
            out.append(item)
            continue
        out.append(str(present[0]))
        out.extend(
            str(f)
            for f, _ in iter_input_files([item])
            if not (f.parent == folder and f.name in RUN_FILES.values())
        )
    return out
