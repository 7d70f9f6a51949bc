"""The combination policy and calibration (annotkit.learn.policy), ranking, and CV folds."""

from __future__ import annotations

import pytest

from annotkit.doc import Document, Span
from annotkit.errors import InputError
from annotkit.learn.engine import Analysis, decide
from annotkit.learn.policy import (
    Calibration,
    Policy,
    candidate_strategies,
    choose_policy,
    combine,
    fit_calibration,
)
from annotkit.learn.rank import rank_analyses
from annotkit.split import fold_documents, group_key


def test_learn_policy_combine_precedence_decides_boundaries() -> None:
    srcs = {"rules": [Span(3, 9, "DOSE")], "crf": [Span(0, 9, "DOSE"), Span(12, 15, "DOSE")]}
    assert [s.key for s in combine("rules>crf", srcs)] == [(3, 9, "DOSE"), (12, 15, "DOSE")]
    assert [s.key for s in combine("crf>rules", srcs)] == [(0, 9, "DOSE"), (12, 15, "DOSE")]
    assert [s.key for s in combine("rules", srcs)] == [(3, 9, "DOSE")]
    assert candidate_strategies(["rules", "crf"]) == ["rules", "crf", "rules>crf", "crf>rules"]


def test_learn_policy_chooses_best_heldout_f1_and_rules_on_ties() -> None:
    n = 10
    same = [(2, 0, 1)] * n
    counts = {
        # the CRF fixes a boundary in every document: a clear win
        ("DOSE", "zh", "rules"): [(2, 2, 2)] * n,
        ("DOSE", "zh", "crf"): [(3, 1, 1)] * n,
        ("DOSE", "zh", "crf>rules"): [(4, 0, 0)] * n,
        ("SCALE", "en", "rules"): same,
        ("SCALE", "en", "crf"): same,
        ("SCALE", "en", "crf>rules"): same,
        # the CRF is better pooled, thanks to one document only: not trusted
        ("CELL_TYPE", "zh", "rules"): [(2, 10, 0)] + [(2, 0, 0)] * (n - 1),
        ("CELL_TYPE", "zh", "crf"): [(2, 0, 0)] + [(2, 0, 0)] * (n - 1),
        ("DOSE", "en", "rules"): [(0, 3, 0)] * n,
        ("DOSE", "en", "crf"): [(0, 0, 0)] * n,
    }
    choices, evidence = choose_policy(counts, ["rules", "crf", "crf>rules"])
    assert choices["DOSE"]["zh"] == "crf>rules"
    assert choices["SCALE"]["en"] == "rules"  # a tie keeps the rules
    cand = evidence["CELL_TYPE"]["zh"]["candidates"]
    assert cand["crf"]["f1"] > cand["rules"]["f1"] and not cand["crf"]["eligible"]
    assert choices["CELL_TYPE"]["zh"] == "rules"
    assert choices["DOSE"]["en"] == "rules"  # no gold there: nothing to learn from
    assert evidence["DOSE"]["zh"]["candidates"]["rules"]["f1"] == pytest.approx(0.5)
    assert choose_policy(counts, ["rules", "crf"]) == choose_policy(counts, ["rules", "crf"])


def test_learn_policy_terms_need_only_not_to_hurt() -> None:
    counts = {("CELL_TYPE", "en", "terms"): [(3, 1, 0), (1, 0, 0)],
              ("CELL_TYPE", "en", "rules"): [(3, 1, 0), (1, 0, 0)]}  # fmt: skip
    assert choose_policy(counts, ["terms", "rules"])[0]["CELL_TYPE"]["en"] == "terms"
    worse = {**counts, ("CELL_TYPE", "en", "terms"): [(3, 2, 0), (1, 0, 0)]}
    assert choose_policy(worse, ["terms", "rules"])[0]["CELL_TYPE"]["en"] == "rules"


