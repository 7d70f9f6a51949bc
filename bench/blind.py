"""Blind NER test sets (``bench/blind*/wmt-biomed.jsonl``): rules, and the ensemble with a model.

The set holds references, hashes and hand-made spans only; the texts are rebuilt from the
shared data (every line's SHA-1 and length are checked) and each line is one document. The
default engine is the pipeline ``annotkit annotate`` runs (``annotkit.pipeline.run_document``:
detect, align, annotate with ``engine="rules"``); ``--model DIR`` adds the ensemble with that
stanza model folder. Reported per language and label: strict and lenient P/R/F1 with 95 %
bootstrap intervals (percentiles; the lines of one language are resampled with replacement,
``--samples`` times, fixed ``--seed``). Strict errors are classified (missed / spurious /
boundary / label, ``bench/ner_gold.classify_errors``) into ``OUT/errors_<engine>.txt``;
``OUT/blind.json`` has every number. ``--set`` picks the set: ``blind`` (the first,
``bench/blind/``, default), ``blind2`` (the second, ``bench/blind2/``) or a JSONL path; ``OUT``
defaults to ``bench/out/<set>``.

Usage:
    .venv/bin/python bench/blind.py ../shared/data/align/wmt-biomed-pairs
    .venv/bin/python bench/blind.py ../shared/data/align/wmt-biomed-pairs --model MODEL_DIR
    .venv/bin/python bench/blind.py ../shared/data/align/wmt-biomed-pairs --set blind2
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotkit.doc import LABELS, Document, Span
from annotkit.evaluate import evaluate
from annotkit.io import write_jsonl
from annotkit.record import document_to_record

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ner_gold import classify_errors  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SETS = {name: ROOT / "bench" / name / "wmt-biomed.jsonl" for name in ("blind", "blind2")}
SET = SETS["blind"]
LANGS = ("en", "zh")
MODES = ("strict", "lenient")
Tally = dict[str, dict[str, tuple[int, int, int]]]  # mode -> label -> (tp, fp, fn)


class BlindSetError(Exception):
    """The set or the shared data does not match; the message says where and what to do."""


@dataclass(frozen=True, slots=True)
class Item:
    """One line of the set: its gold document and its stratum."""

    gold: Document
    lang: str
    stratum: str


def _lines(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def load_set(set_path: Path, data: Path) -> list[Item]:
    """Rebuild every referenced line from ``data`` and check it against its hash."""
    cache: dict[str, list[str]] = {}
    items: list[Item] = []
    for n, raw in enumerate(set_path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        rec = json.loads(raw)
        where = f"{set_path}:{n} ({rec.get('id')})"
        source = data / rec["source"]
        if rec["source"] not in cache:
            if not source.is_file():
                raise BlindSetError(
                    f"{where}: {source} not found ; pass the wmt-biomed-pairs folder as DATA"
                )
            cache[rec["source"]] = _lines(source)
        lines = cache[rec["source"]]
        if not 1 <= rec["line"] <= len(lines):
            raise BlindSetError(
                f"{where}: line {rec['line']} beyond the {len(lines)} lines of {source} ;"
                " use the wmt-biomed-pairs copy the set was made from"
            )
        text = lines[rec["line"] - 1]
        digest = hashlib.sha1(text.encode("utf-8")).hexdigest()
        if digest != rec["sha1"] or len(text) != rec["length"]:
            raise BlindSetError(
                f"{where}: {source}:{rec['line']} has SHA-1 {digest}, the set says {rec['sha1']}"
                " ; the shared data changed: use the original copy or re-annotate that line"
            )
        spans = tuple(Span(s, e, lab, source="gold") for s, e, lab in rec["label"])
        meta = {"source": rec["source"], "line": rec["line"], "stratum": rec["stratum"]}
        gold = Document(rec["id"], text, spans=spans, meta=meta)
        items.append(Item(gold, rec["lang"], rec["stratum"]))
    if not items:
        raise BlindSetError(f"{set_path}: no records ; is this the blind set file?")
    return items


def engine(name: str, model: str | None) -> Callable[[Document], Document]:
    """The pipeline's document function for ``rules`` or ``ensemble`` (with ``model``)."""
    from annotkit.pipeline import run_document

    def run(doc: Document) -> Document:
        return run_document(doc, engine=name, model=model).doc

    return run


