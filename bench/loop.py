"""Benchmark the correction loop: does the learned engine beat the rules on unseen documents?

Parts (``--parts``, default all but ``stanza``):

* **compare**: document-level cross-validation on the dev gold (``--gold-dev``): English =
  ``en.jsonl``; Chinese = ``zh.jsonl`` + ``zh_dose.jsonl`` pooled (Medline and DOSE passages).
  Outer folds hold documents out; on the rest, ``annotkit.learn.trainer.learn`` runs exactly
  what ``annotkit train`` runs (its own inner cross-validation, policy, calibration, final
  fit), and the systems below predict the held-out documents. Repeated with ``--repeats``
  different fold partitions. Reported: pooled strict micro F1 per file (mean ± sd over
  repeats) and the per-fold difference to the rules (mean ± sd, min, max over folds).
  Systems: ``rules``; ``terms`` (rules + project terms and exclusions, always);
  ``vocab-policy`` (rules or terms per label/language, chosen on held-out data); ``crf``
  (the sequence model alone); ``rules>crf`` (the rules win, the CRF fills gaps: the old
  ensemble policy with the CRF as model); ``crf>rules`` (the CRF wins, rules fill gaps);
  ``learned`` (the learned policy over rules, terms and CRF: what ``annotkit train``
  writes). ``--crf-grid`` adds CRF regularisation variants of ``learned``.
* **stanza**: the stanza tagger trained with the small-data settings of ``annotkit train``
  in each outer fold: ``stanza`` alone, ``rules>stanza`` (today's ensemble) and
  ``learned+stanza`` (stanza as a fourth source of the policy; one more stanza run per inner
  fold). Slow (one to five minutes per stanza run on the shared 2 cores), so one repeat of
  ``--stanza-folds`` outer and ``--stanza-inner-folds`` inner folds.
* **curves**: learning curves on the held-out fold of each outer split: start from
  ``--curve-start`` random documents, add ``--curve-step`` at a time either in random order
  or in the order ``annotkit rank`` gives (the model trained so far ranks the rest of the
  pool), score the learned engine on the held-out fold.
* **calibration** (also run with compare): the learned engine's held-out spans binned by
  ``score``: mean score against the share that was right, and the expected calibration error.
* **recurrence** (also run with compare): how many of the rules' errors on each file recur
  in another document (the most any learning from other documents could fix).
* **jnlpba** (``--jnlpba DIR``): a project whose annotators follow other conventions than the
  guidelines, on documents the rules were never developed on. JNLPBA's ``cell_type`` spans
  (GENIA conventions: "activated T cells", lineages, no cell lines) are the corrections, as
  ``CELL_TYPE``. Random samples of ``--jnlpba-sizes`` abstracts of its training file
  (``--repeats`` samples per size) train the learned engine (what ``annotkit train`` runs);
  it and the rules predict all 200 devel abstracts; strict CELL_TYPE F1 (P, R). Then
  learning curves from ``--repeats`` pools of ``--jnlpba-pool`` training abstracts: start
  from ``--jnlpba-start``, add ``--jnlpba-step`` at a time up to ``--jnlpba-stop``, in
  random or ``annotkit rank`` order.
* **timing**: ``annotkit train`` (``train_learned``) on 30 documents (``en.jsonl`` + the
  first 2 of ``zh.jsonl``), wall seconds: the default (no stanza: the policy could not use
  it) and with the stanza tagger trained into the folder (``stanza=True``).
* **workers**: ``annotkit train --workers N`` (``--workers``, default 2) against one process
  on the same 30 documents, and with ``--jnlpba`` on one random sample of each
  ``--jnlpba-sizes`` JNLPBA training abstracts: wall seconds, and whether the model files
  are byte-identical.
* **doccano**: the same 30 documents through a real local doccano server: pushed, corrected
  to the gold and confirmed by an annotator over REST, then ``doccano pull`` -> ``annotkit
  train`` -> ``models promote`` as CLI processes, timed end to end.

Usage (numbers in docs/benchmarks.md):
    .venv/bin/python bench/loop.py --gold-dev ../shared/data/ner/gold-dev --out bench/out/loop
    .venv/bin/python bench/loop.py --gold-dev ../shared/data/ner/gold-dev --parts stanza
    .venv/bin/python bench/loop.py --gold-dev ../shared/data/ner/gold-dev --parts doccano
    .venv/bin/python bench/loop.py --gold-dev ../shared/data/ner/gold-dev --parts jnlpba \
        --jnlpba ../shared/data/ner/jnlpba
    .venv/bin/python bench/loop.py --gold-dev ../shared/data/ner/gold-dev --parts workers \
        --jnlpba ../shared/data/ner/jnlpba --jnlpba-sizes 100,300
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from annotkit.doc import Document, Span
from annotkit.evaluate import evaluate
from annotkit.io import read_documents
from annotkit.learn.engine import Analysis, Components, analyse, decide
from annotkit.learn.policy import Policy
from annotkit.learn.rank import rank_analyses
from annotkit.learn.trainer import LearnConfig, learn, rules_proposals, select_policy
from annotkit.split import fold_documents

FIXED = ("terms", "crf", "rules>crf", "crf>rules")


def _fixed(strategy: str) -> Policy:
    labels = ("CELL_TYPE", "DOSE", "SCALE")
    return Policy({lab: {"en": strategy, "zh": strategy} for lab in labels})


def f1(gold: Sequence[Document], pred: Sequence[Document]) -> float:
    if not gold:
        return 0.0
    return float(evaluate(gold, pred)["strict"]["micro"]["f1"])


def _log(*parts: Any) -> None:
    print(*parts, file=sys.stderr, flush=True)


def systems_for(
    learned: Any, analyses: Sequence[tuple[Document, Analysis]]
) -> dict[str, list[Document]]:
    """Every compared system's predictions for held-out analyses."""
    out: dict[str, list[Document]] = {
        "rules": [replace(d, spans=an.sources["rules"]) for d, an in analyses]
    }
    vocab_policy = select_policy(learned.heldout, ["terms", "rules"])
    for name in FIXED:
        out[name] = [replace(d, spans=decide(an, _fixed(name))) for d, an in analyses]
    out["vocab-policy"] = [replace(d, spans=decide(an, vocab_policy)) for d, an in analyses]
    out["learned"] = [replace(d, spans=decide(an, learned.policy)) for d, an in analyses]
    return out


