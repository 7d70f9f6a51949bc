"""Chinese CELL_TYPE grammar (annotkit.annotate.zh_cells) through the packaged lexicon."""

from __future__ import annotations

import pytest

from annotkit.annotate import preannotate
from annotkit.annotate.zh_cells import zh_bad_context, zh_cell_start
from annotkit.doc import Document


def _cells(text: str) -> list[str]:
    doc = preannotate(Document("z", text), project=False)
    return [doc.text_of(s) for s in doc.spans if s.label == "CELL_TYPE"]


@pytest.mark.parametrize(
    ("text", "cells"),
    [
        # modifiers before a complete name are kept (the English "peripheral blood platelets")
        ("术后外周血小板计数恢复", ["外周血小板"]),
        ("骨髓中原始巨核细胞比例升高", ["原始巨核细胞"]),
        ("涂片可见幼稚红细胞", ["幼稚红细胞"]),
        ("晚幼粒细胞增多", ["晚幼粒细胞"]),
        # species, tissue + linker, lineage
        ("取小鼠骨髓间充质干细胞培养", ["小鼠骨髓间充质干细胞"]),
        ("人胎盘来源的间充质干细胞", ["人胎盘来源的间充质干细胞"]),
        ("大鼠脂肪源性干细胞", ["大鼠脂肪源性干细胞"]),
        # markers with polarity, marker codes, cell lines with tumour words
        ("CD133阳性细胞", ["CD133阳性细胞"]),
        ("CD8+细胞毒性T细胞", ["CD8+细胞毒性T细胞"]),
        ("人乳腺癌MCF-7细胞", ["人乳腺癌MCF-7细胞"]),
        ("人白血病K562细胞", ["人白血病K562细胞"]),
        ("胃癌细胞的迁移", ["胃癌细胞"]),
    ],
)
def test_zh_cells_modifiers_are_kept(text: str, cells: list[str]) -> None:
    assert _cells(text) == cells


@pytest.mark.parametrize(
    ("text", "cells"),
    [
        # donor relation, processing and words that end another word stay outside
        ("输注自体外周血干细胞", ["外周血干细胞"]),
        ("同种异体脐带间充质干细胞", ["脐带间充质干细胞"]),
        ("扩增的骨髓间充质干细胞", ["骨髓间充质干细胞"]),
        ("病人骨髓单个核细胞", ["骨髓单个核细胞"]),
        ("老人红细胞", ["红细胞"]),
        ("活化的T细胞", ["T细胞"]),
        ("培养的细胞", []),
        ("每个细胞", []),
    ],
)
def test_zh_cells_donor_processing_and_other_words_stay_out(text: str, cells: list[str]) -> None:
    assert _cells(text) == cells


@pytest.mark.parametrize(
    "text",
    [
        "口服升血小板胶囊治疗",  # a drug name: dosage form after the cell word
        "给予抗血小板药物",  # a drug action before it
        "重组人粒细胞集落刺激因子",  # a protein / drug
        "白细胞介素-6水平",  # interleukin
        "促红细胞生成素",
        "免疫性血小板减少症",  # a disease
    ],
)
def test_zh_cells_cell_words_in_drug_protein_disease_names(text: str) -> None:
    assert _cells(text) == []


def test_zh_cells_findings_keep_the_cell_noun() -> None:
    assert _cells("化疗后血小板减少") == ["血小板"]


def test_zh_cells_scanner_directly() -> None:
    text = "自体骨髓来源的间充质干细胞"
    head = text.index("细胞")
    assert text[zh_cell_start(text, head, required=True) :] == "骨髓来源的间充质干细胞"
    assert zh_cell_start("的细胞", 1, required=True) is None
    assert zh_cell_start("的细胞", 1, required=False) == 1
    assert zh_bad_context("升血小板胶囊", 1, 4)
    assert not zh_bad_context("外周血小板减少", 2, 5)


