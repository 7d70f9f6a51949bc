"""Sentence segmentation and tokenization: golden tables per language and invariants."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotkit.errors import InputError, ModelNotFoundError
from annotkit.langid import split_sentences
from annotkit.segment import sentence_bounds, tokenize


def _sents(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_bounds(text)]


# --- golden tables ------------------------------------------------------------------------

ENGLISH = [
    ("One sentence. Two sentences.", ["One sentence.", "Two sentences."]),
    ("Smith et al. reported it. Then we left.", ["Smith et al. reported it.", "Then we left."]),
    ("Smith et al. (2017) showed it.", ["Smith et al. (2017) showed it."]),
    ("Use drugs, e.g. NSAIDs, first.", ["Use drugs, e.g. NSAIDs, first."]),
    ("No adverse events (i.e. death) occurred.", ["No adverse events (i.e. death) occurred."]),
    ("MSCs vs. placebo were compared.", ["MSCs vs. placebo were compared."]),
    ("Dr. Qu agreed. He left.", ["Dr. Qu agreed.", "He left."]),
    ("See Fig. 2 and No. 5 here.", ["See Fig. 2 and No. 5 here."]),
    ("The dose was 2.5 mL. It worked.", ["The dose was 2.5 mL.", "It worked."]),
    ("We used 1,000 cells. They grew.", ["We used 1,000 cells.", "They grew."]),
    ("J. Smith and A. B. Jones wrote it.", ["J. Smith and A. B. Jones wrote it."]),
    ("It was vitamin D. The end.", ["It was vitamin D.", "The end."]),
    ("Is it safe? Yes! It is.", ["Is it safe?", "Yes!", "It is."]),
    ('He said "it works." Then left.', ['He said "it works."', "Then left."]),
    ("It is safe (see above.) And cheap.", ["It is safe (see above.)", "And cheap."]),
    ("Seen in the U.S. and elsewhere.", ["Seen in the U.S. and elsewhere."]),
    (
        "J Transl Med. 2017 Sep 22;15(1):197. doi: 10.1186/s12967-017-1300-y.",
        ["J Transl Med. 2017 Sep 22;15(1):197. doi: 10.1186/s12967-017-1300-y."],
    ),
    ("Spine (Phila Pa 1976). 2016-1", ["Spine (Phila Pa 1976). 2016-1"]),
    ("Pain Physician. 2023-3", ["Pain Physician. 2023-3"]),
    (
        "A Clinical Registry. https://example.org/a?b=1.",
        ["A Clinical Registry.", "https://example.org/a?b=1."],
    ),
    ("Line one\nLine two", ["Line one", "Line two"]),
    ("  padded sentence.  \n\n  next  ", ["padded sentence.", "next"]),
    ("Dr.\nSmith", ["Dr.", "Smith"]),
    ("1. Introduction to it. Then more.", ["1. Introduction to it.", "Then more."]),
    ("iv. Results were good.", ["iv. Results were good."]),
    ("We had 1. Then two.", ["We had 1.", "Then two."]),
    ("Vectors pX462-A and pX462-B. Then it.", ["Vectors pX462-A and pX462-B.", "Then it."]),
    ("Cells, etc. The end.", ["Cells, etc.", "The end."]),
    ("In St. Gallen it was p < 0.05. Next.", ["In St. Gallen it was p < 0.05.", "Next."]),
]

CHINESE = [
    ("结果良好。疼痛减轻！是否有效？", ["结果良好。", "疼痛减轻！", "是否有效？"]),
    ("第一；第二。", ["第一；", "第二。"]),
    ("他说：“很好。”然后离开了。", ["他说：“很好。”", "然后离开了。"]),
    ("（完。）之后", ["（完。）", "之后"]),
    ("然后……走了！？好", ["然后……", "走了！？", "好"]),
    ("半角｡句号", ["半角｡", "句号"]),
    ("剂量为2．5 mg．然后好转", ["剂量为2．5 mg．", "然后好转"]),
    ("背景:退行性椎间盘疾病(DDD)是常见原因。", ["背景:退行性椎间盘疾病(DDD)是常见原因。"]),
    ("MRI 显示 2.5 cm 的病变。NCT03011398。", ["MRI 显示 2.5 cm 的病变。", "NCT03011398。"]),
    ("注册号 NCT03011398. 骨科注册。", ["注册号 NCT03011398.", "骨科注册。"]),
    ("第一行\n第二行", ["第一行", "第二行"]),
    ("背景：退化性椎間盤疾病。方法：注射。", ["背景：退化性椎間盤疾病。", "方法：注射。"]),
]

MIXED = [
    ("The trial ended. 试验结束。", ["The trial ended.", "试验结束。"]),
    ("The trial ended.试验结束。", ["The trial ended.", "试验结束。"]),
    ("日本語の文です。次の文！", ["日本語の文です。", "次の文！"]),
]


@pytest.mark.parametrize(("text", "expected"), ENGLISH)
def test_segment_english_golden(text: str, expected: list[str]) -> None:
    assert _sents(text) == expected


@pytest.mark.parametrize(("text", "expected"), CHINESE)
def test_segment_chinese_golden(text: str, expected: list[str]) -> None:
    assert _sents(text) == expected


@pytest.mark.parametrize(("text", "expected"), MIXED)
def test_segment_mixed_golden(text: str, expected: list[str]) -> None:
    assert _sents(text) == expected


def test_segment_range_offsets_are_into_whole_text() -> None:
    text = "Header.\nOne. Two."
    start = text.index("One")
    assert sentence_bounds(text, start) == [(start, start + 4), (start + 5, len(text))]


def test_segment_split_sentences_with_and_without_lang() -> None:
    text = "Dr. Qu agreed. 结果良好。"
    given_lang = split_sentences(text, "en")
    assert [(s.start, s.end, s.lang) for s in given_lang] == [(0, 14, "en"), (15, 20, "en")]
    detected = split_sentences(text)
    assert [s.lang for s in detected] == ["en", "zh"]


def test_segment_empty_and_whitespace() -> None:
    assert sentence_bounds("") == []
    assert sentence_bounds(" \n\t\n ") == []
    assert split_sentences("") == []


def test_segment_bad_range_and_segmenter_raise() -> None:
    with pytest.raises(InputError):
        sentence_bounds("abc", 2, 1)
    with pytest.raises(InputError):
        split_sentences("abc", segmenter="nltk")  # type: ignore[arg-type]


def test_segment_stanza_without_local_models_raises(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ANNOTKIT_STANZA_DIR", str(tmp_path))
    with pytest.raises(ModelNotFoundError) as err:
        split_sentences("One. Two.", "en", segmenter="stanza")
    assert isinstance(err.value, FileNotFoundError)
    assert "--segmenter rules" in str(err.value)


# --- tokenize -----------------------------------------------------------------------------

TOKENS = [
    ("BM-MSCs were 2.5 mL.", ["BM-MSCs", "were", "2.5", "mL", "."]),
    ("1,000 cells (e.g. 5%)", ["1,000", "cells", "(", "e.g.", "5", "%", ")"]),
    ("don't stop; L4-L5", ["don't", "stop", ";", "L4-L5"]),
    ("NCT03011398.", ["NCT03011398", "."]),
    ("3, 36, and 48", ["3", ",", "36", ",", "and", "48"]),
    ("骨髓MSCs治疗", ["骨", "髓", "MSCs", "治", "疗"]),
    ("(DDD)是", ["(", "DDD", ")", "是"]),
    ("かなカナ한국어", ["か", "な", "カ", "ナ", "한국어"]),
    ("😀 👍🏽", ["😀", "👍🏽"]),
    ("café naïve", ["café", "naïve"]),
]


@pytest.mark.parametrize(("text", "expected"), TOKENS)
def test_tokenize_golden(text: str, expected: list[str]) -> None:
    assert [text[a:b] for a, b in tokenize(text)] == expected


def test_tokenize_jieba_words_keep_offsets() -> None:
    text = "x 骨髓间充质干细胞治疗 DDD"
    toks = tokenize(text, zh_tokens="word")
    words = [text[a:b] for a, b in toks]
    assert words[0] == "x" and words[-1] == "DDD"
    assert "".join(words[1:-1]) == "骨髓间充质干细胞治疗"
    assert any(len(w) > 1 for w in words[1:-1])  # jieba joined characters into words


def test_tokenize_range_and_bad_option() -> None:
    text = "aa bb cc"
    assert tokenize(text, 3, 5) == [(3, 5)]
    with pytest.raises(InputError):
        tokenize(text, zh_tokens="syllable")  # type: ignore[arg-type]


_ALPHABET = st.sampled_from(list('ab Z.!?。！；（）()\n 1,2-骨髓かな한😀\u3000"”'))


@settings(max_examples=300, deadline=None)
@given(st.lists(_ALPHABET, max_size=60).map("".join))
def test_segment_property_sentences_cover_non_whitespace(text: str) -> None:
    bounds = sentence_bounds(text)
    covered = set()
    last = 0
    for a, b in bounds:
        assert last <= a < b
        assert not text[a].isspace() and not text[b - 1].isspace()
        assert not any(ch in "\n\r" for ch in text[a:b])
        covered.update(range(a, b))
        last = b
    assert covered >= {i for i, ch in enumerate(text) if not ch.isspace()}
    for zh_tokens in ("char", "word"):
        toks = tokenize(text, zh_tokens=zh_tokens)  # type: ignore[arg-type]
        assert all(text[a:b].strip() == text[a:b] and a < b for a, b in toks)
        assert all(b <= c for (_, b), (c, _) in zip(toks, toks[1:], strict=False))
        tokens_cover = {i for a, b in toks for i in range(a, b)}
        assert tokens_cover >= {i for i, ch in enumerate(text) if not ch.isspace()}


def test_segment_docstring_examples_run() -> None:
    import doctest

    import annotkit.segment

    assert doctest.testmod(annotkit.segment).failed == 0


def test_segment_stanza_unloadable_models_raise_model_not_found(tmp_path, monkeypatch) -> None:
    pytest.importorskip("stanza")
    (tmp_path / "en" / "tokenize").mkdir(parents=True)
    (tmp_path / "en" / "tokenize" / "combined.pt").write_bytes(b"")  # no resources.json
    monkeypatch.setenv("ANNOTKIT_STANZA_DIR", str(tmp_path))
    with pytest.raises(ModelNotFoundError):
        split_sentences("One. Two.", "en", segmenter="stanza")
