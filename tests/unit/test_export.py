"""annotkit.export (NER formats): files, dataset card, splits, exact re-import."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from annotkit.doc import Document, Span
from annotkit.errors import InputError
from annotkit.export import FORMATS, export, parse_split, read_conll, read_jsonl
from annotkit.io import read_documents
from annotkit.split import group_key

REPO = Path(__file__).resolve().parent.parent.parent
TINY = REPO / "tests" / "data" / "ner_tiny.jsonl"
GOLD = REPO / "annotations" / "gold" / "seeds.jsonl"


def _docs() -> list[Document]:
    docs = list(read_documents([str(TINY)]))
    if GOLD.exists():
        docs += list(read_documents([str(GOLD)]))
    return docs


def _key(doc: Document) -> tuple[str, str, list[tuple[int, int, str]]]:
    return doc.id, doc.text, [(s.start, s.end, s.label) for s in doc.spans]


@pytest.mark.parametrize("fmt", ["conll", "conll-bioes"])
def test_export_conll_round_trip_exact(fmt: str, tmp_path: Path, tricky_doc: Document) -> None:
    docs = [*_docs(), tricky_doc]
    summary = export(docs, fmt, tmp_path, split="80/10/10")
    back = [d for name in ("train", "dev", "test") for d in read_conll(tmp_path / f"{name}.conll")]
    assert sorted(map(_key, back)) == sorted(map(_key, docs))
    assert summary["files"][-1] == "README.md"
    lines = (tmp_path / "train.conll").read_text("utf-8").splitlines()
    tags = {ln.rsplit(" ", 1)[1] for ln in lines if ln and not ln.startswith(("#", "-DOC"))}
    assert any(t.startswith("E-") for t in tags) == (fmt == "conll-bioes")


def test_export_conll_plain_file_without_comments(tmp_path: Path) -> None:
    path = tmp_path / "plain.conll"
    path.write_text(
        "-DOCSTART- -X- -X- O\n\n5 NN _ B-DOSE\nmL NN _ I-DOSE\nok NN _ O\n\nx NN _ O\n"
    )
    (doc,) = read_conll(path)
    assert doc.text == "5 mL ok\nx"
    assert [doc.text_of(s) for s in doc.spans] == ["5 mL"]


def test_export_jsonl_round_trip(tmp_path: Path) -> None:
    docs = _docs()
    export(docs, "jsonl", tmp_path)
    assert sorted(map(_key, read_jsonl(tmp_path / "all.jsonl"))) == sorted(map(_key, docs))


def test_export_all_ner_formats_write_card(tmp_path: Path) -> None:
    docs = _docs()
    for fmt in [f for f in FORMATS if f not in ("tmx", "moses", "tsv")]:
        out = tmp_path / fmt
        summary = export(docs, fmt, out, split="80/20")
        card = (out / "README.md").read_text("utf-8")
        assert "| train |" in card and "CELL_TYPE" in card
        for name in summary["files"]:
            assert (out / name).is_file(), (fmt, name)
        counts = summary["splits"]
        assert sum(c["documents"] for c in counts.values()) == len(docs)
        assert sum(c["spans"] for c in counts.values()) == sum(len(d.spans) for d in docs)


def test_export_hf_ids_match_label_list(tmp_path: Path) -> None:
    export(_docs(), "hf", tmp_path)
    labels = json.loads((tmp_path / "labels.json").read_text())
    assert labels[0] == "O" and "B-DOSE" in labels
    for line in (tmp_path / "all.jsonl").read_text("utf-8").splitlines():
        row = json.loads(line)
        assert len(row["tokens"]) == len(row["ner_tags"]) == len(row["offsets"])
        assert all(0 <= t < len(labels) for t in row["ner_tags"])


def test_export_span_table_csv_and_parquet(tmp_path: Path) -> None:
    import pandas as pd

    docs = _docs()
    export(docs, "csv", tmp_path / "c")
    export(docs, "parquet", tmp_path / "p")
    with open(tmp_path / "c" / "all.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    frame = pd.read_parquet(tmp_path / "p" / "all.parquet")
    assert list(frame.columns) == ["doc_id", "lang", "start", "end", "label", "text", "norm"]
    assert len(rows) == len(frame) == sum(len(d.spans) for d in docs)
    texts = {d.id: d.text for d in docs}
    for r in rows:
        assert texts[r["doc_id"]][int(r["start"]) : int(r["end"])] == r["text"]
    assert {"en", "zh"} <= set(frame["lang"])


def test_export_split_deterministic_and_leakage_free(tmp_path: Path) -> None:
    docs = _docs()
    export(docs, "jsonl", tmp_path / "a", split="60/20/20")
    export(list(reversed(docs)), "jsonl", tmp_path / "b", split="60/20/20")
    keys = group_key(docs)
    seen: dict[str, str] = {}
    for name in ("train", "dev", "test"):
        a = {d.id for d in read_jsonl(tmp_path / "a" / f"{name}.jsonl")}
        b = {d.id for d in read_jsonl(tmp_path / "b" / f"{name}.jsonl")}
        assert a == b
        for doc_id in a:
            assert seen.setdefault(keys[doc_id], name) == name
    assert seen[keys["zh01"]] == seen[keys["en01"]]


def test_export_errors() -> None:
    with pytest.raises(InputError):
        parse_split("80/x")
    with pytest.raises(InputError):
        export([Document("d", "x", spans=(Span(0, 1, "DOSE"),))], "nope", "/tmp/never")
