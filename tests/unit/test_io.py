from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from annotkit.doc import Document, Span
from annotkit.errors import InputError
from annotkit.io import (
    ReadReport,
    atomic_writer,
    decode_bytes,
    document_from_record,
    document_to_record,
    read_documents,
    write_jsonl,
)

DATA = Path(__file__).resolve().parent.parent / "data"
ENC = DATA / "encodings"
BAD = DATA / "bad"
INPUTS = DATA / "inputs"
SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@pytest.mark.parametrize(
    ("name", "encoding"),
    [
        ("utf8.txt", "utf-8"),
        ("utf8_bom.txt", "utf-8-sig"),
        ("utf16.txt", "utf-16"),
        ("gb18030.txt", "gb18030"),
        ("big5.txt", "big5"),
    ],
)
def test_io_detects_encodings(name: str, encoding: str) -> None:
    (doc,) = read_documents([str(ENC / name)])
    assert doc.meta["encoding"] == encoding
    assert doc.id == Path(name).stem
    assert not doc.text.startswith("\ufeff")
    assert "MSCs" in doc.text


def test_io_utf16_without_bom() -> None:
    text = "间充质干细胞 MSCs 治疗"
    decoded, enc = decode_bytes(text.encode("utf-16-le"))
    assert (decoded, enc) == (text, "utf-16-le")


def test_io_keeps_crlf_and_does_not_normalise() -> None:
    (doc,) = read_documents([str(ENC / "utf8.txt")])
    assert "\r\n" in doc.text
    decomposed = "cafe\u0301"
    text, _ = decode_bytes(decomposed.encode("utf-8"))
    assert text == decomposed  # no NFC


def test_io_directory_is_recursive_sorted_with_relative_ids() -> None:
    ids = [d.id for d in read_documents([str(INPUTS / "nested")])]
    assert ids == ["deeper/note"]
    both = [d.id for d in read_documents([str(ENC)])]
    assert both == sorted(both) == [d.id for d in read_documents([str(ENC)])]


def test_io_seed_ids_are_file_stems() -> None:
    ids = [d.id for d in read_documents([str(SEEDS)])]
    assert len(ids) == 5 and ids[4].startswith("004_")


def test_io_glob_pattern() -> None:
    docs = list(read_documents([str(ENC / "utf*.txt")]))
    assert [d.id for d in docs] == ["utf16", "utf8", "utf8_bom"]


def test_io_jsonl_doccano_and_plain_records() -> None:
    docs = list(read_documents([str(INPUTS / "docs.jsonl")]))
    first, second = docs
    assert first.id == "doc-1"
    assert [first.text_of(s) for s in first.spans] == ["5 mL", "BM-MSCs"]
    assert first.extra["source"] == "fixture"  # fields annotkit does not own pass through
    assert len(second.id) == 16  # content hash, not a position


def test_io_tables_with_text_column() -> None:
    csv_docs = list(
        read_documents([str(INPUTS / "table.csv")], text_column="abstract", id_column="pmid")
    )
    assert [d.id for d in csv_docs] == ["101", "102"]
    assert csv_docs[1].text == "疼痛视觉模拟评分下降。"
    (tsv,) = read_documents([str(INPUTS / "table.tsv")])
    assert tsv.id == "t1"
    (pq,) = read_documents([str(INPUTS / "table.parquet")])
    assert pq.id == "p1" and pq.text.startswith("Platelets")


def test_io_table_without_text_column_names_columns() -> None:
    with pytest.raises(InputError, match="--text-column"):
        list(read_documents([str(INPUTS / "table.csv")]))


def test_io_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"id": "x", "text": "VAS"}\n'))
    (doc,) = read_documents(["-"])
    assert doc.id == "x"


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("empty.txt", "empty"),
        ("binary.txt", "binary"),
        ("undecodable.txt", "cannot be decoded"),
        ("malformed.jsonl", "malformed.jsonl:2"),
        ("missing_text.jsonl", "'text'"),
        ("out_of_range.jsonl", "out of range"),
        ("overlap.jsonl", "overlap"),
    ],
)
def test_io_bad_input_names_file_and_problem(name: str, fragment: str) -> None:
    with pytest.raises(InputError) as info:
        list(read_documents([str(BAD / name)]))
    assert name in str(info.value)
    assert fragment in str(info.value)


def test_io_skip_errors_counts_and_continues() -> None:
    report = ReadReport()
    docs = list(
        read_documents([str(BAD), str(INPUTS / "docs.jsonl")], skip_errors=True, report=report)
    )
    # malformed.jsonl line 1 is valid and is kept; everything else in bad/ is skipped
    assert [d.id for d in docs][:1] == ["a"]
    assert report.skipped == 7
    assert report.read == 3


def test_io_missing_path() -> None:
    with pytest.raises(InputError, match="no such file"):
        list(read_documents(["does/not/exist.txt"]))


def test_io_record_round_trip(tricky_doc: Document) -> None:
    spans = tuple(
        Span(s.start, s.end, s.label, source="rule:x", score=0.5, norm={"id": "c"})
        for s in tricky_doc.spans
    )
    doc = Document(tricky_doc.id, tricky_doc.text, spans=spans, meta={"k": "v"})
    rec = json.loads(json.dumps(document_to_record(doc)))
    assert all(rec["text"][e["start"] : e["end"]] == e["text"] for e in rec["spans"])
    assert [e["start"] for e in rec["spans"]] == [s for s, _, _ in rec["label"]]
    back = document_from_record(rec, where="mem:1")
    assert back.spans == doc.spans and back.text == doc.text and back.meta["k"] == "v"
    assert [s.norm for s in back.spans] == [{"id": "c"}] * 4


def test_io_atomic_writer_leaves_target_untouched_on_error(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text("precious\n", encoding="utf-8")

    def records():
        yield {"id": "1"}
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_jsonl(records(), target)
    assert target.read_text(encoding="utf-8") == "precious\n"
    assert list(tmp_path.iterdir()) == [target]  # no temp file left behind


def test_io_atomic_writer_writes(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "x.txt"
    with atomic_writer(target) as handle:
        handle.write("a\r\nb")
    assert target.read_bytes() == b"a\r\nb"


@pytest.mark.parametrize(
    ("data", "binary"),
    [
        (b"plain text\twith tabs\r\nand form feeds\x0c\n" * 50, False),
        (b"a" * 200 + b"\x1b" * 9, False),  # nine escapes in 209 bytes: under the share
        (b"a" * 100 + b"\x01\x02\x03" * 20, True),
        (b"\x7f\x80" + bytes(range(14, 32)) * 10, True),
    ],
)
def test_io_control_bytes_decide_binary_without_nul(data: bytes, binary: bool) -> None:
    from annotkit.io import _looks_binary

    assert _looks_binary(data) is binary
