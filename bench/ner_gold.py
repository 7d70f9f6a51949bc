"""Development gold (``../shared/data/ner/gold-dev/``): per file, per label, per part, per fold.

Used by ``bench/ner.py --dev-gold DIR``. Every ``*.jsonl`` file in DIR is one set (``en``,
``zh``, ``zh_dose``). Documents are grouped before splitting, so a document and its
translation never fall on different sides: ``medline-docN-en`` and ``medline-docN-zh`` are
group ``medline-docN``; the Chinese DOSE passages cut from one source file (``meta.doc``) are
one group; every other document is its own group.

* **part**: ``held-out`` when ``sha1(group) mod 3 == 0``, else ``dev``. The split was fixed
  before any error was looked at (issue 13); rules were written from the ``dev`` part's error
  list only (``OUT/ner_dev_errors_dev.txt``); for the held-out part only the counts per class
  are written, unless ``--held-out-errors`` asks for its lines too.
* **folds**: ``sha1(group) mod 5``: strict micro F1 of each fold, with mean and spread, to
  show how much the number moves with the documents it is measured on.

The error list (one file per part) gives every strict error with a class: ``MISSED``,
``SPURIOUS``, ``LABEL`` (same span, other label) or ``BOUNDARY`` with which edge differs
(``short-left`` = the prediction starts too late, e.g. a modifier cut off; ``long-right`` =
it runs on, ...), plus a hint at the phenomenon (spaced numbers, Chinese numerals, acronym,
parenthesis, coordination), and a summary count per class.
"""

from __future__ import annotations

import hashlib
import json
import re
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from annotkit.doc import LABELS, Document, Span
from annotkit.evaluate import evaluate, lenient_matches

__all__ = [
    "bench_chinese_numerals",
    "bench_dev_gold",
    "compare_tables",
    "doc_group",
    "fold_of",
    "part_of",
    "read_gold",
]

FOLDS = 5
HELD_OUT_MOD = 3
_MEDLINE = re.compile(r"^(medline-doc\d+)-")
_HAN = re.compile(r"[\u3400-\u9fff]")
_SPACED_NUMBER = re.compile(r"\d[.．]\s+\d|\d\s\d{3}(?!\d)")
_ZH_NUMERAL = re.compile(r"[零〇一二两三四五六七八九十百千万亿点]")


