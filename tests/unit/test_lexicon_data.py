"""Validation of the packaged lexicon data (``annotkit/resources/lexicon/*.tsv``).

These tests read the TSV files directly (no matcher involved) and check the format agreed
with the rules engine, the guideline constraints that can be checked on data alone, and
the canonical equivalences the issue asks for.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pytest

LEXICON_DIR = Path(str(resources.files("annotkit"))) / "resources" / "lexicon"
LEXICON_HEADER = ["concept_id", "label", "lang", "term", "kind"]
STOPLIST_HEADER = ["term", "lang", "reason"]

#: file name -> label every row of that file carries
LEXICON_FILES = {
    "cell_types.tsv": "CELL_TYPE",
    "scales.tsv": "SCALE",
    "cell_types_ambiguous.tsv": "CELL_TYPE",
    "scales_ambiguous.tsv": "SCALE",
}
MAIN_FILES = ("cell_types.tsv", "scales.tsv")
AMBIGUOUS_FILES = ("cell_types_ambiguous.tsv", "scales_ambiguous.tsv")
ID_PREFIX = {"CELL_TYPE": "cell:", "SCALE": "scale:"}

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"
_NAME_FOLD = str.maketrans({c: " " for c in _DASHES + " \u00a0\u3000"})
_ABBR_FOLD = str.maketrans({c: "-" for c in _DASHES})


@dataclass(frozen=True)
class Row:
    file: str
    line: int
    concept_id: str
    label: str
    lang: str
    term: str
    kind: str


def fold(term: str, kind: str) -> str:
    """The matcher's equivalence: names ignore case and hyphen-vs-space, abbrs only dashes."""
    if kind == "abbr":
        return term.translate(_ABBR_FOLD)
    return term.lower().translate(_NAME_FOLD)


def _data_lines(path: Path) -> list[tuple[int, str]]:
    text = path.read_text(encoding="utf-8")
    return [
        (n, line)
        for n, line in enumerate(text.split("\n"), 1)
        if line.strip() and not line.startswith("#")
    ]


def _read_lexicon(name: str) -> list[Row]:
    lines = _data_lines(LEXICON_DIR / name)
    assert lines, f"{name} is empty"
    header_no, header = lines[0]
    assert header.split("\t") == LEXICON_HEADER, f"{name}:{header_no}: bad header {header!r}"
    rows = []
    for n, line in lines[1:]:
        cells = line.split("\t")
        assert len(cells) == 5, f"{name}:{n}: expected 5 tab-separated fields, got {line!r}"
        rows.append(Row(name, n, *cells))
    return rows


@pytest.fixture(scope="module")
def lexicon() -> dict[str, list[Row]]:
    return {name: _read_lexicon(name) for name in LEXICON_FILES}


@pytest.fixture(scope="module")
def main_rows(lexicon: dict[str, list[Row]]) -> list[Row]:
    return [r for name in MAIN_FILES for r in lexicon[name]]


@pytest.fixture(scope="module")
def all_rows(lexicon: dict[str, list[Row]]) -> list[Row]:
    return [r for rows in lexicon.values() for r in rows]


@pytest.fixture(scope="module")
def stoplist() -> list[tuple[int, str, str, str]]:
    lines = _data_lines(LEXICON_DIR / "stoplist.tsv")
    n0, header = lines[0]
    assert header.split("\t") == STOPLIST_HEADER, f"stoplist.tsv:{n0}: bad header {header!r}"
    out = []
    for n, line in lines[1:]:
        cells = line.split("\t")
        assert len(cells) == 3, f"stoplist.tsv:{n}: expected 3 fields, got {line!r}"
        out.append((n, cells[0], cells[1], cells[2]))
    return out


def _lookup(rows: list[Row], term: str) -> set[str]:
    """Concept ids a surface form resolves to, the way the matcher compares terms."""
    return {
        r.concept_id
        for r in rows
        if fold(r.term, r.kind) == fold(term, r.kind)
        and (r.kind == "name" or r.term.translate(_ABBR_FOLD) == term.translate(_ABBR_FOLD))
    }


