"""Sentence aligner: bead format, coverage, null sides, fixtures, anchors, big inputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from annotkit.align import AlignOptions, align_sentences, load_scorer
from annotkit.align.lexicon import (
    chinese_number,
    english_lemma,
    english_number_words,
    sentence_tokens,
)
from annotkit.doc import Bead
from annotkit.errors import AlignmentError

DATA = Path(__file__).resolve().parent.parent / "data" / "align"


def _lines(name: str) -> list[str]:
    return (DATA / name).read_text(encoding="utf-8").splitlines()


def _covers(beads: list[Bead], n: int, m: int) -> bool:
    src = [i for b in beads for i in b.src]
    tgt = [j for b in beads for j in b.tgt]
    return src == list(range(n)) and tgt == list(range(m))


def test_align_zh_en_fixture_matches_gold() -> None:
    beads = align_sentences(_lines("small.zh"), _lines("small.en"), src_lang="zh", tgt_lang="en")
    assert [b.format() for b in beads] == _lines("small.align")
    assert all(0.0 < (b.score or 0.0) <= 1.0 for b in beads)


def test_align_en_zh_direction_is_symmetric() -> None:
    beads = align_sentences(_lines("small.en"), _lines("small.zh"), src_lang="en", tgt_lang="zh")
    swapped = [f"[{','.join(map(str, b.tgt))}]:[{','.join(map(str, b.src))}]" for b in beads]
    assert swapped == _lines("small.align")


def test_align_language_agnostic_de_fr_without_dictionary() -> None:
    beads = align_sentences(_lines("small.de"), _lines("small.fr"), src_lang="de", tgt_lang="fr")
    assert [b.format() for b in beads] == _lines("small.defr")


@pytest.mark.parametrize(("n", "m"), [(0, 0), (0, 3), (4, 0)])
def test_align_empty_and_one_sided_inputs(n: int, m: int) -> None:
    beads = align_sentences(["Ein Satz."] * n, ["Une phrase."] * m, src_lang="de", tgt_lang="fr")
    assert len(beads) == n + m
    assert [b.format() for b in beads] == [f"[{i}]:[]" for i in range(n)] + [
        f"[]:[{j}]" for j in range(m)
    ]


def test_align_very_different_lengths_covers_everything_monotonically() -> None:
    src = ["Patients were treated with 5 mL of cells in 2017."]
    tgt = [f"Sentence number {k} is about something else entirely." for k in range(40)]
    tgt[17] = "In 2017, patients were treated with 5 mL of cells."
    beads = align_sentences(src, tgt, src_lang="en", tgt_lang="en")
    assert _covers(beads, 1, 40)
    (real,) = [b for b in beads if b.src]
    assert 17 in real.tgt


def test_align_bead_format_and_types() -> None:
    beads = align_sentences(_lines("small.zh"), _lines("small.en"), src_lang="zh", tgt_lang="en")
    assert all(isinstance(b, Bead) and isinstance(b.src, tuple) for b in beads)
    assert beads[1].format() == "[1]:[1,2]"
    assert Bead((), (3,)).format() == "[]:[3]"


def test_align_anchors_pick_the_right_partner_among_similar_lengths() -> None:
    src = ["第 12 组：结果？", "第 47 组：结果！", "第 85 组：结果。"]
    tgt = ["Group 12: results?", "Group 47: results!", "Group 85: results."]
    beads = align_sentences(src, tgt, src_lang="zh", tgt_lang="en")
    assert [b.format() for b in beads] == ["[0]:[0]", "[1]:[1]", "[2]:[2]"]


def test_align_rejects_non_strings_and_bad_options() -> None:
    with pytest.raises(AlignmentError):
        align_sentences(["ok", 3], ["ok"], src_lang="en", tgt_lang="en")  # type: ignore[list-item]
    with pytest.raises(AlignmentError):
        align_sentences(
            ["a"], ["b"], src_lang="en", tgt_lang="en", options=AlignOptions(max_bead=1)
        )


def length_scorer(src: list[str], tgt: list[str], pairs: np.ndarray) -> np.ndarray:
    """A real (if simple) pluggable scorer: similarity of character lengths."""
    ls = np.array([len(src[i]) for i in pairs[:, 0]], dtype=float)
    lt = np.array([len(tgt[j]) for j in pairs[:, 1]], dtype=float)
    return np.minimum(ls, lt) / np.maximum(np.maximum(ls, lt), 1.0)


def test_align_scorer_hook_is_loaded_and_used() -> None:
    scorer = load_scorer(f"{__name__}:length_scorer")
    beads = align_sentences(
        _lines("small.de"), _lines("small.fr"), src_lang="de", tgt_lang="fr", scorer=scorer
    )
    assert _covers(beads, 7, 8)
    with pytest.raises(AlignmentError):
        load_scorer("no_such_module_xyz:f")
    with pytest.raises(AlignmentError):
        load_scorer("not-an-import-path")


def test_align_lexicon_numbers_and_lemmas() -> None:
    assert chinese_number("三十三") == 33
    assert chinese_number("一百零五") == 105
    assert chinese_number("二〇一七") == 2017
    assert chinese_number("两万三千") == 23000
    assert chinese_number("方法") is None
    assert english_number_words("Thirty-three") == 33
    assert english_lemma("Studies") == english_lemma("study") == "study"
    assert english_lemma("cells") == "cell"
    full = {t.form for t in sentence_tokens("共 ３３ 名，占 45％", "zh")}
    assert {"#33", "#45%"} <= full
    en = {t.form for t in sentence_tokens("Thirty-three (45 %) of NCT03011398 were women?", "en")}
    assert {"#33", "#45%", "nct03011398", "?"} <= en


_SYNTH = """
import random, sys, json
from annotkit.align import align_sentences
def hwm():
    # peak RSS of this process (VmHWM restarts at exec; ru_maxrss would include the parent's)
    with open("/proc/self/status") as fh:
        return next(int(x.split()[1]) for x in fh if x.startswith("VmHWM")) / 1024