def outer_cv(
    docs: list[Document],
    *,
    folds: int,
    repeats: int,
    config: LearnConfig,
    extra: Callable[[list[Document], list[Document], Any], dict[str, list[Document]]] | None = None,
    label: str = "",
) -> dict[str, Any]:
    """Predictions of every system for every document, per repeat, and per-fold F1."""
    rules_of = rules_proposals(docs)
    runs: list[dict[str, Any]] = []
    for r in range(repeats):
        parts = fold_documents(docs, folds, seed=f"outer{r}")
        preds: dict[str, dict[str, Document]] = {}
        fold_rows = []
        for i, test in enumerate(parts):
            train = [d for j, p in enumerate(parts) if j != i for d in p]
            t0 = time.perf_counter()
            learned = learn(train, replace(config, seed=f"r{r}f{i}"))
            analyses = [(d, analyse(d, learned.comps, rules=rules_of[d.id])) for d in test]
            systems = systems_for(learned, analyses)
            if extra is not None:
                systems.update(extra(train, test, learned))
            row = {"repeat": r, "fold": i, "test": [d.id for d in test],
                   "seconds": round(time.perf_counter() - t0, 1)}  # fmt: skip
            for name, pred in systems.items():
                row[name] = f1(test, pred)
                for d in pred:
                    preds.setdefault(name, {})[d.id] = d
            fold_rows.append(row)
            _log(label, f"repeat {r} fold {i}", {k: round(v, 3) for k, v in row.items()
                                                 if isinstance(v, float)})  # fmt: skip
        runs.append({"predictions": preds, "folds": fold_rows})
    return {"runs": runs}


def summarise(docs_by_file: dict[str, list[Document]], cv: dict[str, Any]) -> dict[str, Any]:
    """Pooled F1 per file and system (mean ± sd over repeats), per-fold deltas vs rules."""
    out: dict[str, Any] = {"files": {}, "fold_delta": {}}
    systems = list(cv["runs"][0]["predictions"])
    for fname, docs in docs_by_file.items():
        rows: dict[str, Any] = {}
        for name in systems:
            vals = [f1(docs, [run["predictions"][name][d.id] for d in docs]) for run in cv["runs"]]
            rows[name] = {"mean": statistics.mean(vals), "sd": _sd(vals), "runs": vals}
        out["files"][fname] = rows
    for name in systems:
        deltas = [row[name] - row["rules"] for run in cv["runs"] for row in run["folds"]]
        out["fold_delta"][name] = {"mean": statistics.mean(deltas), "sd": _sd(deltas),
                                   "min": min(deltas), "max": max(deltas),
                                   "worse_folds": sum(1 for x in deltas if x < -1e-9),
                                   "folds": len(deltas)}  # fmt: skip
    return out


def reliability(docs_by_file: dict[str, list[Document]], cv: dict[str, Any]) -> dict[str, Any]:
    """Calibration of the learned engine's scores on held-out documents: per score bin, the
    mean score and the share of spans that were right (strict), and the expected
    calibration error (ECE, weighted by spans)."""
    docs = [d for f in docs_by_file.values() for d in f]
    pairs: list[tuple[float, bool]] = []
    for run in cv["runs"]:  # every repeat predicts every document once
        for d in docs:
            gold = {s.key for s in d.spans}
            pred = run["predictions"]["learned"][d.id]
            pairs.extend((s.score or 0.0, s.key in gold) for s in pred.spans)
    edges = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0001)
    rows = []
    ece = 0.0
    for lo, hi in zip(edges, edges[1:], strict=False):
        b = [(sc, ok) for sc, ok in pairs if lo <= sc < hi]
        if not b:
            continue
        mean = statistics.mean(sc for sc, _ in b)
        acc = sum(ok for _, ok in b) / len(b)
        ece += len(b) / len(pairs) * abs(mean - acc)
        rows.append({"bin": [lo, min(hi, 1.0)], "spans": len(b), "mean_score": round(mean, 3),
                     "precision": round(acc, 3)})  # fmt: skip
    return {"spans": len(pairs), "ece": round(ece, 4), "bins": rows}


