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

__all__ = ["bench_dev_gold", "doc_group", "fold_of", "part_of", "read_gold"]

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