def read_gold(path: Path) -> list[tuple[Document, str]]:
    """``(document, group)`` for every record of one gold file (``label`` = spans)."""
    out: list[tuple[Document, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        spans = tuple(Span(s, e, lab, source="gold") for s, e, lab in rec.get("label", []))
        meta = {k: str(v) for k, v in (rec.get("meta") or {}).items()}
        doc = Document(rec["id"], rec["text"], spans=spans, meta=meta)
        out.append((doc, doc_group(rec["id"], meta)))
    return out


def doc_group(doc_id: str, meta: dict[str, str]) -> str:
    """The split unit of a document (translations and passages of one file stay together)."""
    m = _MEDLINE.match(doc_id)
    if m:
        return m.group(1)
    if "doc" in meta and "-" in doc_id:
        return f"{doc_id.split('-', 1)[0]}-{meta['doc']}"
    return doc_id


def _hash(group: str) -> int:
    return int(hashlib.sha1(group.encode("utf-8")).hexdigest()[:8], 16)


def part_of(group: str) -> str:
    """``"held-out"`` or ``"dev"`` (fixed, by hash of the group)."""
    return "held-out" if _hash(group) % HELD_OUT_MOD == 0 else "dev"


def fold_of(group: str) -> int:
    return _hash(group) % FOLDS


# --------------------------------------------------------------------------- errors
def _edge_class(g: Span, p: Span) -> str:
    left = "" if p.start == g.start else ("short-left" if p.start > g.start else "long-left")
    right = "" if p.end == g.end else ("short-right" if p.end < g.end else "long-right")
    return "+".join(x for x in (left, right) if x) or "same"


def _phenomenon(text: str, label: str, surface: str, other: str = "") -> str:
    both = surface + " " + other
    if label == "DOSE":
        if _SPACED_NUMBER.search(both):
            return "spaced number"
        if _ZH_NUMERAL.search(both):
            return "Chinese numeral"
        return "number+unit"
    if re.search(r"[(（][^)）]*[)）]", both):
        return "parenthesis inside"
    if re.search(r"\b(?:and|or)\b|[/、和及与]", both):
        return "coordination"
    if re.fullmatch(r"[A-Za-z]*[A-Z][A-Za-z0-9\-+]*s?", surface.strip()):
        return "acronym"
    return "zh name" if _HAN.search(surface) else "en name"


def _context(text: str, start: int, end: int, width: int = 40) -> str:
    left = text[max(0, start - width) : start].replace("\n", "⏎")
    right = text[end : end + width].replace("\n", "⏎")
    return f"…{left}[{text[start:end]}]{right}…"


def classify_errors(gold: Document, pred: Document) -> list[tuple[int, str, str]]:
    """``(offset, class, line)`` for each strict error of one document."""
    text = gold.text
    gkeys = {(s.start, s.end, s.label) for s in gold.spans}
    pkeys = {(s.start, s.end, s.label) for s in pred.spans}
    g_err = [s for s in gold.spans if (s.start, s.end, s.label) not in pkeys]
    p_err = [s for s in pred.spans if (s.start, s.end, s.label) not in gkeys]
    rows: list[tuple[int, str, str]] = []
    pairs = lenient_matches(g_err, p_err)
    used_g = {i for i, _ in pairs}
    used_p = {j for _, j in pairs}
    for i, j in pairs:
        g, p = g_err[i], p_err[j]
        gs, ps = text[g.start : g.end], text[p.start : p.end]
        cls = f"BOUNDARY {g.label} {_edge_class(g, p)} ({_phenomenon(text, g.label, gs, ps)})"
        rows.append((g.start, cls, f"gold={gs!r} pred={ps!r}  {_context(text, g.start, g.end)}"))
    p_by_span = {(s.start, s.end): s for k, s in enumerate(p_err) if k not in used_p}
    for i, g in enumerate(g_err):
        if i in used_g:
            continue
        gs = text[g.start : g.end]
        other = p_by_span.pop((g.start, g.end), None)
        if other is not None:
            cls = f"LABEL {g.label}->{other.label}"
        else:
            cls = f"MISSED {g.label} ({_phenomenon(text, g.label, gs)})"
        rows.append((g.start, cls, f"{gs!r}  {_context(text, g.start, g.end)}"))
    for p in p_by_span.values():
        ps = text[p.start : p.end]
        cls = f"SPURIOUS {p.label} ({_phenomenon(text, p.label, ps)})"
        rows.append((p.start, cls, f"{ps!r} ({p.source})  {_context(text, p.start, p.end)}"))
    return sorted(rows)


def error_list(pairs: Iterable[tuple[Document, Document]]) -> tuple[str, Counter[str]]:
    lines: list[str] = []
    classes: Counter[str] = Counter()
    for gold, pred in pairs:
        rows = classify_errors(gold, pred)
        if not rows:
            continue
        lines.append(f"== {gold.id}: {len(gold.spans)} gold, {len(pred.spans)} predicted")
        for _, cls, line in rows:
            classes[cls] += 1
            lines.append(f"  {cls}: {line}")
    lines += ["", "== errors by class"]
    lines += [
        f"  {n:>3}  {cls}" for cls, n in sorted(classes.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return "\n".join(lines) + "\n", classes


# --------------------------------------------------------------------------- scoring
def _micro(result: dict[str, Any], mode: str) -> dict[str, Any]:
    return result[mode]["micro"]


def _scores(gold: Sequence[Document], pred: Sequence[Document]) -> dict[str, Any]:
    r = evaluate(gold, pred)
    return {
        "documents": len(gold),
        "strict": r["strict"],
        "lenient": r["lenient"],
    }


def _row(name: str, res: dict[str, Any], label: str | None = None) -> str:
    s = res["strict"]["micro"] if label is None else res["strict"]["per_label"][label]
    le = res["lenient"]["micro"] if label is None else res["lenient"]["per_label"][label]
    if s["gold"] == 0 and s["pred"] == 0:
        return f"  {name:<24} {0:>4} {0:>4} |      -      -      - |      -"
    return (
        f"  {name:<24} {s['gold']:>4} {s['pred']:>4} | {s['precision']:>6.3f} {s['recall']:>6.3f}"
        f" {s['f1']:>6.3f} | {le['f1']:>6.3f}"
    )


def bench_dev_gold(
    folder: Path, run: Callable[[Document], Document], out: Path, *, held_out_errors: bool = False
) -> dict[str, Any]:
    """Score ``run`` on every gold file of ``folder``; write the error lists to ``out``.

    The held-out part's error lines are written only with ``held_out_errors`` (its counts per
    class always are): rules are developed from the dev part's list.
    """
    files = sorted(folder.glob("*.jsonl"))
    results: dict[str, Any] = {"folder": str(folder), "files": {}}
    errors: dict[str, list[tuple[Document, Document]]] = {"dev": [], "held-out": []}
    print("## (f) development gold per file, label, part and fold\n")
    print(f"  {'set':<24} {'gold':>4} {'pred':>4} | {'sP':>6} {'sR':>6} {'sF1':>6} | {'lF1':>6}")
    for path in files:
        name = path.stem
        gold_groups = read_gold(path)
        gold = [g for g, _ in gold_groups]
        pred = [run(Document(g.id, g.text, meta=dict(g.meta))) for g in gold]
        res: dict[str, Any] = {"all": _scores(gold, pred)}
        print(_row(name, res["all"]))
        for label in LABELS:
            print(_row(f"  {label}", res["all"], label))
        for part in ("dev", "held-out"):
            idx = [k for k, (_, grp) in enumerate(gold_groups) if part_of(grp) == part]
            if not idx:
                continue
            res[part] = _scores([gold[k] for k in idx], [pred[k] for k in idx])
            res[part]["ids"] = [gold[k].id for k in idx]
            print(_row(f"  part {part} ({len(idx)} docs)", res[part]))
            errors[part] += [(gold[k], pred[k]) for k in idx]
        folds: list[float] = []
        for f in range(FOLDS):
            idx = [k for k, (_, grp) in enumerate(gold_groups) if fold_of(grp) == f]
            if idx:
                r = _scores([gold[k] for k in idx], [pred[k] for k in idx])
                folds.append(_micro(r, "strict")["f1"])
        res["folds_strict_f1"] = [round(x, 4) for x in folds]
        res["folds_mean"] = round(statistics.mean(folds), 4) if folds else None
        res["folds_sd"] = round(statistics.pstdev(folds), 4) if len(folds) > 1 else None
        print(
            f"  {'  folds (strict F1)':<24} "
            + " ".join(f"{x:.3f}" for x in folds)
            + f"  mean {res['folds_mean']:.3f} sd {res['folds_sd']:.3f}"
        )
        results["files"][name] = res
    for part, pairs in errors.items():
        report, classes = error_list(pairs)
        target = out / f"ner_dev_errors_{part}.txt"
        if part == "held-out" and not held_out_errors:
            report = report[report.index("== errors by class") :]
        target.write_text(report, encoding="utf-8")
        results[f"error_classes_{part}"] = dict(classes.most_common())
        print(f"\n  errors ({part}): {target}, {sum(classes.values())} in {len(classes)} classes")
    print()
    return results


# --------------------------------------------------------------------------- Chinese numerals
_ZH_UNITS = (("毫升", "mL", 1.0), ("毫克", "mg", 1.0), ("微克", "mg", 1e-3), ("单位", "U", 1.0))
_CARRIERS = ("每次静脉注射{x}，", "给予{x}口服", "术中局部注射{x}。", "共输注{x}")


def chinese_numeral_cases(n: int = 1000, seed: int = 13) -> list[tuple[str, str, float, str]]:
    """``(text, numeral + unit, value, unit)``: amounts written in Chinese numerals by
    cn2an's own writer (an2cn) plus the colloquial and mixed forms (两, 一万二, 1.5万),
    generated from a fixed seed; cell counts use 个细胞."""
    import random

    import cn2an  # type: ignore[import-untyped,unused-ignore]

    rng = random.Random(seed)
    out: list[tuple[str, str, float, str]] = []
    for k in range(n):
        form = k % 5
        if form == 0:  # decimals: 零点五, 一点二五
            value = round(rng.choice([0.1, 0.25, 0.5, 0.75, 1.5, 2.5]) * rng.choice([1, 1, 10]), 3)
        elif form == 1:  # hundreds to millions
            value = float(rng.randint(1, 99) * 10 ** rng.randint(1, 5))
        elif form == 2:  # cell counts with magnitudes in a row: 两千五百万, 三亿五千万
            value = float(rng.randint(1, 99) * 10 ** rng.randint(5, 7))
        elif form == 3:  # colloquial: digits after a magnitude (一万二 = 12000)
            value = float(rng.randint(1, 9) * 10000 + rng.randint(1, 9) * 1000)
        else:  # Arabic digits with Chinese units: 1.5万, 3千万
            value = float(rng.choice([1.5, 2, 3, 5, 2.5]) * rng.choice([1e4, 1e6, 1e7]))
        if form == 3:
            num = cn2an.an2cn(int(value // 10000)) + "万" + cn2an.an2cn(int(value % 10000 // 1000))
        elif form == 4:
            mant = value / 1e4 if value < 1e6 else value / 1e6 if value < 1e7 else value / 1e7
            mag = "万" if value < 1e6 else "百万" if value < 1e7 else "千万"
            num = f"{mant:g}{mag}"
        else:
            num = cn2an.an2cn(value if value % 1 else int(value), "low")
            if num.startswith("二") and rng.random() < 0.5:
                num = "两" + num[1:]
        if form == 2:
            unit_zh, unit, factor = "个细胞", "cells", 1.0
        else:
            unit_zh, unit, factor = _ZH_UNITS[rng.randrange(len(_ZH_UNITS))]
        amount = num + unit_zh
        out.append((rng.choice(_CARRIERS).format(x=amount), amount, value * factor, unit))
    return out


def bench_chinese_numerals(n: int = 1000) -> dict[str, Any]:
    """DOSE spans and ``norm`` values for amounts written in Chinese numerals."""
    from annotkit.annotate.dose import find_doses

    right_span = right_norm = 0
    wrong: list[str] = []
    for text, amount, value, unit in chinese_numeral_cases(n):
        doses = find_doses(text)
        start = text.index(amount)
        hit = [d for d in doses if (d.start, d.end) == (start, start + len(amount))]
        if hit:
            right_span += 1
            got = hit[0].norm
            if got.get("unit") == unit and abs(got["value"] - value) <= 1e-9 * max(1.0, value):
                right_norm += 1
                continue
            wrong.append(f"{amount}: {got} (want {value:g} {unit})")
        else:
            wrong.append(f"{amount}: spans {[text[d.start : d.end] for d in doses]}")
    res = {
        "cases": n,
        "span_exact": right_span,
        "norm_right": right_norm,
        "norm_accuracy": round(right_norm / n, 4),
        "examples_wrong": wrong[:20],
    }
    print("## (g) DOSE on amounts written in Chinese numerals (generated)\n")
    print(
        f"  {n} cases: span exact {right_span} ({100 * right_span / n:.1f} %), "
        f"norm right {right_norm} ({100 * right_norm / n:.1f} %)"
    )
    for w in wrong[:8]:
        print(f"    {w}")
    print()
    return res


# --------------------------------------------------------------------------- before/after
def compare_tables(before: dict[str, Any], after: dict[str, Any]) -> str:
    """Markdown tables (per file and label, strict and lenient; parts; folds) from two
    ``ner.json`` results' ``dev_gold`` sections."""
    rows = [
        "| set | label | gold | strict P (after) | strict R (after) | "
        "strict F1 (before → after) | lenient F1 (before → after) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    parts = [
        "| set | part | docs | gold | strict F1 (before → after) | lenient F1 (before → after) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    folds = [
        "| set | 5 folds, strict F1 (after) | mean ± sd after | mean ± sd before |",
        "|---|---|---:|---:|",
    ]
    for name, res in after["files"].items():
        old = before["files"].get(name, {})
        for label in (*LABELS, "micro"):

            def block(r: dict[str, Any], mode: str, lab: str = label) -> dict[str, Any]:
                b = r["all"][mode]
                return b["micro"] if lab == "micro" else b["per_label"][lab]

            s, le = block(res, "strict"), block(res, "lenient")
            if s["gold"] == 0 and s["pred"] == 0:
                continue
            os_, ol = (block(old, "strict"), block(old, "lenient")) if old else (None, None)
            f = (lambda x: f"{x['f1']:.3f}") if old else (lambda x: "-")
            lab = f"**{label}**" if label == "micro" else label
            rows.append(
                f"| {name} | {lab} | {s['gold']} | {s['precision']:.3f} | {s['recall']:.3f} | "
                f"{f(os_) if os_ else '-'} → **{s['f1']:.3f}** | "
                f"{f(ol) if ol else '-'} → {le['f1']:.3f} |"
            )
        for part in ("dev", "held-out"):
            if part not in res:
                continue
            p, op = res[part], old.get(part)
            s, le = p["strict"]["micro"], p["lenient"]["micro"]
            was = (
                f"{op['strict']['micro']['f1']:.3f}" if op else "-",
                f"{op['lenient']['micro']['f1']:.3f}" if op else "-",
            )
            parts.append(
                f"| {name} | {part} | {p['documents']} | {s['gold']} | "
                f"{was[0]} → **{s['f1']:.3f}** | {was[1]} → {le['f1']:.3f} |"
            )
        folds.append(
            f"| {name} | {' '.join(f'{x:.3f}' for x in res['folds_strict_f1'])} | "
            f"{res['folds_mean']:.3f} ± {res['folds_sd']:.3f} | "
            f"{old.get('folds_mean', 0):.3f} ± {old.get('folds_sd', 0):.3f} |"
        )
    return "\n".join(rows) + "\n\n" + "\n".join(parts) + "\n\n" + "\n".join(folds) + "\n"


if __name__ == "__main__":  # python bench/ner_gold.py BEFORE/ner.json AFTER/ner.json
    import sys

    b, a = (json.loads(Path(x).read_text(encoding="utf-8")) for x in sys.argv[1:3])
    print(compare_tables(b["dev_gold"], a["dev_gold"]))
