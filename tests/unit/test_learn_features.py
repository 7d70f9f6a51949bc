"""Fine tokens, sequences and CRF features of the learned engine (annotkit.learn.features)."""

from __future__ import annotations

from annotkit.doc import Span
from annotkit.learn.features import (
    KEEP,
    SourceTags,
    delta_marginals,
    from_delta,
    neighbours,
    sequence_features,
    sequences,
    span_langs,
    to_delta,
    trim_span,
)


def _words(text: str, seq: object) -> list[str]:
    return [text[a:b] for a, b in seq.tokens]  # type: ignore[attr-defined]


def test_learn_features_fine_tokens_split_letters_digits_and_marks() -> None:
    text = "ALLO-ASC and 10x10^6 cells"
    (seq,) = sequences(text, [])
    assert _words(text, seq) == ["ALLO", "-", "ASC", "and", "10", "x", "10", "^", "6", "cells"]


def test_learn_features_tokens_cut_at_every_span_edge() -> None:
    text = "hMSCs16 given"
    (seq,) = sequences(text, [[Span(0, 5, "CELL_TYPE")], [Span(1, 5, "CELL_TYPE")]])
    assert _words(text, seq) == ["h", "MSCs", "16", "given"]
    assert all(text[a:b].strip() == text[a:b] for a, b in seq.tokens)


def test_learn_features_sequences_are_paragraphs_not_sentences() -> None:
    text = "Take 0. 25 g daily. Then rest.\n\n第二段。"
    seqs = sequences(text, [])
    assert len(seqs) == 2  # "0." does not end a sequence; the blank line does
    assert [s.lang for s in seqs] == ["en", "zh"]
    assert _words(text, seqs[1]) == ["第", "二", "段", "。"]


def test_learn_features_a_span_across_a_blank_line_joins_paragraphs() -> None:
    text = "dose 30~\n\n50 ml given"
    seqs = sequences(text, [[Span(5, 15, "DOSE")]])
    assert len(seqs) == 1 and seqs[0].start == 0 and seqs[0].end == len(text)


def test_learn_features_knowledge_features_per_token() -> None:
    text = "Give 5 mL of MSCs"
    rules = (Span(5, 9, "DOSE", source="rule:dose.v1"), Span(13, 17, "CELL_TYPE"))
    tags = SourceTags(rules=rules, lexicon=(Span(13, 17, "CELL_TYPE"),),
                      excluded=(Span(13, 17, "CELL_TYPE"),))  # fmt: skip
    (seq,) = sequences(text, [rules])
    feats = sequence_features(text, seq, tags)
    assert len(feats) == len(seq.tokens) == 5
    assert "r=B-DOSE" in feats[1] and "rs=dose" in feats[1] and "r=E-DOSE" in feats[2]
    assert "lx=S-CELL_TYPE" in feats[4] and "ex" in feats[4] and "ex" not in feats[0]
    assert "-1w=<s>" in feats[0] and "1r=B-DOSE" in feats[0]


def test_learn_features_trim_and_neighbours() -> None:
    text = "(ASC), 升血小板胶囊"
    assert trim_span(text, Span(0, 5, "CELL_TYPE")) == Span(1, 4, "CELL_TYPE")
    assert trim_span(text, Span(4, 6, "CELL_TYPE")) is None
    i = text.index("血")
    assert neighbours(text, i, i + 3) == ("升", "胶")
    assert neighbours("Use the MSCs hotline", 8, 12) == ("the", "hotline")
    assert neighbours("MSCs", 0, 4) == ("", "")


def test_learn_features_delta_target_round_trip() -> None:
    gold = ["B-DOSE", "I-DOSE", "E-DOSE", "O"]
    rules = ["O", "B-DOSE", "E-DOSE", "O"]
    delta = to_delta(gold, rules)
    assert delta == ["B-DOSE", "I-DOSE", KEEP, KEEP]
    assert from_delta(delta, rules) == gold
    margs = delta_marginals([{KEEP: 0.7, "O": 0.3}], ["S-DOSE"])
    assert margs == [{"O": 0.3, "S-DOSE": 0.7}]


def test_learn_features_span_languages_by_paragraph() -> None:
    text = "每次服用\n2. 5 mg / d\n\nGive 5 mL"
    spans = [Span(5, 16, "DOSE"), Span(23, 27, "DOSE")]
    assert span_langs(text, spans) == ["zh", "en"]
