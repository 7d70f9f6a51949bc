"""The main job: language detection, parallel alignment and entity pre-annotation.

Each stage is a pure function over one :class:`~annotkit.doc.Document`, so a batch can be
mapped over processes (or Dask) document by document; :func:`run_document` chains them and
returns a picklable :class:`DocumentResult`.

EXAMPLE:
    >>> from annotkit.io import read_documents
    >>> from annotkit.pipeline import run_document
    >>> results = [run_document(d) for d in read_documents(["seeds/"])]
    >>> results[4].pairs[0].src_lang
    'en'
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotkit.doc import LABELS, Document, PassagePair
from annotkit.io import atomic_writer, document_to_record

__all__ = ["DocumentResult", "Summary", "run_document", "summarise", "write_results"]


@dataclass(frozen=True, slots=True)
class DocumentResult:
    """One document after the pipeline: detected, aligned and pre-annotated."""

    doc: Document
    pairs: tuple[PassagePair, ...]


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
    doc: Document, *, engine: str = "rules", model: str | None = None
) -> DocumentResult:
    """Detect languages, pair and align translated passages, then pre-annotate entities."""
    from annotkit.align import align_document
    from annotkit.annotate import preannotate
    from annotkit.langid import detect

    detected = detect(doc)
    pairs = align_document(detected)
    annotated = preannotate(detected, engine=engine, model=model, pairs=pairs)
    return DocumentResult(doc=annotated, pairs=tuple(pairs))


def summarise(results: Iterable[DocumentResult]) -> Summary:
    """Per-document and total counts of languages, sentences, pairs and entities."""
    rows: list[dict[str, Any]] = []
    total_entities: Counter[str] = Counter()
    chars: Counter[str] = Counter()
    for res in results:
        doc = res.doc
        entities = Counter(s.label for s in doc.spans)
        total_entities.update(entities)
        langs = dict(doc.meta.get("langs", {}))
        n = sum(len(doc.text[s.start : s.end].split()) and (s.end - s.start) for s in doc.segments)
        for lang, share in langs.items():
            chars[lang] += share * n
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

    Each file is written atomically; RETURNS the paths written, by stage.
    """
    from annotkit.align import pairs_to_record
    from annotkit.langid import detection_to_record

    out = Path(out_dir)
    paths = {
        "detect": out / "detect.jsonl",
        "align": out / "align.jsonl",
        "annotate": out / "annotate.jsonl",
        "summary": out / "summary.json",
    }
    ordered = sorted(results, key=lambda r: r.doc.id)
    writers = {
        "detect": (detection_to_record(r.doc) for r in ordered),
        "align": (pairs_to_record(r.doc, list(r.pairs)) for r in ordered),
        "annotate": (_annotation_record(r.doc) for r in ordered),
    }
    for stage, records in writers.items():
        with atomic_writer(paths[stage]) as handle:
            for rec in records:
                handle.write(json.dumps(rec, ensure_ascii=False) + "\n")
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


def _annotation_record(doc: Document) -> dict[str, Any]:
    # Keep the pre-annotation file small: language runs belong to detect.jsonl.
    slim = dataclasses.replace(doc, segments=(), sentences=())
    return document_to_record(slim)
