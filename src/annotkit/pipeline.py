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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from annotkit.doc import LABELS, Document, PassagePair
from annotkit.io import atomic_writer, dumps_record, iter_input_files
from annotkit.record import document_to_record
from annotkit.stages import missing

__all__ = [
    "RUN_FILES",
    "DocumentResult",
    "Summary",
    "ensure",
    "run_document",
    "run_inputs",
    "run_stage",
    "summarise",
    "write_results",
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
        head = f"{'document':<24} {'lang':<6} {'en/zh %':>8} {'sents':>6} {'pairs':>6} {'beads':>6}"
        head += "".join(f" {label:>9}" for label in LABELS)
        lines = [head, "-" * len(head)]
        for row in [*self.rows, self.totals]:
            shares = row["langs"]
            mix = f"{round(100 * shares.get('en', 0))}/{round(100 * shares.get('zh', 0))}"
            line = (
                f"{str(row['id'])[:24]:<24} {row['lang']:<6} {mix:>8} {row['sentences']:>6} "
                f"{row['pairs']:>6} {row['beads']:>6}"
            )
            line += "".join(f" {row['entities'].get(label, 0):>9}" for label in LABELS)
            lines.append(line)
        return "\n".join(lines)


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
    rows: list[dict[str, Any]] = []
    total_entities: Counter[str] = Counter()
    chars: dict[str, float] = {}
    for res in results:
        doc = res.doc
        entities = Counter(s.label for s in doc.spans)
        total_entities.update(entities)
        langs = dict(doc.langs)
        n = sum(len(doc.text[s.start : s.end].split()) and (s.end - s.start) for s in doc.segments)
        for lang, share in langs.items():
            chars[lang] = chars.get(lang, 0.0) + share * n
        rows.append(
            {
                "id": doc.id,
                "lang": doc.lang or "und",
                "langs": langs,
                "sentences": len(doc.sentences),
                "pairs": len(res.pairs),
                "beads": sum(len(p.sentences) for p in res.pairs),
                "entities": dict(entities),
            }
        )
    total_chars = sum(chars.values()) or 1
    totals = {
        "id": f"TOTAL ({len(rows)} docs)",
        "lang": "",
        "langs": {k: v / total_chars for k, v in chars.items()},
        "sentences": sum(r["sentences"] for r in rows),
        "pairs": sum(r["pairs"] for r in rows),
        "beads": sum(r["beads"] for r in rows),
        "entities": dict(total_entities),
    }
    return Summary(rows=tuple(rows), totals=totals)


def write_results(results: list[DocumentResult], out_dir: str | Path) -> dict[str, Path]:
    """Write ``detect.jsonl``, ``align.jsonl``, ``annotate.jsonl`` and ``summary.json``.

    Each JSONL file holds the whole record after that stage (docs/record.md), so any of
    them feeds the next command; each file is written atomically. RETURNS the paths
    written, by stage.
    """
    out = Path(out_dir)
    paths = {stage: out / name for stage, name in RUN_FILES.items()}
    ordered = sorted(results, key=lambda r: r.doc.id)
    writers = {
        "detect": (document_to_record(r.detected) for r in ordered),
        "align": (document_to_record(r.aligned) for r in ordered),
        "annotate": (document_to_record(r.doc) for r in ordered),
    }
    for stage, records in writers.items():
        with atomic_writer(paths[stage]) as handle:
            for rec in records:
                handle.write(dumps_record(rec) + "\n")
    summary = summarise(ordered)
    with atomic_writer(paths["summary"]) as handle:
        json.dump(
            {"documents": summary.rows, "totals": summary.totals},
            handle,
            ensure_ascii=False,
            indent=2,
            default=list,
        )
        handle.write("\n")
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
