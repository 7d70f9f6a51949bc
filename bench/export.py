"""Export benchmark: every NER format of a gold set, loaded back by its real consumer.

For each file given (annotkit records with ``label``), exports it in every NER format and
reports, per format, the seconds the export took and the entities the consumer sees:
``datasets.load_dataset`` (hf), ``python -m spacy convert -c ner`` (conll), the DocBin
(spacy, with the spans not on spaCy token edges), stanza's NER ``DataLoader`` (stanza) and
annotkit's own readers (conll-annotated, jsonl, prodigy, doccano)::

    .venv/bin/python bench/export.py ../shared/data/ner/gold-dev/en.jsonl \\
        ../shared/data/ner/gold-dev/zh.jsonl ../shared/data/ner/gold-dev/zh_dose.jsonl

Prints one JSON object per input file, then the misaligned spans of the spacy export.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from annotkit.doc import Document  # noqa: E402
from annotkit.export import NER_FORMATS, export, read_conll, read_doccano, read_jsonl  # noqa: E402
from annotkit.io import read_documents  # noqa: E402


def _bio_entities(tags: list[str]) -> int:
    return sum(1 for t in tags if t.startswith("B-"))


def _loaded(fmt: str, out: Path, tmp: Path) -> int:
    """Entities the format's consumer reads from ``out/all.*``."""
    if fmt == "hf":
        import datasets

        ds = datasets.load_dataset(str(out), cache_dir=str(tmp / "hf-cache"))["train"]
        names = ds.features["ner_tags"].feature
        return sum(_bio_entities([names.int2str(t) for t in r["ner_tags"]]) for r in ds)
    if fmt in ("conll", "spacy"):
        import spacy
        from spacy.tokens import DocBin

        path = out / "all.spacy"
        if fmt == "conll":
            conv = tmp / "spacy-convert"
            conv.mkdir(exist_ok=True)
            subprocess.run(
                [sys.executable, "-m", "spacy", "convert", str(out / "all.conll"), str(conv),
                 "-c", "ner"],
                check=True, capture_output=True,
            )  # fmt: skip
            path = conv / "all.spacy"
        docs = DocBin().from_disk(path).get_docs(spacy.blank("en").vocab)
        return sum(len(d.ents) for d in docs)
    if fmt == "stanza":
        from stanza.models.common.doc import Document as StanzaDocument
        from stanza.models.ner.data import DataLoader
        from stanza.models.ner.utils import decode_from_bioes
        from stanza.models.ner_tagger import parse_args

        sdoc = StanzaDocument(json.loads((out / "all.json").read_text("utf-8")))
        loader = DataLoader(sdoc, 16, parse_args(["--shorthand", "xx_b", "--no_pretrain"]), None)
        return sum(len(decode_from_bioes([t[0] for t in tags])) for tags in loader.tags)
    back: list[Document]
    if fmt == "conll-annotated" or fmt == "conll-bioes":
        back = read_conll(out / "all.conll")
    elif fmt == "doccano":
        back = read_doccano(out / "all.jsonl")
    elif fmt in ("jsonl", "prodigy"):
        back = read_jsonl(out / "all.jsonl")
    else:  # csv, parquet: one row per span
        import pandas as pd

        name = out / f"all.{fmt}"
        frame = pd.read_csv(name) if fmt == "csv" else pd.read_parquet(name)
        return len(frame)
    return sum(len(d.spans) for d in back)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("inputs", nargs="+", help="gold JSONL files (annotkit records)")
    args = parser.parse_args(argv)
    misaligned: list[dict[str, Any]] = []
    for path in args.inputs:
        docs = list(read_documents([path]))
        gold = sum(len(d.spans) for d in docs)
        row: dict[str, Any] = {"input": path, "documents": len(docs), "spans": gold, "formats": {}}
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            for fmt in NER_FORMATS:
                out = tmp / fmt
                t0 = time.perf_counter()
                summary = export(docs, fmt, out)
                seconds = time.perf_counter() - t0
                row["formats"][fmt] = {
                    "seconds": round(seconds, 3),
                    "entities_loaded": _loaded(fmt, out, tmp),
                }
                if fmt == "spacy":
                    row["formats"][fmt]["misaligned"] = len(summary["misaligned"])
                    misaligned += summary["misaligned"]
        print(json.dumps(row, ensure_ascii=False))
    for m in misaligned:
        print(json.dumps(m, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