# --------------------------------------------------------------------------- scoring
def tally(gold: Document, pred: Document) -> Tally:
    """Per-label ``(tp, fp, fn)`` of one document, strict and lenient."""
    res = evaluate([gold], [pred])
    return {
        mode: {lab: (c["tp"], c["fp"], c["fn"]) for lab, c in res[mode]["per_label"].items()}
        for mode in MODES
    }


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _sum(tallies: Sequence[Tally], mode: str, labels: Sequence[str]) -> tuple[int, int, int]:
    tp = fp = fn = 0
    for t in tallies:
        for lab in labels:
            a, b, c = t[mode][lab]
            tp, fp, fn = tp + a, fp + b, fn + c
    return tp, fp, fn


def _percentile(values: list[float], q: float) -> float:
    xs = sorted(values)
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def score(tallies: Sequence[Tally], *, samples: int, seed: int) -> dict[str, Any]:
    """P/R/F1 per mode and label (and micro) with percentile bootstrap 95 % intervals."""
    groups: dict[str, tuple[str, ...]] = {lab: (lab,) for lab in LABELS}
    groups["micro"] = LABELS
    rng = random.Random(seed)
    draws = [[rng.randrange(len(tallies)) for _ in tallies] for _ in range(samples)]
    out: dict[str, Any] = {"lines": len(tallies)}
    for mode in MODES:
        out[mode] = {}
        for name, labels in groups.items():
            tp, fp, fn = _sum(tallies, mode, labels)
            p, r, f = prf(tp, fp, fn)
            boot: dict[str, list[float]] = {"precision": [], "recall": [], "f1": []}
            for draw in draws:
                bp, br, bf = prf(*_sum([tallies[i] for i in draw], mode, labels))
                boot["precision"].append(bp)
                boot["recall"].append(br)
                boot["f1"].append(bf)
            ci = {k: (_percentile(v, 0.025), _percentile(v, 0.975)) for k, v in boot.items()}
            out[mode][name] = {
                "gold": tp + fn,
                "pred": tp + fp,
                "tp": tp,
                "precision": p,
                "recall": r,
                "f1": f,
                "ci95": ci,
            }
    return out


def _cell(block: dict[str, Any], key: str) -> str:
    lo, hi = block["ci95"][key]
    return f"{block[key]:.3f} ({lo:.2f}–{hi:.2f})"