def test_lexicon_files_are_utf8_without_bom_or_crlf() -> None:
    for name in [*LEXICON_FILES, "stoplist.tsv"]:
        raw = (LEXICON_DIR / name).read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf"), f"{name} starts with a BOM"
        assert b"\r" not in raw, f"{name} has CR line endings"
        raw.decode("utf-8")


def test_lexicon_rows_have_valid_fields(all_rows: list[Row]) -> None:
    for r in all_rows:
        where = f"{r.file}:{r.line}"
        assert r.label == LEXICON_FILES[r.file], f"{where}: label {r.label!r}"
        assert r.lang in {"en", "zh"}, f"{where}: lang {r.lang!r}"
        assert r.kind in {"name", "abbr"}, f"{where}: kind {r.kind!r}"
        assert re.fullmatch(r"(cell|scale):[a-z0-9][a-z0-9.-]*", r.concept_id), where
        assert r.concept_id.startswith(ID_PREFIX[r.label]), f"{where}: {r.concept_id}"
        for value in (r.concept_id, r.label, r.lang, r.term, r.kind):
            assert value == value.strip() and value, f"{where}: whitespace around {value!r}"
        assert "  " not in r.term, f"{where}: double space in {r.term!r}"
        assert unicodedata.is_normalized("NFC", r.term), f"{where}: {r.term!r} is not NFC"


def test_lexicon_counts_are_broad(main_rows: list[Row]) -> None:
    concepts = defaultdict(set)
    for r in main_rows:
        concepts[r.label].add(r.concept_id)
    assert len(concepts["CELL_TYPE"]) >= 250
    assert len(concepts["SCALE"]) >= 200


def test_lexicon_has_no_duplicate_rows(all_rows: list[Row]) -> None:
    seen: dict[tuple[str, str, str, str], str] = {}
    for r in all_rows:
        key = (r.concept_id, r.lang, r.kind, fold(r.term, r.kind))
        assert key not in seen, f"{r.file}:{r.line}: {r.term!r} repeats {seen[key]}"
        seen[key] = f"{r.file}:{r.line}"


def test_main_lexicon_terms_map_to_one_concept(main_rows: list[Row]) -> None:
    owner: dict[tuple[str, str], Row] = {}
    for r in main_rows:
        key = (r.kind, fold(r.term, r.kind))
        first = owner.setdefault(key, r)
        assert first.concept_id == r.concept_id, (
            f"{r.file}:{r.line}: {r.term!r} is {r.concept_id} and {first.concept_id} "
            f"({first.file}:{first.line}); move the ambiguous form to *_ambiguous.tsv"
        )


def test_abbreviation_plurals_do_not_collide(main_rows: list[Row]) -> None:
    # the engine also matches ABBR+"s" for cell abbreviations
    owner = {r.term: r.concept_id for r in main_rows if r.kind == "abbr"}
    for r in main_rows:
        if r.kind == "abbr" and r.label == "CELL_TYPE" and r.term[-1:].isupper():
            other = owner.get(r.term + "s")
            assert other in (None, r.concept_id), f"{r.term}s is also {other}"


def test_ambiguous_forms_are_not_in_main_lexicon(lexicon: dict[str, list[Row]]) -> None:
    main = {(r.kind, fold(r.term, r.kind)) for name in MAIN_FILES for r in lexicon[name]}
    for name in AMBIGUOUS_FILES:
        for r in lexicon[name]:
            assert (r.kind, fold(r.term, r.kind)) not in main, f"{name}:{r.line}: {r.term!r}"


def test_every_concept_has_an_english_name(all_rows: list[Row]) -> None:
    with_en_name = {r.concept_id for r in all_rows if r.lang == "en" and r.kind == "name"}
    missing = sorted({r.concept_id for r in all_rows} - with_en_name)
    assert not missing, f"concepts without an English name row: {missing}"


def test_language_matches_script(all_rows: list[Row]) -> None:
    for r in all_rows:
        has_han = bool(_HAN.search(r.term))
        assert has_han == (r.lang == "zh"), f"{r.file}:{r.line}: {r.term!r} lang {r.lang}"


def test_abbreviations_look_like_abbreviations(all_rows: list[Row]) -> None:
    for r in all_rows:
        if r.kind == "abbr":
            assert re.search(r"[A-Z]", r.term), f"{r.file}:{r.line}: abbr {r.term!r}"
            assert len(r.term) <= 24, f"{r.file}:{r.line}: abbr {r.term!r} too long"