def test_learn_policy_calibration_is_monotone_and_inside_0_1() -> None:
    pairs = [(0.2, False)] * 8 + [(0.5, True), (0.5, False)] * 5 + [(0.95, True)] * 20
    cal = fit_calibration(pairs)
    values = [cal(x) for x in (0.0, 0.2, 0.4, 0.5, 0.9, 0.95, 1.0)]
    assert values == sorted(values)
    assert all(0 < v < 1 for v in values)
    assert cal(0.2) < 0.15 and cal(0.5) == pytest.approx(0.5) and cal(0.99) > 0.9
    assert Calibration.from_dict(cal.to_dict()) == cal
    assert fit_calibration([]) == Calibration() and Calibration()(0.0) == 0.01


def test_learn_policy_round_trip_and_decide_with_scores() -> None:
    policy = Policy({"DOSE": {"en": "crf>rules"}}, {"*": fit_calibration([(0.9, True)] * 9)})
    assert Policy.from_dict(policy.to_dict()) == policy
    rules = (Span(2, 6, "DOSE", "rule:dose.v1", 1.0, {"value": 5.0, "unit": "mL"}),
             Span(10, 14, "CELL_TYPE", "rule:lexicon.v1", 1.0))  # fmt: skip
    crf = (Span(0, 6, "DOSE", "model:x/v1"), Span(10, 14, "CELL_TYPE", "model:x/v1"))
    keys = [s.key for s in (*rules, *crf)]
    an = Analysis({"rules": rules, "terms": rules, "crf": crf},
                  dict.fromkeys(keys, 0.9), dict.fromkeys(keys, "en"))  # fmt: skip
    out = decide(an, policy, ref="x/v1")
    assert [s.key for s in out] == [(0, 6, "DOSE"), (10, 14, "CELL_TYPE")]
    assert out[0].source == "model:x/v1" and out[1].source == "rule:lexicon.v1"
    assert all(0 < (s.score or 0) <= 1 for s in out)


def test_learn_rank_orders_by_expected_errors_then_id() -> None:
    sure = Analysis({"rules": (Span(0, 4, "DOSE"),), "crf": (Span(0, 4, "DOSE"),)},
                    {(0, 4, "DOSE"): 0.99}, {(0, 4, "DOSE"): "en"}, ((0, 4, 0.01),))  # fmt: skip
    unsure = Analysis({"rules": (Span(0, 4, "DOSE"),), "crf": (Span(0, 9, "DOSE"),)},
                      {(0, 4, "DOSE"): 0.4, (0, 9, "DOSE"): 0.5},
                      {(0, 4, "DOSE"): "en", (0, 9, "DOSE"): "en"},
                      ((0, 4, 0.4), (5, 9, 0.3)))  # fmt: skip
    cal = {"*": fit_calibration([(0.4, False), (0.99, True)] * 10)}
    docs = [Document("a", "5 mL of x"), Document("b", "5 mL of x"), Document("c", "5 mL of x")]
    ranked = rank_analyses(zip(docs, [sure, unsure, sure], strict=True), Policy({}, cal))
    assert [r.id for r in ranked] == ["b", "a", "c"]
    assert ranked[0].position == 1 and ranked[0].disagreement == 2
    assert ranked[0].value > ranked[1].value


def test_split_fold_documents_balanced_deterministic_leakage_free() -> None:
    docs = [Document(f"d{i}", "x") for i in range(10)]
    docs.append(Document("t3", "y", meta={"translation_of": "d3"}))
    folds = fold_documents(docs, 4)
    keys = group_key(docs)
    assert sorted(len({keys[d.id] for d in f}) for f in folds) == [2, 2, 3, 3]  # 10 groups
    fold_of = {d.id: i for i, f in enumerate(folds) for d in f}
    assert fold_of["t3"] == fold_of["d3"]  # a translation stays with its original
    assert all(fold_of[a] == fold_of[b] for a in keys for b in keys if keys[a] == keys[b])
    again = fold_documents(list(reversed(docs)), 4)  # the input order does not matter
    assert [sorted(d.id for d in f) for f in again] == [sorted(d.id for d in f) for f in folds]
    assert fold_documents(docs, 4, seed="x") != folds
    assert len(fold_documents(docs[:2], 5)) == 2
    with pytest.raises(InputError):
        fold_documents(docs, 0)
