"""The fast paths of language identification give exactly what the general path gives.

``detect`` scores plain ASCII sentences on a fast path (fused word features, ``re`` instead of
``regex``) and scores a document's Latin pieces in one batch; these tests compare both with
the general, one-piece-at-a-time path on hand-written hard cases.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotkit.doc import Document
from annotkit.langid import (
    LATIN_LANGS,
    _detect,
    _evidence,
    _Pending,
    _profile_features,
    _profile_picks,
    _resolve_all,
    _score_profiles,
    detect,
)
from annotkit.segment import sentence_bounds

CASES = [
    "The patients were treated with stem cells.",
    "Bone marrow-derived MSCs (BM-MSCs) were injected at 1 x 10^6 cells/kg.",
    "Doses of 5 mg/kg and 10 mg/kg were given (NCT03011398, L4-L5).",
    "See https://example.org/a1 and www.example.com for details.",
    "Contact a.b@example.org or see doi 10.1234/abc.5 today.",
    "RESULTS:",
    "Methods",
    "J Transl Med. 2017 Sep 22;15(1):197.",
    "Die Zellen wuchsen gut und wurden nicht behandelt.",
    "Les cellules ont été injectées dans l'articulation.",
    "Le cellule sono state iniettate nell'articolazione dei pazienti.",
    "Don't stop: it's the patients' choice.",
    "A B C D e f",
    "x2 y3 z4",
    "2017-09-22",
    "(P",
    "the (huangqi) herb was used",
    "退行性椎间盘疾病(DDD)的治疗",
    "MSCs 用于治疗膝骨关节炎。",
    "The herb 黄芪 was used in this trial for pain.",
    "Results: pain fell by 50%. 结果:疼痛减少了 50%。",
    "Привет мир, это тест.",
    "café naïve résumé",
    "αβ 5 μL",
]


@pytest.mark.parametrize("text", CASES)
def test_langid_ascii_fast_path_equals_general_path(text: str) -> None:
    # passing the evidence forces the general path
    fast = _detect(text, latin_langs=LATIN_LANGS, backend="profile")
    general = _detect(text, latin_langs=LATIN_LANGS, backend="profile", evidence=_evidence(text))
    assert fast == general


@pytest.mark.parametrize("text", CASES)
def test_langid_deferred_scoring_equals_direct(text: str) -> None:
    direct = _detect(text, latin_langs=LATIN_LANGS, backend="profile")
    deferred = _detect(text, latin_langs=LATIN_LANGS, backend="profile", defer=True)
    assert _resolve_all([deferred])[0] == direct


def test_langid_batched_scores_are_bit_identical() -> None:
    texts = [t for t in CASES if t.isascii()] + ["word " * n for n in (1, 2, 7, 40, 300)]
    feats = [_profile_features(t, LATIN_LANGS) for t in texts]
    batch = _profile_picks(feats, LATIN_LANGS)
    assert batch == [_score_profiles(t, LATIN_LANGS) for t in texts]
    assert any(isinstance(x, tuple) for x in batch)


def test_langid_pending_features_match_the_scorer() -> None:
    text = "The cells were injected into the knee of each patient."
    found = _detect(text, latin_langs=LATIN_LANGS, backend="profile", defer=True)
    assert isinstance(found, _Pending) and found.features is not None
    assert found.features == _profile_features(found.text, LATIN_LANGS)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.sampled_from([*CASES, "\n", " ", ". ", "。", "Fig. 2 ", "e.g. ", "(", ")"]),
        min_size=1,
        max_size=8,
    )
)
def test_langid_document_sentences_match_per_sentence_detection(parts: list[str]) -> None:
    text = "".join(parts)
    doc = detect(Document("d", text))
    bounds = [s for a, b in _line_spans(text) for s in sentence_bounds(text, a, b)]
    # every sentence piece is one of the rule sentences or a part of one
    for s in doc.sentences:
        assert any(a <= s.start and s.end <= b for a, b in bounds)
        assert text[s.start : s.end].strip() == text[s.start : s.end]


def _line_spans(text: str) -> list[tuple[int, int]]:
    out, start = [], 0
    for i, ch in enumerate(text + "\n"):
        if ch in "\n\r\u2028\u2029\x0b\x0c\x85":
            out.append((start, i))
            start = i + 1
    return out