def reliability_table(rel: dict[str, Any], title: str) -> str:
    head = f"#### {title}: calibration of `score` (ECE {rel['ece']:.3f}, {rel['spans']} spans)"
    lines = [head, "", "| score bin | spans | mean score | share right |", "|---|---|---|---|"]
    for r in rel["bins"]:
        lines.append(f"| [{r['bin'][0]:.2f}, {r['bin'][1]:.2f}) | {r['spans']} | "
                     f"{r['mean_score']:.3f} | {r['precision']:.3f} |")  # fmt: skip
    return "\n".join(lines)


def _sd(vals: Sequence[float]) -> float:
    return statistics.stdev(vals) if len(vals) > 1 else 0.0


def table(summary: dict[str, Any], title: str) -> str:
    files = list(summary["files"])
    systems = list(summary["fold_delta"])
    head = "| system | " + " | ".join(f"{f} F1" for f in files) + " | Δ vs rules per fold |"
    lines = [f"#### {title}", "", head, "|---" * (len(files) + 2) + "|"]
    for name in systems:
        cells = [
            f"{summary['files'][f][name]['mean']:.3f} ± {summary['files'][f][name]['sd']:.3f}"
            for f in files
        ]
        d = summary["fold_delta"][name]
        delta = (f"{100 * d['mean']:+.1f} ± {100 * d['sd']:.1f} pts "
                 f"[{100 * d['min']:+.1f}, {100 * d['max']:+.1f}], worse in "
                 f"{d['worse_folds']}/{d['folds']}")  # fmt: skip
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {delta} |")
    return "\n".join(lines)


def variant(config: LearnConfig, spec: str) -> LearnConfig:
    """``target=delta``, ``c1=0.2,c2=0.01``, ``folds=3`` -> a changed LearnConfig."""
    crf = config.crf
    for item in spec.split(","):
        key, _, value = item.partition("=")
        if key == "target":
            config = replace(config, target=value)
        elif key in ("c1", "c2"):
            crf = replace(crf, **{key: float(value)})
        elif key in ("folds", "cross_fit"):
            config = replace(config, **{key: int(value)})
        else:
            raise SystemExit(f"unknown variant key {key!r}")
    return replace(config, crf=crf)


def error_recurrence(docs: list[Document]) -> dict[str, Any]:
    """The rules' errors on ``docs`` and how many recur in another document: what learning
    from *other* documents can fix under document-level cross-validation. An error is a
    missed gold span (FN) or a wrong prediction (FP), keyed by kind, label and lower-cased
    surface; it *recurs* when the same key occurs in two or more documents."""
    import re

    def shape(surface: str) -> str:
        out = re.sub(r"[0-9]+", "0", surface)
        out = re.sub(r"[a-z]+", "a", out)
        out = re.sub(r"[A-Z]+", "A", out)
        return re.sub(r"[\u3400-\u9fff]+", "H", out)

    where: dict[tuple[str, str, str], set[str]] = {}
    shapes: dict[tuple[str, str, str], set[str]] = {}
    rules_of = rules_proposals(docs)
    for d in docs:
        gold = {s.key for s in d.spans}
        pred = {s.key for s in rules_of[d.id]}
        for key in gold ^ pred:
            kind = "FN" if key in gold else "FP"
            surface = d.text[key[0] : key[1]]
            where.setdefault((kind, key[2], surface.lower()), set()).add(d.id)
            shapes.setdefault((kind, key[2], shape(surface)), set()).add(d.id)
    errors = sum(
        1 for d in docs for _ in {s.key for s in d.spans} ^ {s.key for s in rules_of[d.id]}
    )
    recurring = {k: sorted(v) for k, v in where.items() if len(v) > 1}
    by_shape = {k: sorted(v) for k, v in shapes.items() if len(v) > 1}
    shape_errors = sum(1 for k in by_shape for _ in by_shape[k])
    top = sorted(by_shape.items(), key=lambda kv: -len(kv[1]))[:6]
    return {"documents": len(docs), "errors": errors, "distinct": len(where),
            "recurring": len(recurring), "recurring_shapes": len(by_shape),
            "documents_with_a_recurring_shape_error": shape_errors,
            "top_shapes": [[*k, len(v)] for k, v in top]}  # fmt: skip


