"""annotkit.train without stanza: tagging policy, tag decoding, leakage-free splits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotkit.doc import Document, Span
from annotkit.errors import InputError
from annotkit.io import read_documents
from annotkit.langid import script_lang
from annotkit.split import group_key, split_documents
from annotkit.tags import (
    decode_tags,
    document_sentences,
    tag_document,
    tag_documents,
    to_stanza_json,
)

TINY = Path(__file__).resolve().parent.parent / "data" / "ner_tiny.jsonl"


def _doc(text: str, *marked: tuple[str, str]) -> Document:
    spans = []
    for surface, label in marked:
        i = text.index(surface)
        spans.append(Span(i, i + len(surface), label))
    return Document("d", text, spans=tuple(sorted(spans, key=lambda s: s.start)))


def test_train_bioes_and_bio_tags() -> None:
    doc = _doc("Give 10 million MSCs in 5 mL.", ("10 million", "DOSE"), ("MSCs", "CELL_TYPE"))
    sents, stats = tag_document(doc)
    assert [sents[0].words(doc.text), list(sents[0].tags)] == [
        ["Give", "10", "million", "MSCs", "in", "5", "mL", "."],
        ["O", "B-DOSE", "E-DOSE", "S-CELL_TYPE", "O", "O", "O", "O"],
    ]
    assert stats.spans == 2 and stats.split_tokens == 0
    bio, _ = tag_document(doc, scheme="bio")
    assert bio[0].tags[:4] == ("O", "B-DOSE", "I-DOSE", "B-CELL_TYPE")


def test_train_tokens_split_at_span_edges() -> None:
    # guidelines: "Allo-hMSCs" -> hMSCs; the tokenizer keeps Allo-hMSCs whole
    doc = _doc("Allo-hMSCs were given.", ("hMSCs", "CELL_TYPE"))
    sents, stats = tag_document(doc)
    assert sents[0].words(doc.text)[:2] == ["Allo-", "hMSCs"]
    assert sents[0].tags[:2] == ("O", "S-CELL_TYPE")
    assert stats.split_tokens == 1


def test_train_chinese_char_and_word_tokens() -> None:
    doc = _doc("注射间充质干细胞。", ("间充质干细胞", "CELL_TYPE"))
    chars, _ = tag_document(doc)
    assert len(chars[0].tokens) == 9 and chars[0].tags[2] == "B-CELL_TYPE"
    words, _ = tag_document(doc, zh_tokens="word")
    spans = decode_tags(words[0].tokens, words[0].tags)
    assert [(s.start, s.end) for s in spans] == [(2, 8)]


def test_train_sentences_merged_when_a_span_crosses_a_boundary() -> None:
    text = "Dose was 5 mL. Cells. Next one."
    doc = Document("d", text, spans=(Span(9, 21, "DOSE"),))
    ranges, merged = document_sentences(doc)
    assert merged == 1 and ranges[0] == (0, 21)


def test_train_tags_round_trip_on_fixture() -> None:
    docs = list(read_documents([str(TINY)]))
    sents, stats = tag_documents(docs)
    assert stats.spans == sum(len(d.spans) for d in docs) and stats.dropped_spans == 0
    by_doc: dict[str, list[Span]] = {}
    for s in sents:
        by_doc.setdefault(s.doc_id, []).extend(decode_tags(s.tokens, s.tags))
    for d in docs:
        got = [(s.start, s.end, s.label) for s in by_doc.get(d.id, [])]
        assert got == [(s.start, s.end, s.label) for s in d.spans], d.id
    labels = {s.label for d in docs for s in d.spans}
    assert labels == {"CELL_TYPE", "DOSE", "SCALE"}
    assert {s.lang for s in sents} >= {"en", "zh"}


def test_train_stanza_json_shape() -> None:
    doc = _doc("5 mL", ("5 mL", "DOSE"))
    rows = to_stanza_json(doc.text, tag_document(doc)[0])
    assert rows == [[{"text": "5", "ner": "B-DOSE"}, {"text": "mL", "ner": "E-DOSE"}]]
    json.dumps(rows)


def test_train_decode_tags_lenient() -> None:
    toks = [(0, 1), (2, 3), (4, 5), (6, 7)]
    spans = decode_tags(toks, ["I-DOSE", "E-DOSE", "O", "B-SCALE"])
    assert [(s.start, s.end, s.label) for s in spans] == [(0, 3, "DOSE"), (6, 7, "SCALE")]
    spans = decode_tags(toks, ["B-DOSE", "I-SCALE", "S-DOSE", "O"])
    assert [(s.start, s.end, s.label) for s in spans] == [
        (0, 1, "DOSE"), (2, 3, "SCALE"), (4, 5, "DOSE"),
    ]  # fmt: skip


def test_langid_script_lang() -> None:
    assert script_lang("5 mL of MSCs") == "en"
    assert script_lang("间充质干细胞") == "zh"
    assert script_lang("MSCs 间充质干细胞 mesenchymal") == "mixed"
    assert script_lang("123 !") == "und"


def _bilingual(n: int) -> list[Document]:
    docs = []
    for i in range(n):
        docs.append(Document(f"en{i:03d}", f"text {i}"))
        docs.append(Document(f"zh{i:03d}", f"文本 {i}", meta={"translation_of": f"en{i:03d}"}))
    docs.append(Document("g1", "a", meta={"group": "x"}))
    docs.append(Document("g2", "b", meta={"group": "x"}))
    return docs


def test_train_split_keeps_translations_together_and_is_deterministic() -> None:
    docs = _bilingual(60)
    parts = split_documents(docs)
    again = split_documents(list(reversed(docs)))
    assert {k: sorted(d.id for d in v) for k, v in parts.items()} == {
        k: sorted(d.id for d in v) for k, v in again.items()
    }
    where = {d.id: name for name, part in parts.items() for d in part}
    for i in range(60):
        assert where[f"en{i:03d}"] == where[f"zh{i:03d}"]
    assert where["g1"] == where["g2"]
    sizes = {k: len(v) for k, v in parts.items()}
    assert sum(sizes.values()) == len(docs) and all(sizes.values())
    assert 70 <= sizes["train"] <= 120


def test_train_group_key_is_order_independent() -> None:
    docs = _bilingual(3)
    assert group_key(docs) == group_key(list(reversed(docs)))
    assert group_key(docs)["zh001"] == "en001"


def test_train_split_min_nonempty_moves_whole_groups() -> None:
    docs = _bilingual(3)
    parts = split_documents(docs, (0.9, 0.1), ("train", "dev"), min_nonempty=True)
    assert parts["train"] and parts["dev"]
    dev_ids = {d.id for d in parts["dev"]}
    keys = group_key(docs)
    assert all(keys[d.id] not in {keys[x] for x in dev_ids} for d in parts["train"])


def test_train_split_rejects_bad_ratios() -> None:
    with pytest.raises(InputError):
        split_documents([Document("a", "x")], (0.5,), ("train", "dev"))