def test_names_exclude_guideline_outer_words(all_rows: list[Row]) -> None:
    # donor relation, processing, transient states and hedges stay outside the span
    bad_en = re.compile(
        r"^(autologous|allogeneic|allogenic|xenogeneic|cultured|culture-expanded|expanded|"
        r"activated|apoptotic|damaged|target|control|total|the|a|an)\b",
        re.IGNORECASE,
    )
    bad_zh = re.compile(r"^(自体|同种异体|异体|培养的|培养|扩增的|活化的|凋亡)")
    for r in all_rows:
        if r.kind == "name" and r.label == "CELL_TYPE":
            assert not bad_en.search(r.term), f"{r.file}:{r.line}: {r.term!r}"
            assert not bad_zh.search(r.term), f"{r.file}:{r.line}: {r.term!r}"
    # "modified"/"改良" belongs to a SCALE name only where the acronym carries it (mRS, mJOA)
    m_abbr = {r.concept_id for r in all_rows if r.kind == "abbr" and r.term[:1] in "mM"}
    hedge = re.compile(r"^(modified|preoperative|postoperative|baseline|the|a|an)\b|^改良", re.I)
    for r in all_rows:
        if r.label == "SCALE" and r.kind == "name" and hedge.search(r.term):
            assert r.term.lower().startswith(("modified", "改良")), f"{r.file}:{r.line}"
            assert r.concept_id in m_abbr, f"{r.file}:{r.line}: {r.term!r} keeps 'modified'"
    for r in all_rows:
        if r.label == "SCALE" and r.lang == "en":
            assert not re.search(r"\b(rating|ratings|scores)$", r.term), r.term
        if r.label == "SCALE" and r.lang == "zh" and r.kind == "name":
            # "ODI评分" would carry a generic word the English side leaves out
            assert not re.fullmatch(r"[A-Z0-9\- ]+评分", r.term), r.term


def test_stoplist_rows_are_valid(stoplist: list[tuple[int, str, str, str]]) -> None:
    seen = set()
    for n, term, lang, reason in stoplist:
        assert lang in {"en", "zh"}, f"stoplist.tsv:{n}: lang {lang!r}"
        for value in (term, lang, reason):
            assert value == value.strip() and value, f"stoplist.tsv:{n}: {value!r}"
        assert bool(_HAN.search(term)) == (lang == "zh"), f"stoplist.tsv:{n}: {term!r}"
        key = (lang, fold(term, "name"))
        assert key not in seen, f"stoplist.tsv:{n}: duplicate {term!r}"
        seen.add(key)


def test_no_stoplist_term_in_lexicons(
    all_rows: list[Row], stoplist: list[tuple[int, str, str, str]]
) -> None:
    # the engine compares stoplist terms case-insensitively against every lexicon form
    stopped = {fold(term, "name"): n for n, term, _, _ in stoplist}
    for r in all_rows:
        n = stopped.get(fold(r.term, "name"))
        assert n is None, f"{r.file}:{r.line}: {r.term!r} is stoplisted (stoplist.tsv:{n})"


@pytest.mark.parametrize(
    "term",
    [
        "MCID",
        "minimal clinically important difference",
        "MRI",
        "CT",
        "BMI",
        "ABI",
        "Pfirrmann",
        "Meyerding",
        "Cobb angle",
        "Wagner",
        "Fontaine",
        "Rutherford",
        "International Staging System",
        "p-value",
        "BMAC",
        "PRP",
        "platelet-rich plasma",
        "platelet lysate",
        "bone marrow",
        "bone marrow aspirate concentrate",
        "CFU-F",
        "colony forming units-fibroblast",
        "plasma cell leukemia",
        "B-cell lymphoma",
        "erythrocyte sedimentation rate",
        "促红细胞生成素",
        "免疫性血小板减少症",
        "cells",
        "细胞",
    ],
)
def test_guideline_negatives_are_stoplisted(
    term: str, stoplist: list[tuple[int, str, str, str]]
) -> None:
    assert fold(term, "name") in {fold(t, "name") for _, t, _, _ in stoplist}