# --------------------------------------------------------------------------- stanza
def stanza_extra(
    *, epochs: int, min_steps: int, inner_folds: int
) -> Callable[[list[Document], list[Document], Any], dict[str, list[Document]]]:
    from annotkit.annotate.ner import NerModel
    from annotkit.learn.trainer import _stanza_fold_predictor
    from annotkit.train import train_stanza

    def extra(train: list[Document], test: list[Document], learned: Any) -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="loop-stanza-") as tmp:
            train_stanza(train, train, tmp, name="loop", epochs=epochs, min_steps=min_steps)
            model = NerModel(str(Path(tmp).resolve()), "loop/cv")
            spans = [tuple(p) for p in model.predict_many(test)]
        rules_of = rules_proposals(test)
        out: dict[str, list[Document]] = {}
        out["stanza"] = [replace(d, spans=s) for d, s in zip(test, spans, strict=True)]
        ens = []
        for d, s in zip(test, spans, strict=True):
            kept = list(rules_of[d.id])
            for sp in s:
                if not any(sp.start < k.end and k.start < sp.end for k in kept):
                    kept.append(sp)
            ens.append(replace(d, spans=tuple(sorted(kept, key=lambda x: (x.start, x.end)))))
        out["rules>stanza"] = ens
        predictor = _stanza_fold_predictor(name="loop", seed=1234, epochs=epochs,
                                           min_steps=min_steps, log=None)  # fmt: skip
        cfg = LearnConfig(folds=inner_folds)
        with_st = learn(train, cfg, stanza_of=predictor)
        comps = Components(with_st.comps.vocab, with_st.comps.crf, None)
        pred = []
        for d, s in zip(test, spans, strict=True):
            an = analyse(d, comps, rules=rules_of[d.id], stanza_spans=s)
            pred.append(replace(d, spans=decide(an, with_st.policy)))
        out["learned+stanza"] = pred
        _log("stanza policy", json.dumps(with_st.policy.choices))
        return out

    return extra


# --------------------------------------------------------------------------- curves
Score = Callable[[Sequence[Document], Sequence[Document]], float]