def test_zh_cells_litre_unit_before_a_cell_name_is_no_drug_prefix() -> None:
    from annotkit.annotate.rules import annotate_text

    text = "患者接受了5 毫升骨髓间充质干细胞。升血小板胶囊口服。"
    found = {text[s.start : s.end]: s for s in annotate_text(text)}
    assert found["5 毫升"].label == "DOSE"
    assert found["骨髓间充质干细胞"].norm == {"id": "cell:bm-msc"}
    assert "血小板" not in found  # the drug name stays untagged


@pytest.mark.parametrize(
    ("text", "cells"),
    [
        # tumour words before a cell-line code; codes that start with a digit
        ("人肺鳞癌H520细胞", ["人肺鳞癌H520细胞"]),
        ("人胃腺癌SGC-7901细胞", ["人胃腺癌SGC-7901细胞"]),
        ("诱导3T3-L1前脂肪细胞分化", ["3T3-L1前脂肪细胞"]),
        ("取5ml细胞悬液", []),
        # coordinated codes share the head
        ("HepG2和Huh-7细胞系中", ["HepG2和Huh-7细胞系"]),
        # a polarity in brackets; the maturation state
        ("初始CD8(+)T细胞", ["初始CD8(+)T细胞"]),
        # anatomy of the cells' site
        ("大鼠胸主动脉内皮细胞", ["大鼠胸主动脉内皮细胞"]),
        ("背根神经节细胞", ["背根神经节细胞"]),
        # megakaryocyte stages and CAR generations with their target
        ("颗粒型巨核细胞减少", ["颗粒型巨核细胞"]),
        ("CD19 靶向的第三代CAR-T细胞", ["CD19 靶向的第三代CAR-T细胞"]),
        # a constructed line's words before 细胞株/细胞系 only
        ("构建TP53基因敲除的HCT116稳定细胞株", ["TP53基因敲除的HCT116稳定细胞株"]),
        ("HeLa单克隆细胞株", ["HeLa单克隆细胞株"]),
        ("稳定细胞", []),
    ],
)
def test_zh_cells_round2_modifiers(text: str, cells: list[str]) -> None:
    assert _cells(text) == cells


@pytest.mark.parametrize(
    ("text", "cells"),
    [
        # the experiment's animals are not the cells' source; a strain is
        ("模型小鼠外周血小板减少", ["外周血小板"]),
        ("AMI大鼠心肌细胞凋亡", ["心肌细胞"]),
        ("取SD大鼠骨髓间充质干细胞", ["SD大鼠骨髓间充质干细胞"]),
        # 杀伤 before tumour cells is the verb "kill"
        ("特异性杀伤肿瘤细胞", ["肿瘤细胞"]),
        ("自然杀伤细胞", ["自然杀伤细胞"]),
        # a procedure named after cells
        ("行肿瘤细胞减灭术", []),
        ("Saos-2、MG-63细胞", ["Saos-2、MG-63细胞"]),
    ],
)
def test_zh_cells_round2_boundaries(text: str, cells: list[str]) -> None:
    assert _cells(text) == cells


@pytest.mark.parametrize(
    ("text", "cells"),
    [
        ("人非小细胞肺癌H1299细胞", ["人非小细胞肺癌H1299细胞"]),
        ("急性髓系白血病HL-60细胞", ["急性髓系白血病HL-60细胞"]),
        ("仓鼠卵巢细胞", ["仓鼠卵巢细胞"]),
        ("綿羊骨髓細胞", ["綿羊骨髓細胞"]),  # traditional script
    ],
)
def test_zh_cells_round2_tumours_and_species(text: str, cells: list[str]) -> None:
    assert _cells(text) == cells


@pytest.mark.parametrize(
    ("text", "cells"),
    [
        ("大鼠肾上腺嗜铬细胞瘤PC12细胞", ["大鼠肾上腺嗜铬细胞瘤PC12细胞"]),
        ("人胚肾293T细胞", ["人胚肾293T细胞"]),
        ("人橫紋肌肉瘤RD細胞", ["人橫紋肌肉瘤RD細胞"]),  # traditional script
    ],
)
def test_zh_cells_round2_more_tumours(text: str, cells: list[str]) -> None:
    assert _cells(text) == cells
