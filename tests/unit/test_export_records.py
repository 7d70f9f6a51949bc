"""Prodigy and doccano JSONL, in (annotkit.record, read_doccano) and out (--format)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotkit.doc import Document, Span
from annotkit.errors import InputError, OffsetError
from annotkit.evaluate import evaluate
from annotkit.export import export, read_doccano, read_jsonl
from annotkit.export.records import doccano_record
from annotkit.io import read_documents

REPO = Path(__file__).resolve().parent.parent.parent
DATA = REPO / "tests" / "data" / "export"
TINY = REPO / "tests" / "data" / "ner_tiny.jsonl"
GOLD = REPO / "annotations" / "gold" / "seeds.jsonl"


def _docs() -> list[Document]:
    return [*read_documents([str(TINY)]), *read_documents([str(GOLD)])]


def _triples(doc: Document) -> list[tuple[int, int, str]]:
    return [(s.start, s.end, s.label) for s in doc.spans]


# --------------------------------------------------------------------------- Prodigy
def test_export_records_prodigy_fixture_is_read_with_its_spans() -> None:
    docs = list(read_documents([str(DATA / "prodigy.jsonl")]))
    assert [[d.text_of(s) for s in d.spans] for d in docs] == [
        ["3 mL", "adipose MSCs"],
        ["VAS"],
    ]
    assert docs[0].extra["_input_hash"] == 1000 and docs[0].extra["answer"] == "accept"
    result = evaluate(docs, docs)  # F1 0 when the spans were not read
    assert result["strict"]["micro"]["f1"] == 1.0


def test_export_records_prodigy_round_trip(tmp_path: Path, tricky_doc: Document) -> None:
    docs = [*_docs(), tricky_doc]
    export(docs, "prodigy", tmp_path)
    lines = [json.loads(x) for x in (tmp_path / "all.jsonl").read_text("utf-8").splitlines()]
    for rec, doc in zip(lines, docs, strict=True):
        assert "label" not in rec and rec["answer"] == "accept" and rec["id"] == doc.id
        toks = rec["tokens"]
        assert [t["id"] for t in toks] == list(range(len(toks)))
        for t in toks:
            assert doc.text[t["start"] : t["end"]] == t["text"]
        for span in rec["spans"]:  # token indices are inclusive and exact
            assert toks[span["token_start"]]["start"] == span["start"]
            assert toks[span["token_end"]]["end"] == span["end"]
    back = read_jsonl(tmp_path / "all.jsonl")
    assert [(d.id, d.text, _triples(d)) for d in back] == [
        (d.id, d.text, _triples(d)) for d in docs
    ]


def test_export_records_prodigy_keeps_hashes(tmp_path: Path) -> None:
    docs = list(read_documents([str(DATA / "prodigy.jsonl")]))
    export(docs, "prodigy", tmp_path)
    first = json.loads((tmp_path / "all.jsonl").read_text("utf-8").splitlines()[0])
    assert (first["_input_hash"], first["_task_hash"]) == (1000, 2000)
    assert first["meta"] == {"source": "fixture"}


# --------------------------------------------------------------------------- doccano
def test_export_records_doccano_writes_utf16_offsets(tricky_doc: Document) -> None:
    rec = doccano_record(tricky_doc)
    text = rec["text"]
    for (s, e, label), span in zip(rec["label"], tricky_doc.spans, strict=True):
        units = text.encode("utf-16-le")
        assert units[2 * s : 2 * e].decode("utf-16-le") == tricky_doc.text_of(span)
        assert label == span.label
    assert rec["annotkit_id"] == "tricky"


def test_export_records_doccano_round_trip(tmp_path: Path, tricky_doc: Document) -> None:
    docs = [*_docs(), tricky_doc]
    for grapheme in (False, True):
        out = tmp_path / str(grapheme)
        export(docs, "doccano", out, grapheme=grapheme)
        back = read_doccano(out / "all.jsonl", grapheme=grapheme)
        assert [(d.id, d.text, _triples(d)) for d in back] == [
            (d.id, d.text, _triples(d)) for d in docs
        ]
        assert [dict(d.meta) for d in back] == [dict(d.meta) for d in docs]


def test_export_records_doccano_lines_share_their_keys(tmp_path: Path) -> None:
    """doccano reads the file as one table: a key on some lines only becomes NaN."""
    docs = [
        Document("m", "Give 5 mL.", spans=(Span(5, 9, "DOSE"),),
                 meta={"source": "a.txt", "label": "not a span list"}),
        Document("n", "No spans here."),
    ]  # fmt: skip
    export(docs, "doccano", tmp_path)
    lines = [json.loads(x) for x in (tmp_path / "all.jsonl").read_text("utf-8").splitlines()]
    assert len({tuple(sorted(x)) for x in lines}) == 1
    assert lines[0]["label"] == [[5, 9, "DOSE"]] and lines[1]["label"] == []
    assert lines[0]["annotkit_meta"] == {"source": "a.txt", "label": "not a span list"}
    assert [dict(d.meta) for d in read_doccano(tmp_path / "all.jsonl")] == [
        dict(d.meta) for d in docs
    ]


def test_export_records_doccano_fixture_read_in_code_points() -> None:
    first, second = read_doccano(DATA / "doccano.jsonl")
    assert [first.text_of(s) for s in first.spans] == ["5 mL", "bone marrow MSCs"]
    assert first.id == "7" and first.meta["source"] == "trial-12"
    assert [second.text_of(s) for s in second.spans] == ["视觉模拟评分"]


def test_export_records_doccano_grapheme_mode_refuses_cut_cluster() -> None:
    doc = Document("g", "cafe\u0301 MSCs", spans=(Span(0, 4, "CELL_TYPE"),))
    with pytest.raises(OffsetError):
        doccano_record(doc, grapheme=True)


def test_export_records_doccano_bad_offset_names_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"text": "😀 x", "label": [[1, 3, "DOSE"]]}) + "\n", "utf-8")
    with pytest.raises(InputError, match="bad.jsonl:1"):
        read_doccano(path)
