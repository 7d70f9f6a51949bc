"""annotkit.export (NER formats): files, dataset card, splits, exact re-import."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from annotkit.doc import Document, Span
from annotkit.errors import InputError
from annotkit.export import FORMATS, NER_FORMATS, export, read_conll, read_jsonl
from annotkit.export.conll import DOCSTART
from annotkit.export.folder import MANIFEST
from annotkit.io import read_documents
from annotkit.record import document_to_record
from annotkit.split import group_key

REPO = Path(__file__).resolve().parent.parent.parent
TINY = REPO / "tests" / "data" / "ner_tiny.jsonl"
GOLD = REPO / "annotations" / "gold" / "seeds.jsonl"


def _docs() -> list[Document]:
    return [*read_documents([str(TINY)]), *read_documents([str(GOLD)])]


def _key(doc: Document) -> tuple[str, str, list[tuple[int, int, str]]]:
    return doc.id, doc.text, [(s.start, s.end, s.label) for s in doc.spans]


def _split_files(out: Path, summary: dict) -> list[Path]:
    return [out / f for f in summary["files"] if f.split(".")[0] in summary["splits"]]


def test_export_conll_annotated_round_trip_exact(tmp_path: Path, tricky_doc: Document) -> None:
    docs = [*_docs(), tricky_doc]
    summary = export(docs, "conll-annotated", tmp_path, split="80/10/10")
    back = [d for p in _split_files(tmp_path, summary) for d in read_conll(p)]
    assert sorted(map(_key, back)) == sorted(map(_key, docs))
    assert summary["files"][-1] == "README.md"


@pytest.mark.parametrize("fmt", ["conll", "conll-bioes"])
def test_export_conll_plain_has_no_comments_and_keeps_every_entity(
    fmt: str, tmp_path: Path, tricky_doc: Document
) -> None:
    docs = [*_docs(), tricky_doc]
    summary = export(docs, fmt, tmp_path)
    text = (tmp_path / "all.conll").read_text("utf-8")
    lines = text.split("\n")
    assert not [ln for ln in lines if ln.startswith("#")]
    assert lines.count(DOCSTART) == len(docs) and lines[0] == DOCSTART and lines[1] == ""
    for ln in lines:
        assert ln in ("", DOCSTART) or len(ln.split()) == 4, ln
    tags = {ln.split()[-1] for ln in lines if ln and ln != DOCSTART}
    assert any(t.startswith(("E-", "S-")) for t in tags) == (fmt == "conll-bioes")
    back = read_conll(tmp_path / "all.conll")
    assert len(back) == len(docs) == summary["splits"]["all"]["documents"]
    for orig, got in zip(docs, back, strict=True):  # plain text: tokens joined by spaces
        assert [s.label for s in got.spans] == [s.label for s in orig.spans]
        assert [got.text_of(s).replace(" ", "") for s in got.spans] == [
            "".join(orig.text_of(s).split()) for s in orig.spans
        ]


def test_export_conll_plain_file_without_comments(tmp_path: Path) -> None:
    path = tmp_path / "plain.conll"
    path.write_text(
        "-DOCSTART- -X- -X- O\n\n5 NN _ B-DOSE\nmL NN _ I-DOSE\nok NN _ O\n\nx NN _ O\n"
    )
    (doc,) = read_conll(path)
    assert doc.text == "5 mL ok\nx"
    assert [doc.text_of(s) for s in doc.spans] == ["5 mL"]


def test_export_conll_rejects_token_with_control_whitespace(tmp_path: Path) -> None:
    doc = Document("c", "5\x1cmL ok", spans=(Span(0, 4, "DOSE"),))
    with pytest.raises(InputError, match="whitespace"):
        export([doc], "conll", tmp_path)


def test_export_jsonl_is_the_annotkit_record(tmp_path: Path) -> None:
    docs = _docs()
    export(docs, "jsonl", tmp_path)
    lines = (tmp_path / "all.jsonl").read_text("utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [document_to_record(d) for d in docs]
    assert sorted(map(_key, read_jsonl(tmp_path / "all.jsonl"))) == sorted(map(_key, docs))


def test_export_jsonl_escapes_line_separators(tmp_path: Path) -> None:
    doc = Document("sep", "5 mL\u2028of MSCs", spans=(Span(0, 4, "DOSE"),))
    export([doc], "jsonl", tmp_path)
    raw = (tmp_path / "all.jsonl").read_text("utf-8")
    assert "\u2028" not in raw and raw.count("\n") == 1
    assert read_jsonl(tmp_path / "all.jsonl")[0].text == doc.text


def test_export_all_ner_formats_write_card_and_manifest(tmp_path: Path) -> None:
    docs = _docs()
    for fmt in NER_FORMATS:
        out = tmp_path / fmt
        summary = export(docs, fmt, out, split="80/20")
        card = (out / "README.md").read_text("utf-8")
        assert "| train |" in card and "CELL_TYPE" in card
        for name in summary["files"]:
            assert (out / name).is_file(), (fmt, name)
        assert json.loads((out / MANIFEST).read_text())["files"].keys() == set(summary["files"])
        counts = summary["splits"]
        assert sum(c["documents"] for c in counts.values()) == len(docs)
        assert sum(c["spans"] for c in counts.values()) == sum(len(d.spans) for d in docs)


def test_export_hf_ids_match_label_list_and_card_declares_them(tmp_path: Path) -> None:
    export(_docs(), "hf", tmp_path)
    labels = json.loads((tmp_path / "labels.json").read_text())
    assert labels[0] == "O" and "B-DOSE" in labels
    for line in (tmp_path / "all.jsonl").read_text("utf-8").splitlines():
        row = json.loads(line)
        assert len(row["tokens"]) == len(row["ner_tags"]) == len(row["offsets"])
        assert all(0 <= t < len(labels) for t in row["ner_tags"])
    card = (tmp_path / "README.md").read_text("utf-8")
    head = card.split("---\n")[1]
    assert '- split: train\n    path: "all.jsonl"' in head
    for i, tag in enumerate(labels):
        assert f"'{i}': \"{tag}\"" in head
    assert "language:\n- en\n- zh" in head


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
        assert a == b and a
        for doc_id in a:
            assert seen.setdefault(keys[doc_id], name) == name
    assert seen[keys["zh01"]] == seen[keys["en01"]]


def test_export_same_input_same_bytes(tmp_path: Path) -> None:
    docs = _docs()
    for fmt in ("conll", "hf", "prodigy", "doccano", "stanza"):
        export(docs, fmt, tmp_path / "a" / fmt, split="80/10/10")
        export(docs, fmt, tmp_path / "b" / fmt, split="80/10/10")
        for p in sorted((tmp_path / "a" / fmt).iterdir()):
            assert p.read_bytes() == (tmp_path / "b" / fmt / p.name).read_bytes(), p


def test_issue15_seed_split_writes_no_empty_file(tmp_path: Path) -> None:
    """Five seed documents, --split 80/10/10: every split file holds a document."""
    summary = export(list(read_documents([str(GOLD)])), "hf", tmp_path, split="80/10/10")
    assert summary["files"] == ["train.jsonl", "dev.jsonl", "test.jsonl", "labels.json",
                                "README.md"]  # fmt: skip
    for name in ("train", "dev", "test"):
        assert (tmp_path / f"{name}.jsonl").read_text("utf-8").strip()
        assert summary["splits"][name]["documents"] >= 1


def test_export_errors(tmp_path: Path) -> None:
    doc = Document("d", "x", spans=(Span(0, 1, "DOSE"),))
    with pytest.raises(InputError):
        export([doc], "nope", tmp_path / "never")
    with pytest.raises(InputError):
        export([], "conll", tmp_path / "never")
    with pytest.raises(InputError):
        export([doc], "spacy", tmp_path / "never", alignment="sideways")
    assert not (tmp_path / "never").exists()
    assert "tmx" in FORMATS and "spacy" in FORMATS and "conll-annotated" in FORMATS
