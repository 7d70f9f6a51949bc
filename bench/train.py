"""Benchmark retraining: learning curves (rules vs model vs ensemble), training time, model speed.

Two curves:

* **gold**: the seed gold (plus ``--corrected`` files). Documents held out by group hash
  (``--gold-test-share``), the model trained on the first 1, 2, … of the rest. With five
  seed documents this curve is tiny and noisy; it is reported because it is the real one.
* **silver**: a larger training set built by running the *rules engine* over a benchmark
  corpus (``--silver``: wmt-biomed-pairs text files, English + Chinese line-parallel, or a
  JNLPBA ``token<TAB>tag`` file). Silver labels are the rules' own output, not gold: the
  model learns to imitate the rules. Models trained on N silver documents are scored on
  the seed gold (rules / model / ensemble) and against held-out silver (agreement with the
  rules), and their training time is measured (target: 500 documents <= 10 minutes).

Model speed (tokens/s, target >= 2,000) is measured on the held-out silver documents with
the largest model, pipeline already loaded.

Usage:
    .venv/bin/python bench/train.py --gold annotations/gold/seeds.jsonl \\
        --silver ../shared/data/align/wmt-biomed-pairs --out bench/out/train
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from annotkit.annotate import preannotate
from annotkit.annotate.ner import load_ner_model
from annotkit.doc import Document
from annotkit.evaluate import evaluate
from annotkit.io import read_documents
from annotkit.segment import tokenize
from annotkit.split import split_documents
from annotkit.train import train_model


def _lines_docs(path: Path, per_doc: int) -> list[list[str]]:
    lines = [ln.strip() for ln in path.read_text("utf-8").splitlines() if ln.strip()]
    return [lines[i : i + per_doc] for i in range(0, len(lines), per_doc)]


def silver_corpus(path: Path, per_doc: int, limit: int) -> list[Document]:
    """Unlabelled documents from a benchmark corpus (no labels yet)."""
    docs: list[Document] = []
    if path.is_dir():  # wmt-biomed-pairs: NAME.en / NAME.zh line-parallel
        for en in sorted(path.glob("*.en")):
            zh = en.with_suffix(".zh")
            en_docs = _lines_docs(en, per_doc)
            zh_docs = _lines_docs(zh, per_doc) if zh.exists() else []
            for i, chunk in enumerate(en_docs):
                en_id = f"{en.stem}.en.{i:04d}"
                docs.append(Document(en_id, "\n".join(chunk)))
                if i < len(zh_docs):
                    docs.append(
                        Document(
                            f"{en.stem}.zh.{i:04d}",
                            "\n".join(zh_docs[i]),
                            meta={"translation_of": en_id},
                        )
                    )
    else:  # token<TAB>tag (JNLPBA): sentences = blank-line separated
        sents, cur = [], []
        for line in path.read_text("utf-8").splitlines():
            if not line.strip() or line.startswith("-DOCSTART-"):
                if cur:
                    sents.append(" ".join(cur))
                cur = []
                continue
            cur.append(line.split("\t")[0].split()[0])
        if cur:
            sents.append(" ".join(cur))
        for i in range(0, len(sents), per_doc):
            docs.append(
                Document(f"{path.stem}.{i // per_doc:05d}", "\n".join(sents[i : i + per_doc]))
            )
    return docs[:limit]


def rules(docs: list[Document]) -> list[Document]:
    return [preannotate(d, engine="rules") for d in docs]


def scores(gold: list[Document], pred: list[Document]) -> dict[str, float]:
    r = evaluate(gold, pred)
    return {
        "strict_f1": r["strict"]["micro"]["f1"],
        "lenient_f1": r["lenient"]["micro"]["f1"],
        "strict_p": r["strict"]["micro"]["precision"],
        "strict_r": r["strict"]["micro"]["recall"],
    }


def compare(model_path: str, gold: list[Document], rules_pred: list[Document]) -> dict[str, Any]:
    model = load_ner_model(model_path)
    preds = model.predict_many(gold)
    model_docs = [Document(d.id, d.text, spans=p) for d, p in zip(gold, preds, strict=True)]
    ens = [preannotate(d, engine="ensemble", model=model) for d in gold]
    return {
        "rules": scores(gold, rules_pred),
        "model": scores(gold, model_docs),
        "ensemble": scores(gold, ens),
    }


def token_count(docs: list[Document]) -> int:
    return sum(len(tokenize(d.text)) for d in docs)


def measure_speed(model: Any, docs: list[Document]) -> dict[str, Any]:
    """Tokens/s of ``model`` (pipeline loaded, batches of 32 documents and one by one)."""
    tokens = token_count(docs)
    model.predict_many(docs[:5])
    t0 = time.perf_counter()
    for i in range(0, len(docs), 32):
        model.predict_many(docs[i : i + 32])
    secs = time.perf_counter() - t0
    t0 = time.perf_counter()
    for d in docs:
        model.predict(d)
    one = time.perf_counter() - t0
    return {
        "documents": len(docs),
        "tokens": tokens,
        "seconds": round(secs, 2),
        "tokens_per_s": round(tokens / secs),
        "per_doc_tokens_per_s": round(tokens / one),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gold", default="annotations/gold/seeds.jsonl")
    ap.add_argument("--corrected", nargs="*", default=[], help="more corrected JSONL files")
    ap.add_argument("--silver", default=None, help="wmt-biomed-pairs dir or JNLPBA .tsv/.bio")
    ap.add_argument("--silver-sizes", default="50,100,200,500")
    ap.add_argument("--silver-dev", type=int, default=50, help="silver docs for dev split")
    ap.add_argument("--silver-test", type=int, default=100, help="held-out silver docs")
    ap.add_argument("--lines-per-doc", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--out", default="bench/out/train")
    ap.add_argument("--no-gold-curve", action="store_true", help="only the silver curve")
    ap.add_argument("--threads", type=int, default=None, help="torch threads for prediction")
    ap.add_argument(
        "--speed-only", default=None, metavar="MODEL", help="only measure MODEL's speed"
    )
    args = ap.parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    if args.speed_only:
        docs = list(read_documents([args.gold, *args.corrected])) * 4
        if args.silver:
            docs += silver_corpus(Path(args.silver), args.lines_per_doc, 400)
        speed = measure_speed(load_ner_model(args.speed_only), docs)
        print(json.dumps({**speed, "threads": args.threads, "load": os.getloadavg()}))
        return 0
    out = Path(args.out)
    models_dir = out / "models"
    out.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"cpu_count": os.cpu_count(), "load_start": os.getloadavg()}

    gold = list(read_documents([args.gold, *args.corrected]))
    gold_rules = rules(gold)
    # ---- gold curve
    parts = split_documents(gold, (0.6, 0.4), ("train", "test"), min_nonempty=True)
    g_train, g_test = parts["train"], parts["test"]
    test_rules = [d for d in gold_rules if d.id in {x.id for x in g_test}]
    curve = []
    for n in range(1, 0 if args.no_gold_curve else len(g_train) + 1):
        sub = g_train[:n]
        t0 = time.perf_counter()
        card = train_model(
            sub, dev=g_test, name=f"gold{n}", models_dir=models_dir, epochs=args.epochs,
            seed=args.seed,
        )  # fmt: skip
        row = {"train_docs": n, "train_seconds": round(time.perf_counter() - t0, 1)}
        row.update(compare(card.path, g_test, test_rules))
        curve.append(row)
        print(json.dumps(row), file=sys.stderr)
    result["gold_curve"] = {
        "train_ids": [d.id for d in g_train],
        "test_ids": [d.id for d in g_test],
        "rows": curve,
    }

    # ---- silver curve
    if args.silver:
        sizes = [int(x) for x in args.silver_sizes.split(",")]
        need = max(sizes) + args.silver_dev + args.silver_test
        corpus = silver_corpus(Path(args.silver), args.lines_per_doc, need * 2)
        t0 = time.perf_counter()
        silver = rules(corpus)
        result["silver_rules_seconds"] = round(time.perf_counter() - t0, 1)
        sp = split_documents(silver, (0.75, 0.25), ("pool", "held"))
        pool, held = sp["pool"], sp["held"]
        s_dev, s_test = held[: args.silver_dev], held[args.silver_dev :][: args.silver_test]
        rows = []
        for n in sizes:
            sub = pool[:n]
            if len(sub) < n:
                print(f"only {len(sub)} silver docs for size {n}", file=sys.stderr)
            t0 = time.perf_counter()
            card = train_model(
                sub, dev=s_dev, name=f"silver{len(sub)}", models_dir=models_dir,
                epochs=args.epochs, seed=args.seed,
            )  # fmt: skip
            secs = time.perf_counter() - t0
            row: dict[str, Any] = {
                "train_docs": len(sub),
                "train_spans": card.data["train_spans"],
                "train_tokens": card.data["train_tokens"],
                "steps": card.extra["max_steps"],
                "train_seconds": round(secs, 1),
                "load_after": [round(x, 2) for x in os.getloadavg()],
            }
            row["gold"] = compare(card.path, gold, gold_rules)
            model = load_ner_model(card.path)
            preds = model.predict_many(s_test)
            row["vs_silver_rules"] = scores(
                s_test,
                [Document(d.id, d.text, spans=p) for d, p in zip(s_test, preds, strict=True)],
            )
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)
        result["silver_curve"] = {
            "corpus": args.silver,
            "documents": len(corpus),
            "silver_spans": sum(len(d.spans) for d in silver),
            "rows": rows,
        }
        # ---- speed (largest model, loaded)
        result["speed"] = measure_speed(load_ner_model(card.path), s_test + gold)
    result["load_end"] = os.getloadavg()
    (out / "train_bench.json").write_text(json.dumps(result, indent=1), "utf-8")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
