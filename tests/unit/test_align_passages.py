"""Document path: pairing translated blocks, heading sections, the JSONL record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotkit.align import align_document, heading_of, pairs_to_record
from annotkit.doc import Document
from annotkit.io import read_documents
from annotkit.langid import detect
from annotkit.stages import MissingStageError

SEED = Path(__file__).resolve().parent.parent.parent / "seeds" / "004_2ac9ad6098cbbf61.txt"


@pytest.fixture(scope="module")
def seed004() -> Document:
    return detect(next(iter(read_documents([str(SEED)]))))


@pytest.fixture(scope="module")
def seed004_pairs(seed004: Document):
    return align_document(seed004)


def test_align_seed004_one_en_zh_passage(seed004: Document, seed004_pairs) -> None:
    assert len(seed004_pairs) == 1
    (pair,) = seed004_pairs
    assert (pair.src_lang, pair.tgt_lang) == ("en", "zh")
    text = seed004.text
    assert text[pair.src[0] : pair.src[1]].startswith("BACKGROUND:")
    assert text[pair.tgt[0] : pair.tgt[1]].startswith("背景")
    # the affiliations before and the journal list after are not part of the passage
    assert "Broomfield" not in text[pair.src[0] : pair.src[1]]
    assert "Transplantation. 2011" not in text[pair.tgt[0] : pair.tgt[1]]


def test_align_seed004_four_sections_pair_heading_with_heading(seed004, seed004_pairs) -> None:
    text = seed004.text
    heads = {}
    for sp in seed004_pairs[0].sentences:
        src = " ".join(text[s:e] for s, e in sp.src)
        tgt = "".join(text[s:e] for s, e in sp.tgt)
        if (h := heading_of(src)) is not None:
            heads[h] = heading_of(tgt)
    assert heads == {
        "background": "background",
        "methods": "methods",
        "results": "results",
        "conclusions": "conclusions",
    }


def test_align_seed004_sentence_beads_are_valid_spans(seed004, seed004_pairs) -> None:
    text = seed004.text
    pair = seed004_pairs[0]
    assert len(pair.sentences) >= 14
    one_to_one = sum(1 for sp in pair.sentences if len(sp.src) == 1 and len(sp.tgt) == 1)
    assert one_to_one >= 12
    last = (0, 0)
    for sp in pair.sentences:
        for s, e in sp.src + sp.tgt:
            assert 0 <= s < e <= len(text)
            assert text[s:e] == text[s:e].strip()
        if sp.src and sp.tgt:
            assert sp.src[0][0] >= last[0] and sp.tgt[0][0] >= last[1]
            last = (sp.src[0][0], sp.tgt[0][0])
    # numbers anchor the RESULTS beads: "3, 36, 48, 60, and 72 months" <-> "3、36、48、60 和 72"
    nps = [sp for sp in pair.sentences if "NPS change" in text[sp.src[0][0] : sp.src[-1][1]]]
    assert nps and "72 个月" in "".join(text[s:e] for s, e in nps[0].tgt)


def test_align_record_format(seed004, seed004_pairs) -> None:
    record = pairs_to_record(seed004, seed004_pairs, with_text=False)
    assert set(record) == {"id", "pairs"}
    json.dumps(record)  # JSON-serialisable
    pair = record["pairs"][0]
    assert {"src", "tgt", "src_lang", "tgt_lang", "score", "sentences"} <= set(pair)
    assert all(isinstance(x, list) and len(x) == 2 for x in (pair["src"], pair["tgt"]))
    bead = pair["sentences"][0]
    assert set(bead) == {"src", "tgt", "score"}
    assert all(len(span) == 2 for span in bead["src"] + bead["tgt"])
    full = pairs_to_record(seed004, seed004_pairs)  # the whole record (docs/record.md)
    assert full["text"] == seed004.text and full["pairs"] == record["pairs"]
    assert full["segments"] and full["lang"] == "en"


def test_align_monolingual_documents_have_no_pairs() -> None:
    assert align_document(detect(Document("en", "Only English here. Nothing to pair."))) == ()
    assert align_document(detect(Document("zh", "只有中文。没有译文。"))) == ()
    assert align_document(detect(Document("empty", ""))) == ()


def test_align_requires_detection() -> None:
    with pytest.raises(MissingStageError, match="annotkit detect"):
        align_document(Document("x", "Only English here."))


def test_align_unrelated_passages_are_not_paired() -> None:
    text = (
        "Mesenchymal stem cells were injected into 33 patients with disc degeneration. "
        "Pain scores improved at 12 months.\n"
        "今天天气很好，我们去公园散步。晚上吃了饺子。"
    )
    assert align_document(detect(Document("unrelated", text))) == ()


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("BACKGROUND: Degenerative disc disease", "background"),
        ("Materials and Methods: We used", "methods"),
        ("方法：33 名患者", "methods"),
        ("结论:在 DDD 背景下", "conclusions"),
        ("Results were good: all improved", None),
        ("results: lower-case prose is not a heading", None),
        ("背景下的患者", None),
    ],
)
def test_align_heading_lexicon(sentence: str, expected: str | None) -> None:
    assert heading_of(sentence) == expected