n = int(sys.argv[1])
rng = random.Random(7)
vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9)))
         for _ in range(3000)]
src, tgt = [], []
for i in range(n):
    words = [rng.choice(vocab) for _ in range(rng.randint(4, 25))]
    num = rng.randint(1, 999)
    src.append(" ".join(words) + f" {num}.")
    tgt.append(" ".join(w[::-1] + "x" for w in words) + f" {num}.")
base = hwm()
beads = align_sentences(src, tgt, src_lang="xx", tgt_lang="yy")
peak = hwm()
ok = sum(1 for b in beads if len(b.src) == 1 and b.src == b.tgt)
print(json.dumps({"correct": ok / n, "extra_mib": peak - base}))
"""


def _run_synthetic(n: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", _SYNTH, str(n)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_align_synthetic_2k_recovers_pairs() -> None:
    result = _run_synthetic(2000)
    assert result["correct"] >= 0.99
    assert result["extra_mib"] < 150


@pytest.mark.slow
def test_align_synthetic_10k_within_memory_bound() -> None:
    result = _run_synthetic(10_000)
    assert result["correct"] >= 0.99
    # one full 10k x 10k float64 matrix alone would need 763 MiB (we measure about 310)
    assert result["extra_mib"] < 400


def test_align_deterministic() -> None:
    src, tgt = _lines("small.zh"), _lines("small.en")
    a = align_sentences(src, tgt, src_lang="zh", tgt_lang="en")
    b = align_sentences(src, tgt, src_lang="zh", tgt_lang="en")
    assert a == b


def test_align_blank_sentences_are_covered_without_warnings() -> None:
    # filterwarnings=error: a division by a zero length variance would fail here
    beads = align_sentences(["", ""], ["", "", ""], src_lang="de", tgt_lang="fr")
    assert _covers(beads, 2, 3)
    beads = align_sentences(["你好", ""], [""], src_lang="zh", tgt_lang="en")
    assert _covers(beads, 2, 1)


@pytest.mark.parametrize(
    ("text", "lang", "marks"),
    [
        ("“但愿真是个玩笑。”", "zh", {'"<', '">'}),
        ('"It was a joke," Wang said.', "en", {'"<'}),
        ("'The book?'", "en", {'"<', '">'}),
        ("He said: « non ».", "fr", {'">'}),
        ("Whiskers' heroic stand.", "en", set()),
        ("No quotation here.", "en", set()),
    ],
)
def test_align_lexicon_quotation_marks(text: str, lang: str, marks: set[str]) -> None:
    forms = {t.form for t in sentence_tokens(text, lang)}
    assert forms & {'"<', '">'} == marks


def test_align_quotation_concepts_match_across_scripts() -> None:
    zh = sentence_tokens("“走吧。”", "zh")
    en = sentence_tokens('"Let us go."', "en")
    shared = {c for t in zh for c in t.concepts} & {c for t in en for c in t.concepts}
    assert shared == {'"<', '">'}


def test_align_edge_skip_prices_only_the_named_edges() -> None:
    src = ["Alpha 11 beta 12.", "Gamma 22 delta 23.", "Epsilon 33 zeta 34."]
    tgt = ["Journal 2025 header.", *src]
    expect = ["[]:[0]", "[0]:[1]", "[1]:[2]", "[2]:[3]"]
    opts = AlignOptions(edge_skip=0.4)
    # a cheap start edge leaves the header out instead of merging it into the first bead
    for edges in ((True, True), (True, False)):
        beads = align_sentences(src, tgt, src_lang="xx", tgt_lang="yy", options=opts, edges=edges)
        assert [b.format() for b in beads] == expect
    # the start not named free, or no edge_skip at all: the ordinary costs decide (a merge)
    for o, edges in ((opts, (False, True)), (AlignOptions(), (True, True))):
        beads = align_sentences(src, tgt, src_lang="xx", tgt_lang="yy", options=o, edges=edges)
        assert beads[0].format() == "[0]:[0,1]"


def test_align_position_rows_locate_matches_inside_the_other_sentence() -> None:
    from annotkit.align.dp import _Interner, _position_rows, _side
    from annotkit.align.lexicon import sentence_tokens

    interner = _Interner()
    texts_s, texts_t = ["Alpha 11 beta."], ["Gamma delta epsilon zeta 11."]
    src = _side([sentence_tokens(x, "xx") for x in texts_s], texts_s, interner)
    tgt = _side([sentence_tokens(x, "yy") for x in texts_t], texts_t, interner)
    w_t, p_t, w_s, p_s = _position_rows(src, tgt, np.array([0]), [1])
    # "11" is the last target token (position 1.0) and the middle source token (0.5)
    assert float(p_t[0][0] / w_t[0][0]) == pytest.approx(1.0)
    assert float(p_s[0][0] / w_s[0][0]) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("text", "weak"),
    [("一是A；", 1.0), ("first; ", 1.0), ("as follows:", 1.0), ("它说，”", 1.0), ("完。", 0.0),
     ("Done.", 0.0), ("(P<0.05)", 0.0), ("", 0.0)],
)  # fmt: skip
def test_align_weak_end_marks_clause_boundaries(text: str, weak: float) -> None:
    from annotkit.align.dp import _weak_end

    assert _weak_end(text) == weak


def test_align_passage_options_keep_a_four_to_one_bead_together() -> None:
    from annotkit.align.passages import PASSAGE_OPTIONS

    en = [
        "Obesity is a growing public health problem in many countries.",
        "We built a mouse model of obesity with a high-fat diet for 12 weeks.",
        "Body weight and blood glucose were measured every week.",
        "Liver sections were stained with oil red O to show lipid droplets.",
        "The expression of PPARγ in liver tissue was detected by Western blot.",
        "The high-fat diet raised body weight by 35% and blood glucose by 20%.",
        "These results show that PPARγ may be a target for treating obesity.",
    ]
    zh = [
        "肥胖是许多国家日益严重的公共卫生问题。",
        "采用高脂饮食喂养小鼠12周建立肥胖模型，每周测量体重和血糖，肝脏切片用油红O染色"
        "显示脂滴，蛋白质印迹法检测肝组织中PPARγ的表达。",
        "高脂饮食使体重增加35%，血糖升高20%。",
        "这些结果表明PPARγ可能是治疗肥胖的靶点。",
    ]
    beads = align_sentences(en, zh, src_lang="en", tgt_lang="zh", options=PASSAGE_OPTIONS)
    assert [b.format() for b in beads] == ["[0]:[0]", "[1,2,3,4]:[1]", "[5]:[2]", "[6]:[3]"]


def test_align_weak_end_option_prices_a_bead_closing_at_a_semicolon_on_one_side() -> None:
    # the Chinese side splits at "；" where English has one sentence: with ``weak_end`` the
    # 1-2 bead (closing at "。" on both sides) must win over ending a bead after the "；"
    src = ["Alpha 11 beta gamma delta epsilon zeta eta theta.", "Iota 13 kappa."]
    tgt = ["Alpha 11 beta gamma delta；", "epsilon zeta eta theta。", "Iota 13 kappa。"]
    beads = align_sentences(
        src, tgt, src_lang="xx", tgt_lang="yy", options=AlignOptions(weak_end=0.8)
    )
    assert [b.format() for b in beads] == ["[0]:[0,1]", "[1]:[2]"]


def test_align_position_mn_stops_a_crossed_many_to_many_bead() -> None:
    src = ["Alpha 11 beta.", "Gamma 33 delta."]
    crossed = ["Gamma 33 delta.", "Omega psi.", "Alpha 11 beta."]
    in_order = ["Alpha 11 beta.", "Omega psi.", "Gamma 33 delta."]
    opts = AlignOptions(position=1.0, position_mn=8.0)

    def fmt(tgt: list[str], o: AlignOptions) -> list[str]:
        return [
            b.format() for b in align_sentences(src, tgt, src_lang="x", tgt_lang="y", options=o)
        ]

    # without the check the crossed translation is glued into one 2-3 bead
    assert fmt(crossed, AlignOptions()) == ["[0,1]:[0,1,2]"]
    assert "[0,1]:[0,1,2]" not in fmt(crossed, opts)
    # sentences in the same order are not affected
    assert fmt(in_order, opts) == fmt(in_order, AlignOptions()) == ["[0]:[0]", "[1]:[1,2]"]


@pytest.mark.parametrize("left,right", [(0.0, 7.0), (float("inf"), float("inf"))])
def test_align_window_is_take_for_every_start_and_width(left: float, right: float) -> None:
    from annotkit.align.dp import _take, _Window

    arr = np.arange(1.0, 6.0)
    window = _Window(arr, left, right, pad=3)
    for start in range(-12, 12):
        for width in range(1, 12):
            got = window.at(start, width)
            np.testing.assert_array_equal(got, _take(arr, start, width, left, right))


def test_align_given_tokens_give_the_same_beads_and_are_checked() -> None:
    from annotkit.align.dp import pair_tokens

    zh, en = _lines("small.zh"), _lines("small.en")
    tokens = ([pair_tokens(s, "zh", "en") for s in zh], [pair_tokens(s, "en", "zh") for s in en])
    plain = align_sentences(zh, en, src_lang="zh", tgt_lang="en")
    assert align_sentences(zh, en, src_lang="zh", tgt_lang="en", tokens=tokens) == plain
    with pytest.raises(AlignmentError, match="one token list per sentence"):
        align_sentences(zh, en, src_lang="zh", tgt_lang="en", tokens=(tokens[0][:-1], tokens[1]))


def test_align_stack_rows_are_take_of_each_array_at_any_start() -> None:
    from annotkit.align.dp import _Stack, _take

    arrays = [np.arange(1.0, 6.0), np.array([7.0]), np.array([], dtype=np.float64)]
    for right in (None, 0.0):
        stack = _Stack([a.copy() for a in arrays], 0.0, right, pad=2)
        for k, arr in enumerate(arrays):
            fill = (arr[-1] if len(arr) else 0.0) if right is None else right
            starts = np.arange(-9, 9)
            got = stack.at(np.full(len(starts), k), starts, 4)
            for row, start in zip(got, starts, strict=True):
                np.testing.assert_array_equal(row, _take(arr, int(start), 4, 0.0, fill))