@pytest.mark.parametrize(
    "terms",
    [
        ["NRS-11", "numeric rating scale", "Numeric Rating Scale", "数字评分法"],
        [
            "BM-MSCs",
            "bone marrow-derived mesenchymal stem cells",
            "骨髓间充质干细胞",
            "骨髓間充質幹細胞",
            "BM-MSC",
            "bone marrow derived mesenchymal stem cell",
        ],
        ["Oswestry Disability Index", "ODI", "Oswestry 功能障碍指数", "Oswestry功能障碍指数"],
        [
            "Visual Analogue Scale",
            "visual analog scale",
            "VAS",
            "疼痛视觉模拟评分",
            "疼痛視覺模擬評分",
            "视觉模拟评分法",
        ],
        ["numerical pain rating scale", "NPRS"],
        ["EuroQOL 5-Dimensional Questionnaire", "EQ-5D", "欧洲五维健康量表"],
        ["single assessment numeric evaluation", "SANE"],
        ["functional rating index", "FRI"],
        ["数字疼痛评分", "numeric pain score"],
        [
            "mesenchymal stem cells",
            "MSCs",
            "MSC",
            "medicinal signaling cells",
            "medicinal signalling cells",
            "间充质干细胞",
        ],
        ["umbilical cord-derived MSCs", "UC-MSCs", "脐带间充质干细胞"],
        ["adipose-derived stem cells", "ADSCs", "AD-MSCs", "脂肪来源干细胞"],
        ["platelets", "PLT", "血小板"],
        ["white blood cells", "WBC", "leukocytes", "白细胞"],
        ["red blood cells", "RBC", "erythrocytes", "红细胞", "紅細胞"],
        ["nucleus pulposus cells", "髓核细胞"],
        [
            "Japanese Orthopaedic Association",
            "Japanese Orthopedic Association",
            "JOA",
            "日本骨科协会评分",
        ],
        ["36-Item Short Form Health Survey", "SF-36", "简明健康调查量表"],
        ["EQ-5D-3L", "EuroQol 5-Dimension 3-Level"],
        ["SF-12 Version 2 Health Survey", "SF-12v2"],
        ["Injury Severity Score", "损伤严重度评分"],
        ["hematopoietic stem cells", "haematopoietic stem cells", "HSCs", "造血干细胞"],
    ],
)
def test_equivalent_forms_share_one_concept(terms: list[str], all_rows: list[Row]) -> None:
    found = {t: _lookup(all_rows, t) for t in terms}
    for t, ids in found.items():
        assert len(ids) == 1, f"{t!r} resolves to {sorted(ids) or 'nothing'}"
    assert len({next(iter(ids)) for ids in found.values()}) == 1, found


@pytest.mark.parametrize(
    ("term", "file"),
    [
        ("GMH", "scales_ambiguous.tsv"),
        ("Global Mental Health", "scales_ambiguous.tsv"),
        ("PCS", "scales_ambiguous.tsv"),
        ("ISS", "scales_ambiguous.tsv"),
        ("NPS", "scales_ambiguous.tsv"),
        ("NPC", "cell_types_ambiguous.tsv"),
        ("NHP", "scales_ambiguous.tsv"),  # also non-human primate
        ("LCL", "cell_types_ambiguous.tsv"),  # also lateral collateral ligament
        ("MPP", "cell_types_ambiguous.tsv"),  # also the MPP+ neurotoxin
    ],
)
def test_ambiguous_forms_live_in_ambiguous_files(
    term: str, file: str, lexicon: dict[str, list[Row]]
) -> None:
    assert _lookup(lexicon[file], term), f"{term!r} missing from {file}"
    assert not _lookup([r for n in MAIN_FILES for r in lexicon[n]], term)


def test_ambiguous_forms_name_each_reading(lexicon: dict[str, list[Row]]) -> None:
    rows = lexicon["scales_ambiguous.tsv"]
    assert _lookup(rows, "PCS") == {"scale:pcs-catastrophizing", "scale:pcs-sf"}
    known = {r.concept_id for rows_ in lexicon.values() for r in rows_ if r.kind == "name"}
    for name in AMBIGUOUS_FILES:
        for r in lexicon[name]:
            assert r.concept_id in known, f"{name}:{r.line}: {r.concept_id} has no name row"
