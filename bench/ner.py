"""Entity pre-annotation benchmark: seeds gold, JNLPBA, MeasEval, speed and memory.

Sections (each can be skipped):

(a) seeds: the rules engine (the stages of ``annotkit annotate``) against the hand-made gold
    ``annotations/gold/seeds.jsonl``: strict/lenient P/R/F1 per label, micro, per language;
    the failure list goes to ``OUT/ner_errors.txt`` (missed / spurious / boundary spans,
    each with the guideline rule it most likely touches).
(b) JNLPBA: CELL_TYPE recall on the ``cell_type`` spans of ``devel.tsv`` (sentences rebuilt
    from tokens, one document per abstract), strict and lenient.
(c) MeasEval: DOSE spans against Quantity spans that carry a unit (all of them, and the
    subset whose unit is a dose unit: volume, mass, concentration, IU/U, cells).
(f) development gold (``--dev-gold ../shared/data/ner/gold-dev``): per file and label, strict
    and lenient, a fixed document-level dev / held-out split and 5 folds (``bench/ner_gold.py``),
    error lists by class in ``OUT/ner_dev_errors_{dev,held-out}.txt``.
(g) Chinese numerals (``--chinese-numerals N``): N generated amounts (cn2an's writer plus
    colloquial and mixed forms) in carrier sentences: DOSE span and ``norm`` value right.
(d) speed: read, then the stages ``annotkit annotate`` runs (detect; align where a document
    is bilingual; annotate), and write JSONL for the seeds replicated to >= 50 MB, in a child
    process (MB per CPU-second on one core, CPU seconds per stage, peak RSS); the stanza model
    engine beside it when a model exists in the models folder.

Usage:
    .venv/bin/python bench/ner.py --jnlpba ../shared/data/ner/jnlpba/devel.tsv \
        --measeval ../shared/data/ner/measeval --speed-mb 50

Results: ``OUT/ner.json`` (everything), ``OUT/ner_errors.txt``, a summary on stdout.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from annotkit.doc import Document, Span
from annotkit.evaluate import evaluate, format_table, lenient_matches
from annotkit.io import document_to_record, read_documents, write_jsonl

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- engine
def _engine(
    engine: str = "rules", model: str | None = None, cpu: dict[str, float] | None = None
) -> Callable[[Document], Document]:
    """The stages `annotkit annotate` runs: detect, align (bilingual documents only: the
    projection of entities across aligned sentences needs it), then preannotate.

    ``cpu`` (optional) accumulates the CPU seconds of each stage under "detect"/"align"/
    "annotate".
    """
    from annotkit.pipeline import run_stage
    from annotkit.stages import done, missing

    def run(doc: Document) -> Document:
        t0 = time.process_time()
        if not done(doc, "detect"):
            doc = run_stage(doc, "detect")
        t1 = time.process_time()
        if "align" in missing(doc, "annotate"):
            doc = run_stage(doc, "align")
        t2 = time.process_time()
        doc = run_stage(doc, "annotate", engine=engine, model=None if engine == "rules" else model)
        if cpu is not None:
            for stage, a, b in (("detect", t0, t1), ("align", t1, t2)):
                cpu[stage] = cpu.get(stage, 0.0) + b - a
            cpu["annotate"] = cpu.get("annotate", 0.0) + time.process_time() - t2
        return doc

    return run


def _bare(doc: Document) -> Document:
    return Document(doc.id, doc.text, meta=dict(doc.meta))


# --------------------------------------------------------------------------- (a) seeds
_DONOR = re.compile(
    r"\b(autologous|allogeneic|allogenic|culture[- ]expanded|cultured|expanded)\b"
    r"|自体|同种异体|培养",
    re.I,
)
_NOT_DOSE = re.compile(
    r"patients?|subjects?|participants?|years?|months?|weeks?|days?|hours?|%|points?|/10\b"
    r"|名|例|年|月|周|天|岁",
    re.I,
)


def _rule_for(
    kind: str, label: str, surface: str, other: str | None, before: str, after: str
) -> str:
    """The guideline rule an error most likely touches (a hint for the engine engineer)."""
    low = surface.lower()
    if kind == "boundary" and other is not None:
        olow = other.lower()
        if label == "CELL_TYPE" and _DONOR.search(other) and not _DONOR.search(surface):
            return (
                "CELL_TYPE: donor/processing words (autologous, cultured, 自体, 培养的) are outside"
            )
        generic = r"\b(scores?|ratings?|questionnaire)\b|评分"
        if label == "SCALE" and re.search(generic, olow) and not re.search(generic, low):
            return "SCALE: generic 'score'/'rating'/'评分' stays outside unless part of the name"
        if (
            label == "SCALE"
            and re.search(r"\bmodified\b|改良|preoperative", olow)
            and len(other) > len(surface)
        ):
            return "SCALE: 'modified'/'preoperative' are not part of the name"
        if label == "DOSE" and len(other) > len(surface):
            return "DOSE: a cell type after the number is its own CELL_TYPE ('87 million MSCs')"
        if len(other) < len(surface):
            return f"{label}: span too short: keep the contiguous modifiers/unit (guideline span)"
        return f"{label}: span boundary differs from the guideline span"
    if kind == "missed":
        if label == "CELL_TYPE" and re.search(r"[\u4e00-\u9fff]", surface + before[-2:]):
            return "CELL_TYPE (Chinese): 细胞 names, 来源的 modifiers, bilingual parentheses"
        nxt = re.match(r"\W*(\w+)", after)
        head = nxt.group(1).lower() if nxt else ""
        if label == "CELL_TYPE" and (
            head.startswith(("inject", "therap", "group", "transplant", "population"))
            or re.search(r"\w-$", before)
        ):
            return "CELL_TYPE: a cell name inside a larger noun phrase is still tagged"
        if label == "DOSE":
            return "DOSE: number + unit (volume, mass, IU, cells; '87 million' before a cell type)"
        if label == "CELL_TYPE" and re.search(r"\(\s*$", before) and re.match(r"\s*\)", after):
            return "CELL_TYPE: an acronym defined in parentheses is tagged (and propagated)"
        if label == "SCALE" and surface.isupper():
            return (
                "SCALE: acronyms (defined in the text or known instruments) are tagged everywhere"
            )
        return f"{label}: recall (lexicon coverage or abbreviation propagation)"
    # spurious
    if label == "SCALE" and surface.upper() in {"MCID", "MRI", "CT", "BMI"}:
        return "Not SCALE: thresholds (MCID), imaging (MRI, CT), physiological indices (BMI)"
    if label == "SCALE" and re.search(r"pain scores?|functional status|quality of life", low):
        return "Not SCALE: generic lower-case phrases"
    if label == "DOSE" and re.search(r"[\w-]$", before):
        return "DOSE: a number inside a token (EQ-5D-3L, L4-L5) is not an amount (token boundary)"
    if label == "DOSE" and _NOT_DOSE.search(surface):
        return "Not DOSE: durations, ages, patient counts, percentages, scores"
    if label == "CELL_TYPE" and re.search(r"https?://\S*$", before):
        return "annotations/README.md: URLs are not prose (not tagged in the gold)"
    if label == "CELL_TYPE" and low in {"cell", "cells"}:
        return "Not CELL_TYPE: the bare word 'cells' with no modifier"
    if label == "CELL_TYPE" and re.search(r"marrow|plasma|prp|bmac|concentrate|cfu", low):
        return "Not CELL_TYPE: tissues and products (bone marrow, BMAC, PRP), assay units (CFU-F)"
    return f"{label}: precision (not an entity under the guidelines)"


def _context(text: str, start: int, end: int, width: int = 40) -> str:
    left = text[max(0, start - width) : start].replace("\n", " ")
    right = text[end : end + width].replace("\n", " ")
    return f"…{left}[{text[start:end]}]{right}…"


def error_report(
    gold: list[Document], pred: list[Document], lang_of: Any
) -> tuple[str, Counter[str]]:
    """Missed, spurious and boundary errors (strict), one line each, grouped by document."""
    by_id = {d.id: d for d in pred}
    lines: list[str] = []
    rules: Counter[str] = Counter()
    n_gold = n_pred = 0
    for g in gold:
        p = by_id[g.id]
        langs = lang_of(g)
        gkeys = {(s.start, s.end, s.label) for s in g.spans}
        pkeys = {(s.start, s.end, s.label) for s in p.spans}
        g_err = [s for s in g.spans if (s.start, s.end, s.label) not in pkeys]
        p_err = [s for s in p.spans if (s.start, s.end, s.label) not in gkeys]
        pairs = lenient_matches(g_err, p_err)
        paired_g = {i for i, _ in pairs}
        paired_p = {j for _, j in pairs}
        rows: list[tuple[int, str]] = []
        for i, j in pairs:
            a, b = g_err[i], p_err[j]
            rule = _rule_for("boundary", a.label, g.text_of(a), p.text_of(b), "", "")
            rules[rule] += 1
            rows.append(
                (
                    a.start,
                    f"  BOUNDARY {a.label:<9} [{langs(a.start)}] gold={g.text_of(a)!r} "
                    f"pred={p.text_of(b)!r}  {_context(g.text, a.start, a.end)}"
                    f"\n      rule: {rule}",
                )
            )
        for i, a in enumerate(g_err):
            if i in paired_g:
                continue
            before, after = g.text[max(0, a.start - 60) : a.start], g.text[a.end : a.end + 60]
            rule = _rule_for("missed", a.label, g.text_of(a), None, before, after)
            rules[rule] += 1
            rows.append(
                (
                    a.start,
                    f"  MISSED   {a.label:<9} [{langs(a.start)}] {g.text_of(a)!r}  "
                    f"{_context(g.text, a.start, a.end)}\n      rule: {rule}",
                )
            )
        for j, b in enumerate(p_err):
            if j in paired_p:
                continue
            before, after = g.text[max(0, b.start - 200) : b.start], g.text[b.end : b.end + 60]
            rule = _rule_for("spurious", b.label, p.text_of(b), None, before, after)
            rules[rule] += 1
            src = f" ({b.source})" if b.source else ""
            rows.append(
                (
                    b.start,
                    f"  SPURIOUS {b.label:<9} [{langs(b.start)}] {p.text_of(b)!r}{src}  "
                    f"{_context(g.text, b.start, b.end)}\n      rule: {rule}",
                )
            )
        n_gold += len(g.spans)
        n_pred += len(p.spans)
        if not rows:
            continue
        lines.append(
            f"== {g.id}: {len(g.spans)} gold, {len(p.spans)} predicted, {len(rows)} error(s)"
        )
        lines += [row for _, row in sorted(rows, key=lambda r: r[0])]
    head = f"{len(gold)} documents, {n_gold} gold spans, {n_pred} predicted, {sum(rules.values())}"
    lines.insert(0, head + " error(s) (strict; boundary = overlapping, same label)")
    summary = ["", "== errors by guideline rule"]
    summary += [f"  {n:>3}  {rule}" for rule, n in rules.most_common()]
    return "\n".join(lines + summary) + "\n", rules


def bench_seeds(gold_path: Path, out: Path) -> dict[str, Any]:
    from annotkit.evaluate import _language_lookup

    gold = list(read_documents([str(gold_path)]))
    run = _engine("rules")
    t0 = time.perf_counter()
    pred = [run(_bare(d)) for d in gold]
    elapsed = time.perf_counter() - t0
    write_jsonl((document_to_record(d) for d in pred), out / "ner_seeds_pred.jsonl")
    result = evaluate(gold, pred, by_lang=True)
    report, rules = error_report(gold, pred, _language_lookup)
    (out / "ner_errors.txt").write_text(report, encoding="utf-8")
    print("## (a) seeds gold vs rules engine\n")
    print(format_table(result))
    print(f"errors: {out / 'ner_errors.txt'} (top rules:)")
    for rule, n in rules.most_common(8):
        print(f"  {n:>3}  {rule}")
    result["seconds"] = round(elapsed, 3)
    return result


# --------------------------------------------------------------------------- (e) guidelines
_LABEL_RE = r"(?:CELL_TYPE|DOSE|SCALE)"
_ARROW = re.compile(
    rf'"([^"]+)"\s*->\s*((?:{_LABEL_RE}\s+)?`[^`]+`(?:,\s*(?:{_LABEL_RE}\s+)?`[^`]+`)*)'
    rf"|([\u4e00-\u9fff]+)\s*->\s*((?:{_LABEL_RE}\s+)?`[^`]+`)"
)
_NOTHING = re.compile(r'a bare "([^"]+)" gives nothing')
_TARGET = re.compile(rf"(?:({_LABEL_RE})\s+)?`([^`]+)`")


def _example(text: str, targets: list[tuple[str, str]], n: int) -> Document | None:
    spans: list[Span] = []
    pos = 0
    for label, surface in targets:
        i = text.find(surface, pos)
        if i < 0:
            i = text.find(surface)
        if i < 0:
            return None
        spans.append(Span(i, i + len(surface), label, source="guideline"))
        pos = i + len(surface)
    spans.sort(key=lambda sp: (sp.start, sp.end))
    return Document(f"guideline-{n:03d}", text, spans=tuple(spans))


def read_guideline_examples(path: Path) -> list[Document]:
    """The worked examples of the guidelines (table rows and ``"text" -> `span``` notes).

    Every table row under ## CELL_TYPE / ## SCALE is a document whose gold spans are the
    backticked ones (labelled by the section, or by an explicit LABEL before the backticks).
    """
    docs: list[Document] = []
    section = ""
    body: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
        body.setdefault(section, []).append(line)
    for label in ("CELL_TYPE", "DOSE", "SCALE"):
        lines = body.get(label, [])
        for line in lines:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) != 2 or cells[0] in {"text", ""} or set(cells[0]) <= {"-"}:
                continue
            targets = [(lab or label, surf) for lab, surf in _TARGET.findall(cells[1])]
            doc = _example(cells[0], targets, len(docs))
            if doc is not None:
                docs.append(doc)
        flat = re.sub(r"[ \t]*\n[ \t]+", " ", "\n".join(lines))
        for m in _ARROW.finditer(flat):
            text = m.group(1) or m.group(3)
            targets = [
                (lab or label, surf) for lab, surf in _TARGET.findall(m.group(2) or m.group(4))
            ]
            doc = _example(text, targets, len(docs))
            if doc is not None:
                docs.append(doc)
        for m in _NOTHING.finditer(flat):
            docs.append(Document(f"guideline-{len(docs):03d}", m.group(1)))
        # bullets: a backticked amount / name standing alone is one whole span
        used = {t for d in docs for t in (d.text, *(d.text_of(sp) for sp in d.spans))}
        for line in flat.splitlines():
            if not line.startswith("- "):
                continue
            for lab, surface in _TARGET.findall(line):
                if surface in used or (
                    label == "DOSE" and not re.match(r"[\d一二三四五六七八九十]", surface)
                ):
                    continue
                used.add(surface)
                sp = Span(0, len(surface), lab or label, source="guideline")
                docs.append(Document(f"guideline-{len(docs):03d}", surface, spans=(sp,)))
    return docs


def read_guideline_negatives(path: Path) -> list[tuple[str, str]]:
    """``(label, text)`` for every example listed under "Not LABEL:" (must get no LABEL span)."""
    text = path.read_text(encoding="utf-8")
    out: list[tuple[str, str]] = []
    for m in re.finditer(rf"^Not ({_LABEL_RE}):(.*?)(?:\n\n|\n#|\Z)", text, re.S | re.M):
        label, para = m.group(1), re.sub(r"\s+", " ", m.group(2))
        items = [i for g in re.findall(r"\(([^()]*)\)", para) for i in g.split(", ")]
        items += re.findall(r'"([^"]+)"', para)
        for item in items:
            item = re.sub(r"\s*—.*$", "", item).strip(' ."')
            if item and not item.startswith(("see ", "it is ")) and (label, item) not in out:
                out.append((label, item))
    return out


def bench_guidelines(path: Path, out: Path) -> dict[str, Any]:
    from annotkit.evaluate import _language_lookup

    gold = read_guideline_examples(path)
    run = _engine("rules")
    pred = [run(_bare(d)) for d in gold]
    result = evaluate(gold, pred, by_lang=True)
    report, rules = error_report(gold, pred, _language_lookup)
    (out / "ner_guideline_errors.txt").write_text(report, encoding="utf-8")
    negatives = read_guideline_negatives(path)
    violations = []
    for k, (label, text) in enumerate(negatives):
        doc = run(Document(f"negative-{k:03d}", text))
        bad = [doc.text_of(sp) for sp in doc.spans if sp.label == label]
        if bad:
            violations.append({"label": label, "text": text, "predicted": bad})
    with (out / "ner_guideline_errors.txt").open("a", encoding="utf-8") as handle:
        handle.write("\n== 'Not LABEL' examples that got that label\n")
        for v in violations:
            handle.write(f"  Not {v['label']}: {v['text']!r} -> predicted {v['predicted']}\n")
    result["negatives"] = {"examples": len(negatives), "violations": violations}
    print(f"## (e) guideline worked examples ({len(gold)} documents)\n")
    print(format_table(result))
    for rule, n in rules.most_common(8):
        print(f"  {n:>3}  {rule}")
    print(f"'Not LABEL' examples: {len(negatives)}, violated: {len(violations)}")
    for v in violations:
        print(f"  Not {v['label']}: {v['text']!r} -> {v['predicted']}")
    print()
    return result


# --------------------------------------------------------------------------- (b) JNLPBA
def read_bio_documents(path: Path, entity: str) -> Iterator[tuple[str, str, list[tuple[int, int]]]]:
    """Yield (id, text, spans of ``entity``) per -DOCSTART- block (tokens joined by spaces)."""
    blocks: list[list[list[tuple[str, str]]]] = [[]]
    sentence: list[tuple[str, str]] = []
    with path.open(encoding="utf-8") as handle:
        for raw in handle:
            line = raw.rstrip("\n")
            if not line.strip():
                if sentence:
                    blocks[-1].append(sentence)
                    sentence = []
                continue
            token, _, tag = line.partition("\t")
            if token == "-DOCSTART-":
                if sentence:
                    blocks[-1].append(sentence)
                    sentence = []
                if blocks[-1]:
                    blocks.append([])
                continue
            sentence.append((token, tag.strip() or "O"))
    if sentence:
        blocks[-1].append(sentence)
    for n, block in enumerate(b for b in blocks if b):
        parts: list[str] = []
        spans: list[tuple[int, int]] = []
        pos = 0
        for sent in block:
            if parts:
                parts.append("\n")
                pos += 1
            open_start: int | None = None
            last_end = pos
            for k, (token, tag) in enumerate(sent):
                if k:
                    parts.append(" ")
                    pos += 1
                start, pos = pos, pos + len(token)
                parts.append(token)
                inside = tag == f"I-{entity}" and open_start is not None
                if open_start is not None and not inside:
                    spans.append((open_start, last_end))
                    open_start = None
                if tag == f"B-{entity}" or (tag == f"I-{entity}" and open_start is None):
                    open_start = start
                last_end = pos
            if open_start is not None:
                spans.append((open_start, last_end))
        yield f"jnlpba-{n:04d}", "".join(parts), spans


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else 0.0


def bench_jnlpba(path: Path, limit: int | None) -> dict[str, Any]:
    run = _engine("rules")
    gold_n = strict = lenient = pred_n = pred_on_gold = pred_on_cells = 0
    missed: Counter[str] = Counter()
    boundary: Counter[str] = Counter()
    docs = 0
    t0 = time.perf_counter()
    lines = read_bio_documents(path, "cell_line")
    for (doc_id, text, spans), (_, _, line_spans) in zip(
        read_bio_documents(path, "cell_type"), lines, strict=True
    ):
        if limit is not None and docs >= limit:
            break
        docs += 1
        pred = run(Document(doc_id, text))
        cells = [s for s in pred.spans if s.label == "CELL_TYPE"]
        gold = [Span(s, e, "CELL_TYPE") for s, e in spans]
        keys = {(s.start, s.end) for s in cells}
        gold_n += len(gold)
        pred_n += len(cells)
        strict += sum(1 for g in gold if (g.start, g.end) in keys)
        matches = lenient_matches(gold, cells)
        lenient += len(matches)
        pred_on_gold += len({j for _, j in matches})
        any_cell = [Span(s, e, "CELL_TYPE") for s, e in sorted(spans + line_spans)]
        pred_on_cells += sum(1 for c in cells if any(c.overlaps(a) for a in any_cell))
        hit = {i for i, _ in matches}
        for i, g in enumerate(gold):
            if i not in hit:
                missed[text[g.start : g.end].lower()] += 1
        for i, j in matches:
            g, c = gold[i], cells[j]
            if (g.start, g.end) != (c.start, c.end):
                boundary[f"{text[g.start : g.end]} -> {text[c.start : c.end]}"] += 1
    res = {
        "documents": docs,
        "gold_cell_type_spans": gold_n,
        "predicted_cell_type_spans": pred_n,
        "strict_recall": round(strict / gold_n, 4) if gold_n else 0.0,
        "lenient_recall": round(lenient / gold_n, 4) if gold_n else 0.0,
        "share_of_predictions_on_a_gold_cell_type": _ratio(pred_on_gold, pred_n),
        "share_of_predictions_overlapping_cell_type_or_line": _ratio(pred_on_cells, pred_n),
        "top_missed": missed.most_common(25),
        "top_boundary_gold_to_pred": boundary.most_common(25),
        "seconds": round(time.perf_counter() - t0, 2),
    }
    print("## (b) JNLPBA cell_type recall\n")
    print(json.dumps({k: v for k, v in res.items() if not k.startswith("top_")}, indent=2))
    print("top missed:", ", ".join(f"{s} ({n})" for s, n in missed.most_common(12)))
    print("top boundary:", "; ".join(f"{s} ({n})" for s, n in boundary.most_common(8)), "\n")
    return res


# --------------------------------------------------------------------------- (c) MeasEval
# units a DOSE can carry: mass, volume, amount/concentration, IU/U, cells (percent strengths
# such as wt.% are not doses under the guidelines)
_DOSE_UNIT = re.compile(
    r"^(?:[kmµμun]?g|[mµμun]?[lL]|[mµμun]?mol|[mµμun]?M|I?U|cells?)(?:\s*/.*)?$"
)


def read_measeval(root: Path) -> Iterator[tuple[str, str, list[tuple[int, int, str]]]]:
    """Yield (doc id, text, [(start, end, unit)]) for every Quantity with a unit."""
    for tsv in sorted(root.glob("*/tsv/*.tsv")):
        stem = tsv.stem
        text_path = next(
            (
                p
                for p in (tsv.parent.parent / d / f"{stem}.txt" for d in ("text", "txt"))
                if p.exists()
            ),
            None,
        )
        if text_path is None:
            continue
        text = text_path.read_text(encoding="utf-8")
        quantities: list[tuple[int, int, str]] = []
        with tsv.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                if row["annotType"] != "Quantity" or not row.get("other"):
                    continue
                other = json.loads(row["other"])
                if "unit" in other:
                    quantities.append(
                        (int(row["startOffset"]), int(row["endOffset"]), other["unit"])
                    )
        yield f"{tsv.parent.parent.name}/{stem}", text, sorted(set(quantities))


def _span_f1(texts: list[str], gold: list[list[Span]], pred: list[list[Span]]) -> dict[str, Any]:
    gold_docs = [
        Document(f"d{i}", t, spans=tuple(g))
        for i, (t, g) in enumerate(zip(texts, gold, strict=True))
    ]
    pred_docs = [
        Document(f"d{i}", t, spans=tuple(p))
        for i, (t, p) in enumerate(zip(texts, pred, strict=True))
    ]
    r = evaluate(gold_docs, pred_docs, labels=("Q",))
    return {"strict": r["strict"]["micro"], "lenient": r["lenient"]["micro"]}


def _non_overlapping(spans: Iterable[tuple[int, int]]) -> list[Span]:
    out: list[Span] = []
    for s, e in sorted(spans):
        if out and s < out[-1].end:
            continue
        out.append(Span(s, e, "Q"))
    return out


def bench_measeval(root: Path) -> dict[str, Any]:
    run = _engine("rules")
    gold_all: list[list[Span]] = []
    gold_dose: list[list[Span]] = []
    pred: list[list[Span]] = []
    texts: list[str] = []
    examples: list[str] = []
    for doc_id, text, quantities in read_measeval(root):
        doc = run(Document(doc_id.replace("/", "_"), text))
        doses = [(s.start, s.end) for s in doc.spans if s.label == "DOSE"]
        texts.append(text)
        pred.append(_non_overlapping(doses))
        gold_all.append(_non_overlapping((s, e) for s, e, _ in quantities))
        gold_dose.append(
            _non_overlapping((s, e) for s, e, u in quantities if _DOSE_UNIT.match(u.strip()))
        )
        exact = {(s, e) for s, e, _ in quantities}
        for s, e in doses:
            if (s, e) not in exact:
                examples.append(_context(text, s, e))
    res = {
        "documents": len(pred),
        "quantities_with_unit": sum(map(len, gold_all)),
        "quantities_with_dose_unit": sum(map(len, gold_dose)),
        "dose_spans": sum(map(len, pred)),
        "vs_all_unit_quantities": _span_f1(texts, gold_all, pred),
        "vs_dose_unit_quantities": _span_f1(texts, gold_dose, pred),
        "dose_spans_not_matching_a_quantity": examples,
    }
    print("## (c) MeasEval Quantity (with unit) vs DOSE spans\n")
    for key in ("vs_all_unit_quantities", "vs_dose_unit_quantities"):
        v = res[key]
        print(
            f"{key}: strict P/R/F1 {v['strict']['precision']:.3f}/{v['strict']['recall']:.3f}/"
            f"{v['strict']['f1']:.3f}  lenient {v['lenient']['precision']:.3f}/"
            f"{v['lenient']['recall']:.3f}/{v['lenient']['f1']:.3f}"
        )
    print(
        f"counts: {res['quantities_with_unit']} unit quantities, "
        f"{res['quantities_with_dose_unit']} with a dose unit, {res['dose_spans']} DOSE spans\n"
    )
    return res


# --------------------------------------------------------------------------- (d) speed
def replicate_seeds(seeds: Path, target: Path, megabytes: float) -> int:
    """Write copies of the seed files under ``target`` until they hold >= ``megabytes`` MB."""
    files = sorted(seeds.glob("*.txt"))
    datas = [(f.name, f.read_bytes()) for f in files]
    per_copy = sum(len(d) for _, d in datas)
    copies = int(megabytes * 1e6 // per_copy) + 1
    total = 0
    for c in range(copies):
        sub = target / f"c{c // 500:03d}"
        sub.mkdir(parents=True, exist_ok=True)
        for name, data in datas:
            (sub / f"{c:05d}_{name}").write_bytes(data)
            total += len(data)
    return total


def speed_child(
    corpus: str, out_file: str, engine: str, model: str | None, limit_mb: float | None
) -> None:
    """Runs in a fresh process: read -> detect -> annotate -> write JSONL, timed."""
    stages: dict[str, float] = {}
    run = _engine(engine, model, stages)
    budget = None if limit_mb is None else limit_mb * 1e6
    counted = {"bytes": 0, "docs": 0, "spans": 0}

    def records() -> Iterator[dict[str, Any]]:
        for doc in read_documents([corpus]):
            if budget is not None and counted["bytes"] >= budget:
                return
            counted["bytes"] += len(doc.text.encode("utf-8"))
            counted["docs"] += 1
            done = run(doc)
            counted["spans"] += len(done.spans)
            yield document_to_record(done)

    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    write_jsonl(records(), out_file)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    mb = counted["bytes"] / 1e6
    print(
        json.dumps(
            {
                "engine": engine,
                "megabytes": round(mb, 2),
                "documents": counted["docs"],
                "spans": counted["spans"],
                "wall_s": round(wall, 2),
                "cpu_s": round(cpu, 2),
                "mb_per_s": round(mb / wall, 3),
                "mb_per_cpu_s": round(mb / cpu, 3) if cpu else None,
                "peak_rss_mb": round(r1.ru_maxrss / 1024, 1),
                "output_mb": round(os.path.getsize(out_file) / 1e6, 2),
                "stage_cpu_s": {k: round(v, 2) for k, v in stages.items()},
                "stage_mb_per_cpu_s": {k: round(mb / v, 3) for k, v in stages.items() if v},
            }
        )
    )


def _child(args: list[str]) -> dict[str, Any]:
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false")
    proc = subprocess.run(
        [sys.executable, __file__, "--_speed-child", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1:] or ["failed"]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _find_model(models_dir: Path) -> str | None:
    try:
        from annotkit.models import list_models
    except ImportError:
        return None
    try:
        cards = list_models(models_dir)
    except Exception:  # noqa: BLE001 - no registry, no models
        return None
    return str(models_dir / cards[-1].ref) if cards else None


def bench_speed(seeds: Path, megabytes: float, models_dir: Path, model_mb: float) -> dict[str, Any]:
    res: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="annotkit-ner-speed-") as tmp:
        corpus = Path(tmp) / "corpus"
        total = replicate_seeds(seeds, corpus, megabytes)
        res["corpus_mb"] = round(total / 1e6, 2)
        res["rules"] = _child([str(corpus), str(Path(tmp) / "rules.jsonl"), "rules"])
        model = _find_model(models_dir)
        if model is None:
            res["model"] = {"skipped": f"no trained model in {models_dir}"}
        else:
            res["model"] = _child(
                [str(corpus), str(Path(tmp) / "model.jsonl"), "model", model, str(model_mb)]
            )
            res["model"]["path"] = model
    print("## (d) speed (one process, one core)\n")
    print(json.dumps(res, indent=2), "\n")
    return res


# --------------------------------------------------------------------------- main
def _append_errors(out: Path, results: dict[str, Any]) -> None:
    """Add the guideline, JNLPBA and MeasEval failure lists to ``OUT/ner_errors.txt``."""
    parts: list[str] = []
    guide = out / "ner_guideline_errors.txt"
    if "guidelines" in results and guide.exists():
        parts += ["", "#" * 20 + " guideline worked examples", guide.read_text(encoding="utf-8")]
    if "jnlpba" in results:
        jn = results["jnlpba"]
        parts += ["", "#" * 20 + " JNLPBA cell_type (lower-cased gold surface: count)"]
        parts += ["missed:"] + [f"  {n:>3}  {t}" for t, n in jn["top_missed"]]
        parts += ["boundary (gold -> predicted):"]
        parts += [f"  {n:>3}  {t}" for t, n in jn["top_boundary_gold_to_pred"]]
    if "measeval" in results:
        parts += ["", "#" * 20 + " MeasEval: DOSE spans that are not exactly a Quantity"]
        parts += [f"  {x}" for x in results["measeval"]["dose_spans_not_matching_a_quantity"]]
    if parts:
        with (out / "ner_errors.txt").open("a", encoding="utf-8") as handle:
            handle.write("\n".join(parts) + "\n")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--_speed-child":
        corpus, out_file, engine = argv[1:4]
        model = argv[4] if len(argv) > 4 else None
        limit = float(argv[5]) if len(argv) > 5 else None
        speed_child(corpus, out_file, engine, model, limit)
        return 0
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--gold", type=Path, default=ROOT / "annotations/gold/seeds.jsonl")
    ap.add_argument("--seeds", type=Path, default=ROOT / "seeds")
    ap.add_argument("--guidelines", type=Path, help="annotation-guidelines.md: score its examples")
    ap.add_argument(
        "--dev-gold",
        type=Path,
        help="gold-dev folder (*.jsonl): per file, label, dev/held-out part and fold (f)",
    )
    ap.add_argument(
        "--chinese-numerals",
        type=int,
        default=0,
        metavar="N",
        help="(g) N generated amounts in Chinese numerals: DOSE spans and norm values",
    )
    ap.add_argument(
        "--held-out-errors",
        action="store_true",
        help="also write the held-out part's error lines (default: its counts per class only)",
    )
    ap.add_argument("--jnlpba", type=Path, help="JNLPBA devel.tsv (token<TAB>BIO tag)")
    ap.add_argument(
        "--jnlpba-limit", type=int, default=None, help="score only the first N abstracts"
    )
    ap.add_argument(
        "--measeval", type=Path, help="MeasEval folder (train/, trial/ with tsv + text)"
    )
    ap.add_argument("--speed-mb", type=float, default=50.0, help="corpus size for (d); 0 skips")
    ap.add_argument("--models", type=Path, default=ROOT / "models")
    ap.add_argument("--model-mb", type=float, default=2.0, help="MB the model engine is timed on")
    ap.add_argument("--out", type=Path, default=ROOT / "bench/out")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"seeds": bench_seeds(args.gold, args.out)}
    if args.guidelines:
        results["guidelines"] = bench_guidelines(args.guidelines, args.out)
    if args.dev_gold:
        from ner_gold import bench_dev_gold

        results["dev_gold"] = bench_dev_gold(
            args.dev_gold, _engine("rules"), args.out, held_out_errors=args.held_out_errors
        )
    if args.chinese_numerals:
        from ner_gold import bench_chinese_numerals

        results["chinese_numerals"] = bench_chinese_numerals(args.chinese_numerals)
    if args.jnlpba:
        results["jnlpba"] = bench_jnlpba(args.jnlpba, args.jnlpba_limit)
    if args.measeval:
        results["measeval"] = bench_measeval(args.measeval)
    if args.speed_mb > 0:
        results["speed"] = bench_speed(args.seeds, args.speed_mb, args.models, args.model_mb)
    _append_errors(args.out, results)
    (args.out / "ner.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(f"results: {args.out / 'ner.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
