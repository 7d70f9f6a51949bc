"""annotkit.evaluate on hand-computed cases."""

from __future__ import annotations

import pickle

import pytest

from annotkit.doc import Document, Span
from annotkit.errors import InputError
from annotkit.evaluate import (
    Counts,
    evaluate,
    evaluate_many,
    format_table,
    lenient_matches,
    span_languages,
)

TEXT = "Patients got 87 million MSCs and 5 mL of BM-MSCs; the ODI improved."
#       0         1         2         3         4         5         6
#       0123456789012345678901234567890123456789012345678901234567890123456789


def doc(*spans: tuple[int, int, str], text: str = TEXT, doc_id: str = "d1") -> Document:
    return Document(doc_id, text, spans=tuple(Span(s, e, lab) for s, e, lab in spans))


GOLD = doc(
    (13, 23, "DOSE"),
    (24, 28, "CELL_TYPE"),
    (33, 37, "DOSE"),
    (41, 48, "CELL_TYPE"),
    (54, 57, "SCALE"),
)


def test_evaluate_gold_offsets_are_what_the_test_assumes() -> None:
    assert [GOLD.text_of(s) for s in GOLD.spans] == ["87 million", "MSCs", "5 mL", "BM-MSCs", "ODI"]


def test_evaluate_perfect_prediction() -> None:
    r = evaluate([GOLD], [GOLD])
    for mode in ("strict", "lenient"):
        assert r[mode]["micro"] == {
            "tp": 5,
            "fp": 0,
            "fn": 0,
            "gold": 5,
            "pred": 5,
            "precision": 1.0,
            "recall": 1.0,
            "f1": 1.0,
        }


def test_evaluate_strict_vs_lenient_hand_computed() -> None:
    # DOSE "87 million MSCs" (too long), CELL "MSCs" (44-48, boundary off), exact "5 mL",
    # spurious SCALE "Patients", ODI missed.
    pred = doc((0, 8, "SCALE"), (13, 28, "DOSE"), (33, 37, "DOSE"), (44, 48, "CELL_TYPE"))
    r = evaluate([GOLD], [pred])
    s, le = r["strict"], r["lenient"]
    # strict: tp = 1 (5 mL); fp = 3; fn = 4
    assert (s["micro"]["tp"], s["micro"]["fp"], s["micro"]["fn"]) == (1, 3, 4)
    assert s["micro"]["precision"] == pytest.approx(1 / 4)
    assert s["micro"]["recall"] == pytest.approx(1 / 5)
    assert s["micro"]["f1"] == pytest.approx(2 * 0.25 * 0.2 / 0.45, abs=1e-6)
    # lenient: DOSE 87 million (overlap), 5 mL, BM-MSCs (overlap) -> tp 3; "MSCs" gold has no
    # CELL_TYPE prediction overlapping it (the long prediction is DOSE): fn 2; fp 1 (SCALE)
    assert (le["micro"]["tp"], le["micro"]["fp"], le["micro"]["fn"]) == (3, 1, 2)
    assert le["per_label"]["DOSE"]["f1"] == 1.0
    assert le["per_label"]["CELL_TYPE"] == {
        "tp": 1,
        "fp": 0,
        "fn": 1,
        "gold": 2,
        "pred": 1,
        "precision": 1.0,
        "recall": 0.5,
        "f1": pytest.approx(2 / 3, abs=1e-6),
    }
    assert le["per_label"]["SCALE"]["precision"] == 0.0
    assert s["per_label"]["SCALE"]["recall"] == 0.0


def test_evaluate_lenient_label_must_match() -> None:
    pred = doc((24, 28, "DOSE"))
    r = evaluate([GOLD], [pred])
    assert r["lenient"]["micro"]["tp"] == 0
    assert r["lenient"]["per_label"]["DOSE"]["fp"] == 1


def test_evaluate_lenient_never_double_matches() -> None:
    # one long prediction over two gold spans counts once; the other gold is a miss
    gold = doc((13, 23, "DOSE"), (24, 28, "DOSE"))
    pred = doc((13, 28, "DOSE"))
    r = evaluate([gold], [pred])["lenient"]["micro"]
    assert (r["tp"], r["fp"], r["fn"]) == (1, 0, 1)
    # two predictions inside one gold span: one matches, the other is a false positive
    gold2 = doc((13, 28, "DOSE"))
    pred2 = doc((13, 23, "DOSE"), (24, 28, "DOSE"))
    r2 = evaluate([gold2], [pred2])["lenient"]["micro"]
    assert (r2["tp"], r2["fp"], r2["fn"]) == (1, 1, 0)