def curve(
    pool: list[Document],
    test: list[Document],
    *,
    rules_of: dict[str, tuple[Span, ...]],
    start: int,
    step: int,
    stop: int | None,
    seed: int,
    config: LearnConfig,
    score: Score = f1,
    tag: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """F1 on ``test`` as documents of ``pool`` are added in random or ranked order (the model
    trained so far ranks the rest of the pool), up to ``stop`` documents (None: all)."""
    rows: list[dict[str, Any]] = []
    rules_f1 = score(test, [replace(d, spans=rules_of[d.id]) for d in test])
    order = pool[:]
    random.Random(seed).shuffle(order)
    limit = len(order) if stop is None else min(stop, len(order))
    for mode in ("random", "ranked"):
        labelled = order[:start]
        rest = order[start:]
        while True:
            learned = learn(labelled, config)
            preds = [replace(d, spans=decide(analyse(d, learned.comps, rules=rules_of[d.id]),
                                             learned.policy)) for d in test]  # fmt: skip
            rows.append({**(tag or {}), "mode": mode, "documents": len(labelled),
                         "tokens": sum(len(d.text) for d in labelled),  # characters
                         "f1": score(test, preds), "rules": rules_f1})  # fmt: skip
            _log("curve", rows[-1])
            if not rest or len(labelled) >= limit:
                break
            if mode == "random":
                nxt = rest[:step]
            else:
                ans = [(d, analyse(d, learned.comps, rules=rules_of[d.id])) for d in rest]
                ids = {r.id for r in rank_analyses(ans, learned.policy)[:step]}
                nxt = [d for d in rest if d.id in ids]
            labelled = labelled + nxt
            rest = [d for d in rest if d.id not in {x.id for x in nxt}]
    return rows


def curves(
    docs: list[Document], *, folds: int, start: int, step: int, seed: int, config: LearnConfig
) -> dict[str, Any]:
    """F1 on each held-out fold as documents are added in random or ranked order."""
    rows = []
    rules_of = rules_proposals(docs)
    parts = fold_documents(docs, folds, seed="curves")
    for i, test in enumerate(parts):
        pool = [d for j, p in enumerate(parts) if j != i for d in p]
        rows += curve(pool, test, rules_of=rules_of, start=start, step=step, stop=None,
                      seed=seed + i, config=config, tag={"fold": i})  # fmt: skip
    return {"rows": rows}


def curve_table(rows: list[dict[str, Any]], title: str) -> str:
    """Mean F1 over the held-out folds at each size every fold reached, then with the whole
    pool (whose size differs by a document or two between folds)."""
    folds = sorted({r["fold"] for r in rows})
    full = {f: max(r["documents"] for r in rows if r["fold"] == f) for f in folds}
    sizes = sorted({r["documents"] for r in rows if r["documents"] < min(full.values())})
    head = "| documents | random F1 | ranked F1 | rules F1 | characters random / ranked |"
    lines = [f"#### {title}", "", head, "|---|---|---|---|---|"]

    def at(r: dict[str, Any], n: int | None) -> bool:
        return bool(r["documents"] == (n if n is not None else full[r["fold"]]))

    for n in [*sizes, None]:
        cells, toks = [], []
        for mode in ("random", "ranked"):
            sel = [r for r in rows if r["mode"] == mode and at(r, n)]
            cells.append(f"{statistics.mean(r['f1'] for r in sel):.3f}" if sel else "-")
            toks.append(f"{statistics.mean(r['tokens'] for r in sel):.0f}" if sel else "-")
        base = [r["rules"] for r in rows if r["mode"] == "random" and at(r, n)]
        label = str(n) if n is not None else f"all ({'/'.join(str(full[f]) for f in folds)})"
        lines.append(f"| {label} | {cells[0]} | {cells[1]} | {statistics.mean(base):.3f} | "
                     f"{toks[0]} / {toks[1]} |")  # fmt: skip
    return "\n".join(lines)


# --------------------------------------------------------------------------- jnlpba
def jnlpba_documents(path: Path, prefix: str) -> list[Document]:
    """JNLPBA abstracts with their ``cell_type`` spans as CELL_TYPE (tokens joined by spaces,
    as ``bench/ner.py`` rebuilds them)."""
    from ner import read_bio_documents  # bench/ner.py, beside this script

    return [
        Document(f"{prefix}-{n:04d}", text, tuple(Span(a, b, "CELL_TYPE") for a, b in spans))
        for n, (_id, text, spans) in enumerate(read_bio_documents(path, "cell_type"))
    ]


def cell_scores(gold: Sequence[Document], pred: Sequence[Document]) -> dict[str, float]:
    """Strict CELL_TYPE precision, recall and F1 (the gold has no other label)."""
    only = [replace(d, spans=tuple(s for s in d.spans if s.label == "CELL_TYPE")) for d in pred]
    got = evaluate(gold, only)["strict"]["micro"]
    return {k: float(got[k]) for k in ("precision", "recall", "f1")}


def cell_f1(gold: Sequence[Document], pred: Sequence[Document]) -> float:
    return cell_scores(gold, pred)["f1"]


def jnlpba(
    root: Path,
    *,
    sizes: Sequence[int],
    repeats: int,
    pool_size: int,
    start: int,
    step: int,
    stop: int,
    config: LearnConfig,
    clusters: bool = False,
) -> dict[str, Any]:
    """Rules vs the learned engine trained on samples of JNLPBA's training abstracts, on its
    200 devel abstracts (with ``clusters``, also with word clusters built from the texts of
    all training abstracts, as ``annotkit train --corpus`` builds them); then random vs
    ranked learning curves (none when ``stop`` is 0)."""
    from annotkit.learn.clusters import build_clusters

    train = jnlpba_documents(root / "train_excl_devel_from_standoff.bio", "train")
    test = jnlpba_documents(root / "devel.tsv", "devel")
    rules_of = rules_proposals(test)
    rules = cell_scores(test, [replace(d, spans=rules_of[d.id]) for d in test])
    _log("jnlpba rules", rules)
    variants: list[tuple[str, Any]] = [("learned", None)]
    if clusters:
        t0 = time.perf_counter()
        variants.append(("learned+clusters", build_clusters([d.text for d in train], seed=1234)))
        _log("clusters", len(variants[-1][1].ids), "words", round(time.perf_counter() - t0, 1), "s")
    rows = []
    for size in sizes:
        for r in range(repeats):
            sample = random.Random(f"jnlpba{size}r{r}").sample(train, min(size, len(train)))
            for system, cl in variants:
                t0 = time.perf_counter()
                learned = learn(sample, replace(config, seed=f"jnlpba{size}r{r}"), clusters=cl)
                seconds = time.perf_counter() - t0
                preds = [replace(d, spans=decide(analyse(d, learned.comps, rules=rules_of[d.id]),
                                                 learned.policy)) for d in test]  # fmt: skip
                rows.append({"system": system, "documents": size, "repeat": r,
                             "train_s": round(seconds, 1),
                             "policy": learned.policy.choices.get("CELL_TYPE", {}),
                             **cell_scores(test, preds)})  # fmt: skip
                _log("jnlpba", rows[-1])
    curve_rows: list[dict[str, Any]] = []
    for r in range(repeats if stop > 0 else 0):  # a different pool and start each time
        pool = random.Random(f"jnlpba-pool{r}").sample(train, min(pool_size, len(train)))
        curve_rows += curve(pool, test, rules_of={**rules_of, **rules_proposals(pool)},
                            start=start, step=step, stop=stop, seed=7 + r,
                            config=replace(config, folds=3), score=cell_f1,
                            tag={"repeat": r})  # fmt: skip
    return {"train_documents": len(train), "test_documents": len(test),
            "test_spans": sum(len(d.spans) for d in test), "rules": rules, "rows": rows,
            "curve": curve_rows}  # fmt: skip


def jnlpba_table(res: dict[str, Any]) -> str:
    r = res["rules"]
    lines = [
        f"#### JNLPBA cell_type as the project's corrections ({res['test_documents']} devel "
        f"abstracts, {res['test_spans']} spans)",
        "",
        "| system | training abstracts | strict P | strict R | strict F1 (mean ± sd) | "
        "Δ F1 vs rules | train s | CELL_TYPE policy |",
        "|---|---|---|---|---|---|---|---|",
        f"| rules | – | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | – | – | – |",
    ]
    keys = sorted({(row["system"], row["documents"]) for row in res["rows"]},
                  key=lambda k: (k[1], k[0]))  # fmt: skip
    for system, size in keys:
        sel = [row for row in res["rows"]
               if (row["system"], row["documents"]) == (system, size)]  # fmt: skip
        f = [row["f1"] for row in sel]
        pol = sorted({row["policy"].get("en", "-") for row in sel})
        lines.append(
            f"| {system} | {size} | {statistics.mean(x['precision'] for x in sel):.3f} | "
            f"{statistics.mean(x['recall'] for x in sel):.3f} | {statistics.mean(f):.3f} ± "
            f"{_sd(f):.3f} | {100 * (statistics.mean(f) - r['f1']):+.1f} "
            f"[{100 * (min(f) - r['f1']):+.1f}, {100 * (max(f) - r['f1']):+.1f}] | "
            f"{statistics.mean(x['train_s'] for x in sel):.1f} | {', '.join(pol)} |"
        )
    if not res["curve"]:
        return "\n".join(lines)
    pools = len({row.get("repeat", 0) for row in res["curve"]})
    lines += ["", f"Learning curves (mean over {pools} pools):", "",
              "| documents | random F1 | ranked F1 | rules F1 | characters random / ranked |",
              "|---|---|---|---|---|"]  # fmt: skip
    for n in sorted({row["documents"] for row in res["curve"]}):
        cells = []
        for mode in ("random", "ranked"):
            sel = [row for row in res["curve"] if row["mode"] == mode and row["documents"] == n]
            cells.append((f"{statistics.mean(x['f1'] for x in sel):.3f}",
                          f"{statistics.mean(x['tokens'] for x in sel):.0f}")
                         if sel else ("-", "-"))  # fmt: skip
        lines.append(f"| {n} | {cells[0][0]} | {cells[1][0]} | {r['f1']:.3f} | "
                     f"{cells[0][1]} / {cells[1][1]} |")  # fmt: skip
    return "\n".join(lines)


# --------------------------------------------------------------------------- timing
def timing(docs: list[Document]) -> dict[str, Any]:
    from annotkit.learn.trainer import train_learned

    out: dict[str, Any] = {"documents": len(docs)}
    for label, stanza in (("default", None), ("with_stanza", True)):
        with tempfile.TemporaryDirectory(prefix="loop-timing-") as tmp:
            t0 = time.perf_counter()
            card = train_learned(docs, name="timing", models_dir=tmp, stanza=stanza)
            wall = time.perf_counter() - t0
        out[label] = {"wall_seconds": round(wall, 1), "stages": card.extra["seconds"],
                      "load": os.getloadavg()}  # fmt: skip
    return out


def workers_timing(sets: dict[str, list[Document]], workers: int) -> dict[str, Any]:
    """``annotkit train`` (learned, default settings) with 1 and with ``workers`` processes
    on each set: wall seconds, and whether the two model folders hold the same files."""
    from annotkit.learn.trainer import train_learned

    out: dict[str, Any] = {}
    for name, docs in sets.items():
        row: dict[str, Any] = {"documents": len(docs)}
        files: dict[int, dict[str, bytes]] = {}
        for w in (1, workers):
            with tempfile.TemporaryDirectory(prefix="loop-workers-") as tmp:
                t0 = time.perf_counter()
                card = train_learned(docs, name="w", models_dir=tmp, workers=w)
                row[f"wall_s_{w}"] = round(time.perf_counter() - t0, 1)
                folder = Path(card.path)
                files[w] = {
                    p.name: p.read_bytes()
                    for p in sorted(folder.iterdir())
                    if p.is_file() and p.name not in ("model.json", "README.md")
                }
        row["speedup"] = round(row["wall_s_1"] / row[f"wall_s_{workers}"], 2)
        row["same_model_files"] = files[1] == files[workers]
        row["files"] = sorted(files[1])
        row["load"] = os.getloadavg()
        _log("workers", name, row)
        out[name] = row
    return out


def doccano_loop(docs: list[Document]) -> dict[str, Any]:
    """pull -> train -> promote against a real local doccano server, timed.

    Setup (not timed): a server in a temporary home; the documents pushed with the rules'
    pre-annotations; an annotator (REST, as the browser does) replaces each example's spans
    with the gold spans and confirms it. Timed: ``doccano pull`` of the project,
    ``annotkit train`` (learned engine, default settings) on the pulled file, ``models promote``,
    each as its own CLI process, as a user runs them.
    """
    import subprocess

    from annotkit.offsets import OffsetMap
    from annotkit.sync import connect, push
    from annotkit.sync.server import load_credentials, start_server, stop_server

    exe = str(Path(sys.executable).with_name("annotkit"))
    with tempfile.TemporaryDirectory(prefix="loop-doccano-") as tmp:
        home = Path(tmp) / "home"
        start_server(home)
        try:
            creds = load_credentials(home)
            pre = [replace(d, spans=rules_proposals([d])[d.id]) for d in docs]
            push(pre, "loop", client=connect(home), create=True)
            rest = requests_session(creds)
            api = f"{creds['url']}/v1"
            pid = next(p["id"] for p in rest.get(f"{api}/projects").json()["results"]
                       if p["name"] == "loop")  # fmt: skip
            types = {
                t["text"]: t["id"] for t in rest.get(f"{api}/projects/{pid}/span-types").json()
            }
            by_id = {d.id: d for d in docs}
            examples = rest.get(f"{api}/projects/{pid}/examples", params={"limit": 1000}).json()
            for ex in examples["results"]:
                gold = by_id[ex["meta"]["annotkit_id"]]
                url = f"{api}/projects/{pid}/examples/{ex['id']}/spans"
                for old in rest.get(url).json():
                    rest.delete(f"{url}/{old['id']}").raise_for_status()
                omap = OffsetMap.build(gold.text, "utf16")
                for sp in gold.spans:
                    rest.post(url, json={"start_offset": omap.to_external(sp.start),
                                         "end_offset": omap.to_external(sp.end),
                                         "label": types[sp.label], "prob": 0}
                              ).raise_for_status()  # fmt: skip
                rest.post(f"{api}/projects/{pid}/examples/{ex['id']}/states").raise_for_status()
            env = dict(os.environ, ANNOTKIT_MODELS_DIR=str(Path(tmp) / "models"))
            pulled = Path(tmp) / "corrected.jsonl"
            steps = [
                ("pull", [exe, "doccano", "pull", "--project", "loop", "--home", str(home),
                          "-o", str(pulled), "--quiet"]),
                ("train", [exe, "train", "--data", str(pulled), "--name", "loop", "--quiet"]),
                ("promote", [exe, "models", "promote", "loop/v1"]),
            ]  # fmt: skip
            times: dict[str, float] = {}
            t0 = time.perf_counter()
            for name, cmd in steps:
                t = time.perf_counter()
                done = subprocess.run(cmd, env=env, capture_output=True, text=True)
                if done.returncode != 0:
                    raise SystemExit(f"{name} failed: {done.stderr[-2000:]}")
                times[name] = round(time.perf_counter() - t, 1)
            total = round(time.perf_counter() - t0, 1)
            card = json.loads((Path(tmp) / "models" / "loop" / "v1" / "model.json").read_text())
        finally:
            stop_server(home)
    return {"documents": len(docs), "seconds": times, "pull_to_promoted_seconds": total,
            "trained_on": card["data"]["train_documents"], "load": os.getloadavg()}  # fmt: skip


def requests_session(creds: dict[str, str]) -> Any:
    import requests

    s = requests.Session()
    s.headers.update({"referer": creds["url"]})
    r = s.post(f"{creds['url']}/v1/auth/login/",
               json={"username": creds["username"], "password": creds["password"]})  # fmt: skip
    r.raise_for_status()
    s.headers["X-CSRFToken"] = s.cookies["csrftoken"]
    return s


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--gold-dev", help="folder with en.jsonl, zh.jsonl, zh_dose.jsonl")
    ap.add_argument("--jnlpba", help="folder with JNLPBA's devel.tsv and training .bio file")
    ap.add_argument("--jnlpba-sizes", default="28,100,300")
    ap.add_argument("--jnlpba-pool", type=int, default=300)
    ap.add_argument("--jnlpba-start", type=int, default=10)
    ap.add_argument("--jnlpba-step", type=int, default=10)
    ap.add_argument("--jnlpba-stop", type=int, default=60, help="0: no learning curves")
    ap.add_argument("--jnlpba-clusters", action="store_true",
                    help="also train with word clusters of the training texts")  # fmt: skip
    ap.add_argument("--workers", type=int, default=2, help="processes of the workers part")
    ap.add_argument("--out", default="bench/out/loop")
    ap.add_argument("--parts", default="compare,curves,timing")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--variants", default="target=delta",
                    help="';'-separated LearnConfig variants of `learned` to compare, e.g. "
                    "'target=delta;c1=0.2,c2=0.01'")  # fmt: skip
    ap.add_argument("--curve-start", type=int, default=4)
    ap.add_argument("--curve-step", type=int, default=4)
    ap.add_argument("--curve-folds", type=int, default=3)
    ap.add_argument("--stanza-folds", type=int, default=5, help="outer folds of the stanza part")
    ap.add_argument("--stanza-inner-folds", type=int, default=2)
    ap.add_argument("--stanza-epochs", type=int, default=40)
    ap.add_argument("--stanza-min-steps", type=int, default=300)
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    parts = set(args.parts.split(","))
    if "jnlpba" in parts and not args.jnlpba:
        ap.error("--parts jnlpba needs --jnlpba DIR")
    files: dict[str, list[Document]] = {"en": [], "zh": [], "zh_dose": []}
    if parts - {"jnlpba"}:
        if not args.gold_dev:
            ap.error(f"--parts {args.parts} needs --gold-dev DIR")
        gold = Path(args.gold_dev)
        files = {name: list(read_documents([str(gold / f"{name}.jsonl")]))
                 for name in ("en", "zh", "zh_dose")}  # fmt: skip
    sets = {"en": (files["en"], {"en": files["en"]}),
            "zh": (files["zh"] + files["zh_dose"],
                   {"zh": files["zh"], "zh_dose": files["zh_dose"],
                    "zh+zh_dose": files["zh"] + files["zh_dose"]})}  # fmt: skip
    result: dict[str, Any] = {"cpu_count": os.cpu_count(), "load_start": os.getloadavg()}
    report: list[str] = []
    config = LearnConfig()
    if "compare" in parts:
        for lang, (docs, by_file) in sets.items():
            cv = outer_cv(docs, folds=args.folds, repeats=args.repeats, config=config, label=lang)
            summary = summarise(by_file, cv)
            rel = reliability({lang: docs}, cv)
            result[f"compare_{lang}"] = {
                "summary": summary,
                "calibration": rel,
                "folds": [run["folds"] for run in cv["runs"]],
            }
            report.append(table(summary, f"{lang}: {args.repeats} x {args.folds}-fold CV"))
            report.append(reliability_table(rel, f"{lang}, {args.repeats} x {args.folds}-fold CV"))
            for spec in filter(None, args.variants.split(";")):
                cfg = variant(config, spec)
                cvg = outer_cv(docs, folds=args.folds, repeats=args.repeats, config=cfg,
                               label=f"{lang} {spec}")  # fmt: skip
                sg = summarise(by_file, cvg)
                result[f"compare_{lang}_{spec}"] = sg
                report.append(table(sg, f"{lang}: variant {spec}, {args.repeats} x "
                                        f"{args.folds}-fold CV"))  # fmt: skip
    if "calibration" in parts and "compare" not in parts:
        for lang, (docs, _files) in sets.items():
            cv = outer_cv(docs, folds=args.folds, repeats=1, config=config, label=lang)
            rel = reliability({lang: docs}, cv)
            result[f"calibration_{lang}"] = rel
            report.append(reliability_table(rel, f"{lang}, 1 x {args.folds}-fold CV"))
    if "stanza" in parts:
        extra = stanza_extra(epochs=args.stanza_epochs, min_steps=args.stanza_min_steps,
                             inner_folds=args.stanza_inner_folds)  # fmt: skip
        for lang, (docs, by_file) in sets.items():
            cv = outer_cv(docs, folds=args.stanza_folds, repeats=1, config=config, extra=extra,
                          label=f"{lang}+stanza")  # fmt: skip
            summary = summarise(by_file, cv)
            result[f"stanza_{lang}"] = {
                "summary": summary,
                "folds": [run["folds"] for run in cv["runs"]],
            }
            report.append(table(summary, f"{lang}: stanza, 1 x {args.stanza_folds}-fold CV, "
                                         f"{args.stanza_inner_folds} inner folds"))  # fmt: skip
    if "curves" in parts:
        for lang, (docs, _) in sets.items():
            cur = curves(
                docs,
                folds=args.curve_folds,
                start=args.curve_start,
                step=args.curve_step,
                seed=7,
                config=replace(config, folds=3),
            )
            result[f"curves_{lang}"] = cur
            report.append(curve_table(cur["rows"], f"{lang}: learning curves"))
    if "recurrence" in parts or "compare" in parts:
        for name, docs in files.items():
            rec = error_recurrence(docs)
            result[f"recurrence_{name}"] = rec
            report.append(
                f"rules errors on {name}: {rec['errors']} ({rec['distinct']} distinct), "
                f"{rec['recurring']} recur in another document; error shapes seen in 2+ "
                f"documents: {rec['recurring_shapes']}, top: {rec['top_shapes']}"
            )
    if "jnlpba" in parts:
        res = jnlpba(Path(args.jnlpba), sizes=[int(x) for x in args.jnlpba_sizes.split(",")],
                     repeats=args.repeats, pool_size=args.jnlpba_pool, start=args.jnlpba_start,
                     step=args.jnlpba_step, stop=args.jnlpba_stop, config=config,
                     clusters=args.jnlpba_clusters)  # fmt: skip
        result["jnlpba"] = res
        report.append(jnlpba_table(res))
    docs30 = files["en"] + files["zh"][:2]  # the 30 documents of timing, workers, doccano
    if "timing" in parts:
        result["timing"] = timing(docs30)
        report.append(f"timing: {json.dumps(result['timing'])}")
    if "workers" in parts:
        wsets = {"gold-dev 30": docs30}
        if args.jnlpba:
            pool = jnlpba_documents(Path(args.jnlpba) / "train_excl_devel_from_standoff.bio",
                                    "train")  # fmt: skip
            rng = random.Random(0)
            for n in (int(x) for x in args.jnlpba_sizes.split(",")):
                wsets[f"JNLPBA {n}"] = sorted(rng.sample(pool, n), key=lambda d: d.id)
        result["workers"] = workers_timing(wsets, args.workers)
        report.append(f"train --workers: {json.dumps(result['workers'])}")
    if "doccano" in parts:
        result["doccano"] = doccano_loop(docs30)
        report.append(f"doccano pull -> promoted: {json.dumps(result['doccano'])}")
    result["load_end"] = os.getloadavg()
    name = "loop_" + "_".join(sorted(parts)) + ".json"
    (out / name).write_text(json.dumps(result, indent=1, default=_jsonable), "utf-8")
    (out / name.replace(".json", ".md")).write_text("\n\n".join(report) + "\n", "utf-8")
    print("\n\n".join(report))
    return 0


def _jsonable(x: Any) -> Any:
    if isinstance(x, Document):
        return {"id": x.id, "label": [[s.start, s.end, s.label] for s in x.spans]}
    if isinstance(x, Span):
        return [x.start, x.end, x.label]
    return str(x)


if __name__ == "__main__":
    raise SystemExit(main())
