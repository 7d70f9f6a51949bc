"""Every example of docs/annotation-guidelines.md as a test case (English and Chinese).

Each case runs twice: with the small fixture lexicon in tests/data/lexicon (the grammar and
abbreviation rules on their own) and with the packaged lexicons (which must not break them).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from annotkit.annotate import preannotate
from annotkit.annotate.lexicon import Lexicon, load_lexicon
from annotkit.doc import Document

DATA = Path(__file__).resolve().parents[1] / "data" / "lexicon"


@pytest.fixture(scope="module", params=["mini", "packaged"])
def lex(request: pytest.FixtureRequest) -> Lexicon:
    if request.param == "mini":
        return load_lexicon([DATA / "mini.tsv"], stoplist=DATA / "stoplist.tsv")
    return load_lexicon()


def spans(text: str, lex: Lexicon) -> list[tuple[str, str]]:
    doc = preannotate(Document("t", text), lexicon=lex, project=False)
    return [(doc.text_of(s), s.label) for s in doc.spans]


def C(*xs: str) -> list[tuple[str, str]]:
    return [(x, "CELL_TYPE") for x in xs]


def D(*xs: str) -> list[tuple[str, str]]:
    return [(x, "DOSE") for x in xs]


def S(*xs: str) -> list[tuple[str, str]]:
    return [(x, "SCALE") for x in xs]


CELL_TABLE = [
    ("culture-expanded, autologous, bone marrow-derived MSCs", C("bone marrow-derived MSCs")),
    (
        "allogeneic bone marrow-derived mesenchymal stem cells (BM-MSCs)",
        C("bone marrow-derived mesenchymal stem cells", "BM-MSCs"),
    ),
    ("umbilical cord-derived MSCs", C("umbilical cord-derived MSCs")),
    ("medicinal signaling cells (MSC)", C("medicinal signaling cells", "MSC")),
    ("CD34-positive cell numbers", C("CD34-positive cell")),
    ("total nucleated cells", C("nucleated cells")),
    ("platelets", C("platelets")),
    ("骨髓来源的 MSCs", C("骨髓来源的 MSCs")),
    ("间充质干细胞(MSCs)", C("间充质干细胞", "MSCs")),
    (
        "脂肪来源干细胞（adipose-derived stem cells，ADSCs）",
        C("脂肪来源干细胞", "adipose-derived stem cells", "ADSCs"),
    ),
]

CELL_SCOPE = [
    ("cultured hMSC were seeded", C("hMSC")),
    ("human adult mesenchymal stem cells", C("human adult mesenchymal stem cells")),
    ("drug-resistant cells grew", C("drug-resistant cells")),
    ("NTF-secreting cells", C("NTF-secreting cells")),
    ("osteogenic cells", C("osteogenic cells")),
    ("pluripotent stem cells", C("pluripotent stem cells")),
    ("embryonic, neonatal, and adult neurons", C("embryonic, neonatal, and adult neurons")),
    ("MSC's were counted", C("MSC's")),
    ("stromal cells of the bone marrow", C("stromal cells")),
    ("activated platelets", C("platelets")),
    ("apoptotic cells", []),
    ("Allo-hMSCs", C("hMSCs")),
    ("allogeneic culture-expanded bone marrow MSCs", C("bone marrow MSCs")),
    ("stem cell therapy", C("stem cell")),
    ("stem cell injection", C("stem cell")),
    ("hematopoietic stem cell transplantation", C("hematopoietic stem cell")),
    ("chondrocyte population", C("chondrocyte")),
    ("K562 cells", C("K562 cells")),
    ("K562细胞", C("K562细胞")),
    ("a leukemia cell line", C("leukemia cell line")),
    ("HeLa", []),
    ("PLT and WBC were normal", C("PLT", "WBC")),
    ("血小板减少", C("血小板")),
    ("thrombocytopenia", []),
    ("自体骨髓间充质干细胞", C("骨髓间充质干细胞")),
    ("同种异体间充质干细胞", C("间充质干细胞")),
    ("培养的细胞", []),
]

CELL_NOT = [
    "bone marrow",
    "bone marrow aspirate concentrate (BMAC)",
    "platelet-rich plasma (PRP)",
    "platelet lysate",
    "colony forming units-fibroblast (CFU-F)",
    "plasma cell leukemia",
    "B-cell lymphoma",
    "erythrocyte sedimentation rate",
    "促红细胞生成素",
    "免疫性血小板减少症",
    "motor neuron pathways",
    "the cells were washed",
]

DOSE_TABLE = [
    ("1 million cells were injected", D("1 million cells")),
    ("5 million cells into the space", D("5 million cells")),
    ("87 million MSCs", D("87 million") + C("MSCs")),
    ("10 million BM-MSCs", D("10 million") + C("BM-MSCs")),
    ("5 mL were injected", D("5 mL")),
    ("2 ml of saline", D("2 ml")),
    ("40 mg daily", D("40 mg")),
    ("600 mg/d", D("600 mg/d")),
    ("5 毫升", D("5 毫升")),
    ("1-2 mL", D("1-2 mL")),
    ("10–20 million cells", D("10–20 million cells")),
    ("2 × 10^6 cells/kg", D("2 × 10^6 cells/kg")),
    ("1 × 10^7 cells/mL", D("1 × 10^7 cells/mL")),
    ("1*10^8cells/3mL", D("1*10^8cells/3mL")),
    ("2 mL/vial", D("2 mL")),
    ("1 million cells per joint", D("1 million cells")),
    ("3 mL per injection", D("3 mL")),
    ("20 million (2 x 10^7)", D("20 million", "2 x 10^7")),
    ("1.0 x 108 cells", D("1.0 x 108 cells")),
    ("2000毫克/天", D("2000毫克/天")),
    ("1 U / h", D("1 U / h")),
    ("每日 5 毫升", D("5 毫升")),
    ("40 mg bid", D("40 mg")),
    ("up to 5 mL", D("5 mL")),
    ("≥10 mg", D("10 mg")),
    ("约 5 毫升", D("5 毫升")),
    ("5 mL and 10 mL", D("5 mL", "10 mL")),
    ("100 IU", D("100 IU")),
    ("4 U of insulin", D("4 U")),
    ("5000单位", D("5000单位")),
    ("2 x 10^6 MSCs/kg", D("2 x 10^6") + C("MSCs")),
    ("1000万个细胞", D("1000万个细胞")),
    ("一千万个细胞", D("一千万个细胞")),
    ("1000万 MSCs", D("1000万") + C("MSCs")),
    ("five million cells", D("five million cells")),
    ("1×10⁶ cells", D("1×10⁶ cells")),
    ("1e6 cells", D("1e6 cells")),
]

DOSE_NOT = [
    "pain of 10 months duration",
    "after 6 weeks",
    "a 29-year-old male",
    "33 patients",
    "33 名患者",
    "85% of patients",
    "pain was 1/10",
    "a 2-point reduction",
    "epidural steroid injection ×2",
    "3 doses",
    "high dose group",
    "bilateral L4 spondylolysis",
    "at 3, 36, 48, 60, and 72 months",
    "p < 0.05",
    "albumin ≥35 g/L",
    "ALT 40 U/L",
    "WBC 4.5 ×10⁹/L",
    "0.5% human serum albumin",
    "10% KCl",
    "2 片",
    "3 次/d",
    "60 mL of bone marrow aspirated",
    "20 mL of blood drawn",
    "180 cGy",
]

SCALE_TABLE = [
    ("Oswestry Disability Index (ODI)", S("Oswestry Disability Index", "ODI")),
    ("numerical pain rating scale (NPRS)", S("numerical pain rating scale", "NPRS")),
    ("Numeric Rating Scale (NRS-11)", S("Numeric Rating Scale", "NRS-11")),
    (
        "EuroQOL 5-Dimensional Questionnaire (EQ-5D-3L)",
        S("EuroQOL 5-Dimensional Questionnaire", "EQ-5D-3L"),
    ),
    ("Global Mental Health (GMH)", S("Global Mental Health", "GMH")),
    (
        "a modified single assessment numeric evaluation (SANE) rating",
        S("single assessment numeric evaluation", "SANE"),
    ),
    ("functional rating index (FRI)", S("functional rating index", "FRI")),
    ("ODI scores", S("ODI")),
    ("Visual Analogue Scale (VAS)", S("Visual Analogue Scale", "VAS")),
    ("数字疼痛评分(NPS)", S("数字疼痛评分", "NPS")),
    ("疼痛视觉模拟评分（VAS）", S("疼痛视觉模拟评分", "VAS")),
    ("Oswestry 功能障碍指数（ODI）", S("Oswestry 功能障碍指数", "ODI")),
]

SCALE_SCOPE = [
    ("ASIA grade A", S("ASIA")),
    ("the Injury Severity Score was 16", S("Injury Severity Score")),
    ("pain visual analogue scale", S("pain visual analogue scale")),
    ("the modified Oswestry Disability Index", S("Oswestry Disability Index")),
    ("SF-12 Version 2 Health Survey", S("SF-12 Version 2 Health Survey")),
    ("KOOS/HOOS", S("KOOS/HOOS")),
    ("Knee/Hip Osteoarthritis Outcome Score", S("Knee/Hip Osteoarthritis Outcome Score")),
    ("SF (Short Form) -36", S("SF (Short Form) -36")),
    ("ECOG and SF-36", S("ECOG", "SF-36")),
    ("NRS-11 and EQ-5D-3L", S("NRS-11", "EQ-5D-3L")),
]

SCALE_NOT = [
    "minimal clinically important difference (MCID)",
    "MCID was reached",
    "magnetic resonance imaging (MRI)",
    "CT and MRI",
    "Pfirrmann grade",
    "Meyerding grade",
    "Cobb angle",
    "Wagner grade",
    "Fontaine stage",
    "Rutherford category",
    "the International Staging System",
    "body mass index (BMI)",
    "ankle-brachial index (ABI)",
    "T-score",
    "Level of Evidence: Level V",
    "pain scores",
    "functional status",
    "quality of life index",
]


@pytest.mark.parametrize(("text", "expected"), CELL_TABLE + CELL_SCOPE)
def test_guidelines_cell_type(text: str, expected: list[tuple[str, str]], lex: Lexicon) -> None:
    assert spans(text, lex) == expected


@pytest.mark.parametrize("text", CELL_NOT)
def test_guidelines_not_cell_type(text: str, lex: Lexicon) -> None:
    assert [s for s in spans(text, lex) if s[1] == "CELL_TYPE"] == []


@pytest.mark.parametrize(("text", "expected"), DOSE_TABLE)
def test_guidelines_dose(text: str, expected: list[tuple[str, str]], lex: Lexicon) -> None:
    assert spans(text, lex) == expected


@pytest.mark.parametrize("text", DOSE_NOT)
def test_guidelines_not_dose(text: str, lex: Lexicon) -> None:
    assert [s for s in spans(text, lex) if s[1] == "DOSE"] == []


@pytest.mark.parametrize(("text", "expected"), SCALE_TABLE + SCALE_SCOPE)
def test_guidelines_scale(text: str, expected: list[tuple[str, str]], lex: Lexicon) -> None:
    assert spans(text, lex) == expected


@pytest.mark.parametrize("text", SCALE_NOT)
def test_guidelines_not_scale(text: str, lex: Lexicon) -> None:
    assert [s for s in spans(text, lex) if s[1] == "SCALE"] == []