def table(results: dict[str, dict[str, Any]]) -> str:
    """One markdown table: language, label, counts, strict P/R/F1 and lenient F1."""
    rows = [
        "| lang | label | gold | pred | strict P | strict R | strict F1 | lenient P | lenient R"
        " | lenient F1 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for lang, res in results.items():
        for name in ("micro", *LABELS):
            s, le = res["strict"][name], res["lenient"][name]
            rows.append(
                f"| {lang} | {name} | {s['gold']} | {s['pred']} | {_cell(s, 'precision')} | "
                f"{_cell(s, 'recall')} | **{_cell(s, 'f1')}** | {_cell(le, 'precision')} | "
                f"{_cell(le, 'recall')} | {_cell(le, 'f1')} |"
            )
    return "\n".join(rows)


# --------------------------------------------------------------------------- errors
def errors(items: Sequence[Item], preds: Sequence[Document]) -> tuple[str, Counter[str]]:
    """The strict error list, by line, and the count per coarse class and language."""
    lines: list[str] = []
    coarse: Counter[str] = Counter()
    fine: Counter[str] = Counter()
    for item, pred in zip(items, preds, strict=True):
        rows = classify_errors(item.gold, pred)
        if not rows:
            continue
        lines.append(f"== {item.gold.id} [{item.stratum}]")
        for _, cls, line in rows:
            lines.append(f"  {cls}: {line}")
            fine[f"{item.lang} {cls}"] += 1
            kind, label = cls.split()[:2]
            coarse[f"{item.lang} {kind} {label.split('->')[0]}"] += 1
    lines += ["", "== errors by class (language, class, label)"]
    lines += [f"  {n:>3}  {c}" for c, n in sorted(coarse.items(), key=lambda kv: (-kv[1], kv[0]))]
    lines += ["", "== errors by detailed class"]
    lines += [f"  {n:>3}  {c}" for c, n in sorted(fine.items(), key=lambda kv: (-kv[1], kv[0]))]
    return "\n".join(lines) + "\n", coarse


def bench(
    items: Sequence[Item], name: str, run: Callable[[Document], Document], out: Path, **kw: Any
) -> dict[str, Any]:
    t0 = time.perf_counter()
    preds = [run(Document(i.gold.id, i.gold.text, meta=dict(i.gold.meta))) for i in items]
    seconds = time.perf_counter() - t0
    write_jsonl((document_to_record(d) for d in preds), out / f"pred_{name}.jsonl")
    tallies = [tally(i.gold, p) for i, p in zip(items, preds, strict=True)]
    results = {
        lang: score([t for i, t in zip(items, tallies, strict=True) if i.lang == lang], **kw)
        for lang in LANGS
    }
    report, classes = errors(items, preds)
    (out / f"errors_{name}.txt").write_text(report, encoding="utf-8")
    print(f"## {name} ({len(items)} lines, {seconds:.1f} s)\n")
    print(table(results))
    print(f"\nerrors: {out / f'errors_{name}.txt'}")
    for cls, n in classes.most_common(12):
        print(f"  {n:>3}  {cls}")
    print()
    return {"seconds": round(seconds, 2), "scores": results, "error_classes": dict(classes)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data", type=Path, help="../shared/data/align/wmt-biomed-pairs")
    ap.add_argument(
        "--set",
        default="blind",
        help=f"the blind set: {' or '.join(SETS)} (default blind) or a JSONL path",
    )
    ap.add_argument("--model", help="stanza model folder (or NAME/VERSION): adds the ensemble")
    ap.add_argument("--samples", type=int, default=2000, help="bootstrap resamples")
    ap.add_argument("--seed", type=int, default=7, help="bootstrap seed")
    ap.add_argument("--out", type=Path, help="output folder (default bench/out/<set>)")
    args = ap.parse_args(argv)
    if args.samples < 1:
        ap.error("--samples must be at least 1")
    set_path = SETS.get(args.set, Path(args.set))
    if not set_path.is_file():
        ap.error(f"--set {args.set}: no such set file ; use {' or '.join(SETS)} or a JSONL path")
    if args.out is None:
        args.out = ROOT / "bench" / "out" / (args.set if args.set in SETS else set_path.parent.name)
    try:
        items = load_set(set_path, args.data)
    except (BlindSetError, OSError, KeyError, json.JSONDecodeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    counts = Counter((i.lang, s.label) for i in items for s in i.gold.spans)
    print(f"blind set: {len(items)} lines, spans {dict(sorted(counts.items()))}\n")
    kw = {"samples": args.samples, "seed": args.seed}
    results: dict[str, Any] = {"set": str(set_path), "samples": args.samples, "seed": args.seed}
    results["rules"] = bench(items, "rules", engine("rules", None), args.out, **kw)
    if args.model:
        results["model"] = args.model
        results["ensemble"] = bench(
            items, "ensemble", engine("ensemble", args.model), args.out, **kw
        )
    (args.out / "blind.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