def test_lenient_matches_is_maximum_not_greedy() -> None:
    # g0 overlaps p0 and p1; g1 overlaps only p0. Greedy (g0 takes the first prediction, p0)
    # would leave g1 unmatched; the maximum matching pairs g0-p1 and g1-p0.
    gold = [Span(0, 10, "DOSE"), Span(10, 12, "DOSE")]
    pred = [Span(0, 11, "DOSE"), Span(5, 9, "DOSE")]
    assert lenient_matches(gold, pred) == [(0, 1), (1, 0)]
    assert lenient_matches(gold, list(reversed(pred))) == [(0, 0), (1, 1)]
    assert lenient_matches(gold, []) == [] and lenient_matches([], pred) == []


def test_evaluate_empty_prediction_and_empty_gold() -> None:
    r = evaluate([GOLD], [doc()])
    assert r["strict"]["micro"] == {
        "tp": 0,
        "fp": 0,
        "fn": 5,
        "gold": 5,
        "pred": 0,
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
    }
    r2 = evaluate([doc()], [GOLD])
    assert r2["lenient"]["micro"]["fp"] == 5 and r2["lenient"]["micro"]["recall"] == 0.0
    r3 = evaluate([doc()], [doc()])
    assert r3["strict"]["micro"]["f1"] == 0.0 and r3["documents"] == 1


def test_evaluate_counts_pool_over_documents() -> None:
    other = Document("d2", "Give 2 mL.", spans=(Span(5, 9, "DOSE"),))
    r = evaluate([GOLD, other], [doc((13, 23, "DOSE")), Document("d2", other.text)])
    dose = r["strict"]["per_label"]["DOSE"]
    assert (dose["tp"], dose["fp"], dose["fn"]) == (1, 0, 2)
    assert r["documents"] == 2


def test_evaluate_missing_pred_doc_names_it() -> None:
    other = Document("d2", "Give 2 mL.", spans=(Span(5, 9, "DOSE"),))
    with pytest.raises(InputError, match="'d2'"):
        evaluate([GOLD, other], [GOLD])
    r = evaluate([GOLD, other], [GOLD, doc(doc_id="extra")], intersection=True)
    assert r["documents"] == 1 and r["missing_ids"] == ["d2"]
    assert r["ignored_pred_ids"] == ["extra"]


def test_evaluate_rejects_different_text_and_duplicate_ids() -> None:
    with pytest.raises(InputError):
        evaluate([GOLD], [Document("d1", TEXT + " ")])
    with pytest.raises(InputError):
        evaluate([GOLD, GOLD], [GOLD])


def test_evaluate_restricts_to_labels() -> None:
    r = evaluate([GOLD], [doc((13, 23, "DOSE"))], labels=("DOSE",))
    assert list(r["strict"]["per_label"]) == ["DOSE"]
    assert r["strict"]["micro"]["recall"] == 0.5


def test_evaluate_by_lang_uses_span_position() -> None:
    text = "Inject 5 mL of MSCs.\n注射 5 毫升间充质干细胞。"
    gold = Document(
        "m",
        text,
        spans=(
            Span(7, 11, "DOSE"),
            Span(15, 19, "CELL_TYPE"),
            Span(24, 28, "DOSE"),
            Span(28, 34, "CELL_TYPE"),
        ),
    )
    assert [gold.text_of(s) for s in gold.spans] == ["5 mL", "MSCs", "5 毫升", "间充质干细胞"]
    pred = Document(
        "m", text, spans=(Span(7, 11, "DOSE"), Span(15, 19, "CELL_TYPE"), Span(24, 26, "DOSE"))
    )
    assert span_languages(gold, gold.spans) == ["en", "en", "zh", "zh"]
    r = evaluate([gold], [pred], by_lang=True)
    assert r["by_lang"]["en"]["strict"]["micro"]["f1"] == 1.0
    zh = r["by_lang"]["zh"]
    assert zh["strict"]["micro"]["tp"] == 0 and zh["lenient"]["micro"]["tp"] == 1
    assert zh["strict"]["micro"]["fn"] == 2


def test_evaluate_many_and_tables() -> None:
    r = evaluate_many([GOLD], {"rules": [GOLD], "empty": [doc()]})
    assert list(r["systems"]) == ["rules", "empty"]
    assert r["systems"]["rules"]["strict"]["micro"]["f1"] == 1.0
    table = format_table(r)
    assert "rules" in table and "empty" in table and "micro" in table
    single = format_table(evaluate([GOLD], [GOLD], by_lang=True))
    assert single.count("micro") == 2 and "language: en" in single
    with pytest.raises(InputError):
        evaluate_many([GOLD], {})
    empty = format_table(evaluate([doc()], [doc()]))
    dose_row = next(line for line in empty.splitlines() if line.startswith("DOSE"))
    assert dose_row.split()[4:7] == ["-", "-", "-"]


def test_counts_and_result_are_picklable_and_deterministic() -> None:
    c = Counts(2, 1, 1)
    assert pickle.loads(pickle.dumps(c)) == c
    assert c.precision == pytest.approx(2 / 3) and c.f1 == pytest.approx(2 / 3)
    assert evaluate([GOLD], [GOLD]) == evaluate([GOLD], [GOLD])
