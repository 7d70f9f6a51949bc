"""DOSE grammar: spans and normalised values (annotkit.annotate.dose)."""

from __future__ import annotations

import pytest

from annotkit.annotate.dose import find_doses, parse_number, writes_spaced_numbers


@pytest.mark.parametrize(
    ("text", "value", "has_mag"),
    [
        ("5", 5.0, False),
        ("1,000", 1000.0, False),
        ("2.5", 2.5, False),
        ("87 million", 8.7e7, True),
        ("five million", 5e6, True),
        ("eighty-seven million", 8.7e7, True),
        ("one hundred", 100.0, False),
        ("1 × 10^6", 1e6, True),
        ("1×10⁶", 1e6, True),
        ("2 x 10^7", 2e7, True),
        ("10^7", 1e7, True),
        ("1e6", 1e6, True),
        ("1.0 x 108", 1e8, True),
        ("5 × 10⁻³", 5e-3, True),
        ("1000万", 1e7, True),
        ("一千万", 1e7, True),
        ("两亿", 2e8, True),
        ("三十五", 35.0, False),
        ("100", 100.0, False),
    ],
)
def test_dose_parse_number(text: str, value: float, has_mag: bool) -> None:
    got, mag = parse_number(text)
    assert got == pytest.approx(value)
    assert mag is has_mag


@pytest.mark.parametrize(
    ("text", "norm"),
    [
        ("5 mL", {"value": 5.0, "unit": "mL"}),
        ("2 ml", {"value": 2.0, "unit": "mL"}),
        ("0.5 L", {"value": 500.0, "unit": "mL"}),
        ("200 µL", {"value": 0.2, "unit": "mL"}),
        ("200 μL", {"value": 0.2, "unit": "mL"}),
        ("5 毫升", {"value": 5.0, "unit": "mL"}),
        ("40 mg", {"value": 40.0, "unit": "mg"}),
        ("2 g", {"value": 2000.0, "unit": "mg"}),
        ("500 µg", {"value": 0.5, "unit": "mg"}),
        ("50 ng", {"value": 5e-5, "unit": "mg"}),
        ("600 mg/d", {"value": 600.0, "unit": "mg/d"}),
        ("2000毫克/天", {"value": 2000.0, "unit": "mg/d"}),
        ("1 mg/kg", {"value": 1.0, "unit": "mg/kg"}),
        ("100 IU", {"value": 100.0, "unit": "IU"}),
        ("4 U", {"value": 4.0, "unit": "U"}),
        ("1 U / h", {"value": 1.0, "unit": "U/h"}),
        ("5000单位", {"value": 5000.0, "unit": "U"}),
        ("1 million cells", {"value": 1e6, "unit": "cells"}),
        ("2 × 10^6 cells/kg", {"value": 2e6, "unit": "cells/kg"}),
        ("1 × 10^7 cells/mL", {"value": 1e7, "unit": "cells/mL"}),
        ("1*10^8cells/3mL", {"value": 1e8, "unit": "cells/mL", "per": 3.0}),
        ("1000万个细胞", {"value": 1e7, "unit": "cells"}),
        ("1-2 mL", {"value": 1.0, "unit": "mL", "value_max": 2.0}),
        ("10–20 million cells", {"value": 1e7, "unit": "cells", "value_max": 2e7}),
        ("5 to 10 mg", {"value": 5.0, "unit": "mg", "value_max": 10.0}),
        ("2 mM", {"value": 2.0, "unit": "mM"}),
        ("10 μM", {"value": 0.01, "unit": "mM"}),
        ("10 mg/m2", {"value": 10.0, "unit": "mg/m2"}),
    ],
)
def test_dose_normalisation(text: str, norm: dict[str, object]) -> None:
    doses = find_doses(text)
    assert len(doses) == 1
    assert text[doses[0].start : doses[0].end] == text
    assert doses[0].norm == pytest.approx(norm)


def test_dose_bare_magnitude_needs_following_cell_type() -> None:
    text = "87 million MSCs and 87 million people"
    doses = find_doses(text, cell_starts={11})
    assert [(d.start, d.end) for d in doses] == [(0, 10)]
    assert doses[0].norm == {"value": 8.7e7, "unit": "cells"}


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("between 10 and 20 mL", ["10 and 20 mL"]),
        ("5 and 10 mg", ["5", "10 mg"]),
        ("5 mL and 10 mL", ["5 mL", "10 mL"]),
        ("one hundred and five mg", ["one hundred and five mg"]),
        ("twenty and thirty mg", ["twenty", "thirty mg"]),
    ],
)
def test_dose_and_is_a_range_only_after_between(text: str, spans: list[str]) -> None:
    assert [text[d.start : d.end] for d in find_doses(text)] == spans


def test_dose_restated_equivalent_is_its_own_span() -> None:
    text = "5 million cells (5 × 10^6) were given"
    assert [text[d.start : d.end] for d in find_doses(text)] == ["5 million cells", "5 × 10^6"]


@pytest.mark.parametrize(
    "text",
    ["60 mL of bone marrow was aspirated", "we harvested 60 mL of marrow", "抽取骨髓 60 毫升"],
)
def test_dose_harvested_volumes_are_not_doses(text: str) -> None:
    assert find_doses(text) == []


def test_dose_harvest_rule_is_scoped_to_its_own_amount() -> None:
    text = "Forty milliliters of marrow was aspirated and 8 mL of the concentrate was injected."
    assert [text[d.start : d.end] for d in find_doses(text)] == ["8 mL"]
    text = "Blood (30 mL) was drawn before 4 mL of PRP was injected; 50 mL was then harvested."
    assert [text[d.start : d.end] for d in find_doses(text)] == ["4 mL"]
    text = "抽取骨髓并离心浓缩，注射2毫升"
    assert [text[d.start : d.end] for d in find_doses(text)] == ["2毫升"]
    text = "抽取外周血后注射3毫升"
    assert [text[d.start : d.end] for d in find_doses(text)] == ["3毫升"]


@pytest.mark.parametrize(
    ("text", "spans", "values"),
    [
        ("each knee got 3 or 6 mL of gel", ["3", "6 mL"], [3.0, 6.0]),
        ("doses of 25, 50 or 100 mg daily", ["25", "50", "100 mg"], [25.0, 50.0, 100.0]),
        ("2 and 4 million cells", ["2", "4 million cells"], [2e6, 4e6]),
        ("给予2或4毫升", ["2", "4毫升"], [2.0, 4.0]),
        ("between 2 and 4 mL", ["2 and 4 mL"], [2.0]),
        ("p < 0.01 and 20 mg", ["20 mg"], [20.0]),
        ("on days 7 and 14 mL", ["14 mL"], [14.0]),
        ("In 2019, 5 mL was given", ["5 mL"], [5.0]),
        ("TNF-8 and 4 mg", ["4 mg"], [4.0]),
    ],
)
def test_dose_coordinated_amounts_get_one_span_each(
    text: str, spans: list[str], values: list[float]
) -> None:
    doses = find_doses(text)
    assert [text[d.start : d.end] for d in doses] == spans
    assert [d.norm["value"] for d in doses] == values
    assert len({d.norm["unit"] for d in doses}) == 1


@pytest.mark.parametrize(
    ("text", "span"),
    [("3.5 x 107 were infused", "3.5 x 107"), ("a total of 2 × 10^6.", "2 × 10^6")],
)
def test_dose_standalone_scientific_number_is_a_dose(text: str, span: str) -> None:
    assert [text[d.start : d.end] for d in find_doses(text)] == [span]


@pytest.mark.parametrize(
    ("text", "span", "value"),
    [
        ("4.2 x 10(6) cells were injected", "4.2 x 10(6) cells", 4.2e6),
        ("a dose of 3 x 10(-2) mg", "3 x 10(-2) mg", 0.03),
    ],
)
def test_dose_exponent_written_in_parentheses(text: str, span: str, value: float) -> None:
    doses = find_doses(text)
    assert [text[d.start : d.end] for d in doses] == [span]
    assert doses[0].norm["value"] == pytest.approx(value)


def test_dose_coordinated_bare_magnitudes_before_a_cell_type() -> None:
    text = "2 x 10^6 and 4 x 10^6 MSCs"
    doses = find_doses(text, cell_starts={text.index("MSCs")})
    assert [(text[d.start : d.end], d.norm["value"]) for d in doses] == [
        ("2 x 10^6", 2e6),
        ("4 x 10^6", 4e6),
    ]
    text = "3 and 6 million MSCs"
    doses = find_doses(text, cell_starts={text.index("MSCs")})
    assert [(text[d.start : d.end], d.norm["value"]) for d in doses] == [
        ("3", 3e6),
        ("6 million", 6e6),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "the platelet count was 2.4 x 10^5.",
        "cells were plated at 5 x 10^3 per well",
        "a mean of 4.5 x 10^7 were harvested from each donor.",
    ],
)
def test_dose_measured_or_harvested_scientific_number_is_not_a_dose(text: str) -> None:
    assert find_doses(text) == []


@pytest.mark.parametrize(
    "text", ["counts of 2.5 x 109/L", "3 x 105 copies", "p = 4 x 10^-3.", "in 3 x 10 wells"]
)
def test_dose_scientific_number_with_other_unit_is_not_a_dose(text: str) -> None:
    assert find_doses(text) == []


def test_dose_injected_concentrate_is_a_dose() -> None:
    text = "5 mL of bone marrow aspirate concentrate were injected"
    assert [text[d.start : d.end] for d in find_doses(text)] == ["5 mL"]


@pytest.mark.parametrize(
    "text",
    [
        "35 g/L",
        "ALT 40 U/L",
        "4.5 ×10⁹/L",
        "Hb 12 g/dL",
        "5 mg/dL",
        "density 1 g cm−3",
        "2000 g mol−1",
        "1.20 g/m3",
        "Figures 3K and 3L",
        "a 5 mm incision",
        "lost 5 kg",
    ],
)
def test_dose_lab_values_and_physical_units_are_not_doses(text: str) -> None:
    assert find_doses(text) == []


def test_dose_spans_are_sorted_and_disjoint() -> None:
    text = "Patients got 5 mL, then 10 mg/kg, then 2 x 10^7 cells/kg and 100 IU over 3 days."
    doses = find_doses(text)
    assert [text[d.start : d.end] for d in doses] == [
        "5 mL",
        "10 mg/kg",
        "2 x 10^7 cells/kg",
        "100 IU",
    ]
    ends = [d.end for d in doses]
    assert all(ends[i] <= doses[i + 1].start for i in range(len(doses) - 1))


# ----------------------------------------------------------------------------- issue 13
@pytest.mark.parametrize(
    ("text", "spans", "values"),
    [
        # Chinese journal style: spaced decimals and digit groups (the text is mostly Han)
        ("每日口服 0. 5 mg / d,随后加量", ["0. 5 mg / d"], [0.5]),
        ("维生素 D 的推荐补充量为 1 500 ~ 2 000 IU", ["1 500 ~ 2 000 IU"], [1500.0]),
        ("剂量依次为 0. 1、0. 2 和 0. 4 mg 每次", ["0. 1", "0. 2", "0. 4 mg"], [0.1, 0.2, 0.4]),
        ("皮下注射 0. 2 U / kg 的胰岛素", ["0. 2 U / kg"], [0.2]),
    ],
)
def test_dose_spaced_numbers_in_chinese_text(
    text: str, spans: list[str], values: list[float]
) -> None:
    doses = find_doses(text)
    assert [text[d.start : d.end] for d in doses] == spans
    assert [d.norm["value"] for d in doses] == pytest.approx(values)


def test_dose_spaced_numbers_only_where_the_text_writes_them() -> None:
    assert writes_spaced_numbers("每日 0. 5 mg") and writes_spaced_numbers("共 1 500 IU")
    assert not writes_spaced_numbers("We enrolled 120 patients in 2019. 5 mL was given.")
    text = "The dose was raised in week 2. 5 mL was then given."
    assert [text[d.start : d.end] for d in find_doses(text)] == ["5 mL"]


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("零点五毫升", 0.5, "mL"),  # not 5 mL: a dose off by 10x is worse than none
        ("一点五毫克", 1.5, "mg"),
        ("两千五百万个细胞", 2.5e7, "cells"),
        ("一亿五千万个细胞", 1.5e8, "cells"),
        ("一万二千单位", 12000.0, "U"),
        ("一万二单位", 12000.0, "U"),
        ("3千万个细胞", 3e7, "cells"),
        ("1.5万单位", 15000.0, "U"),
        ("二十毫克", 20.0, "mg"),
        ("兩萬單位", 20000.0, "U"),
    ],
)
def test_dose_chinese_numerals_normalise(text: str, value: float, unit: str) -> None:
    doses = find_doses(text)
    assert [text[d.start : d.end] for d in doses] == [text]
    assert doses[0].norm["value"] == pytest.approx(value)
    assert doses[0].norm["unit"] == unit


def test_dose_kilogram_is_not_a_thousand() -> None:
    assert find_doses("体重5千克") == []


@pytest.mark.parametrize(
    ("text", "unit"),
    [("唑来膦酸 5 mg /年", "mg/yr"), ("5 mg/year", "mg/yr"), ("每次 2 mg / 月", "mg/mo")],
)
def test_dose_yearly_and_monthly_rates(text: str, unit: str) -> None:
    doses = find_doses(text)
    assert len(doses) == 1 and doses[0].norm["unit"] == unit


@pytest.mark.parametrize(
    "text",
    [
        "eGFR ≥ 45 ml/(min·1.73 m2) was required",
        "creatinine clearance 60 mL/min/1.73 m²",
        "饮水量增至约 3 L / d",
        "urine output of 1500 mL per day",
        "术中出血量约 200 ml",
    ],
)
def test_dose_clearances_and_measured_volumes_are_not_doses(text: str) -> None:
    assert find_doses(text) == []


def test_dose_amounts_listed_before_one_harvest_verb_are_all_harvested() -> None:
    text = "Marrow (2-3 ml/kg, up to 50 ml) will be aspirated; 5 mL of MSCs is infused."
    assert [text[d.start : d.end] for d in find_doses(text)] == ["5 mL"]


def test_dose_e_style_exponent_after_a_times_sign() -> None:
    text = "a total of 3*10e7 cells"
    doses = find_doses(text)
    assert [text[d.start : d.end] for d in doses] == ["3*10e7 cells"]
    assert doses[0].norm["value"] == pytest.approx(3e7)


def test_dose_bare_magnitudes_listed_with_parentheses_before_a_cell_type() -> None:
    text = "arms received 5x10^6 (arm A), 15x10^6 (arm B) or 45x10^6 (arm C) MSCs"
    doses = find_doses(text, cell_starts={text.index("MSCs")})
    assert [(text[d.start : d.end], d.norm["value"]) for d in doses] == [
        ("5x10^6", 5e6),
        ("15x10^6", 1.5e7),
        ("45x10^6", 4.5e7),
    ]


@pytest.mark.parametrize(
    ("text", "spans"),
    [("十二五规划", []), ("三七粉 3 g", ["3 g"]), ("千万不要停药", []), ("百分之五十", [])],
)
def test_dose_numeral_strings_without_a_value_or_unit_are_skipped(
    text: str, spans: list[str]
) -> None:
    assert [text[d.start : d.end] for d in find_doses(text)] == spans  # and never raises


@pytest.mark.parametrize(
    ("text", "span", "unit"),
    [
        ("a dose of 2×106 / kg was infused", "2×106 / kg", "cells/kg"),  # guidelines (December)
        ("suspended at 25 million / ml", "25 million / ml", "cells/mL"),
    ],
)
def test_dose_bare_cell_count_keeps_its_qualifier(text: str, span: str, unit: str) -> None:
    doses = find_doses(text)
    assert [text[d.start : d.end] for d in doses] == [span]
    assert doses[0].norm["unit"] == unit


def test_dose_measured_count_with_qualifier_is_not_a_dose() -> None:
    assert find_doses("CD34+ counts were 5 x 10^6/kg") == []


@pytest.mark.parametrize(
    ("text", "span", "unit"),
    [
        # a body-weight rate in brackets keeps its qualifier, not the closing bracket
        ("a low-dose group [5 mg/(kg.d)] and", "5 mg/(kg.d", "mg/kg/d"),
        ("泵注维持量1 μg/(kg·h)至手术结束", "1 μg/(kg·h", "mg/kg/h"),
        ("given at 3 mg/(kg · min) for", "3 mg/(kg · min", "mg/kg/min"),
        # the same rate written with exponents
        ("given 4 mg·kg-1·d-1 orally", "4 mg·kg-1·d-1", "mg/kg/d"),
        ("at 10 μg kg−1 min−1 for", "10 μg kg−1 min−1", "mg/kg/min"),
        ("a single 2 mg·kg−1 bolus", "2 mg·kg−1", "mg/kg"),
        ("given 200 mg·d-1 orally", "200 mg·d-1", "mg/d"),
        # a middle dot before the rate reads like the slash
        ("给予 10 mg/kg·d 治疗", "10 mg/kg·d", "mg/kg/d"),
    ],
)
def test_dose_bracketed_and_exponent_rates(text: str, span: str, unit: str) -> None:
    (dose,) = find_doses(text)
    assert text[dose.start : dose.end] == span
    assert dose.norm["unit"] == unit


def test_dose_taiwanese_units_and_sample_contents() -> None:
    text = "每日最多攝取30 公克乳糖"
    (dose,) = find_doses(text)
    assert text[dose.start : dose.end] == "30 公克"
    assert dose.norm == {"value": 30000.0, "unit": "mg"}
    # a content per gram of sample is measured, not administered (guidelines: lab values)
    assert find_doses("lead was 0.1-0.4 μg/g fresh weight") == []
    assert find_doses("铅含量为0.2 mg/g 样品") == []


@pytest.mark.parametrize(
    ("text", "span"),
    [
        # guidelines (December): what cells are incubated in is a dose, even per litre
        ("cells were treated with 10 μmol/L resveratrol", "10 μmol/L"),
        ("以 50 μmol/L 槲皮素处理细胞 24 h", "50 μmol/L"),
        # ... and a range whose ends carry their own units is one span
        ("以10 nmol / L 至 1 μmol / L 的地塞米松处理", "10 nmol / L 至 1 μmol / L"),
    ],
)
def test_dose_incubation_concentrations(text: str, span: str) -> None:
    (dose,) = find_doses(text)
    assert text[dose.start : dose.end] == span
    assert dose.norm["unit"] == "mM"


@pytest.mark.parametrize(
    "text",
    [
        "serum glucose was 5.6 mmol/L after treatment",
        "hypercalcemia (≥2.6 mmol/L) in treated patients",
        "空腹血糖 7.0 mmol/L 后给予处理",
    ],
)
def test_dose_measured_concentrations_stay_out(text: str) -> None:
    assert find_doses(text) == []


def test_dose_range_of_two_amounts_is_one_span() -> None:
    text = "给予 5 mg至10 mg 口服"
    (dose,) = find_doses(text)
    assert text[dose.start : dose.end] == "5 mg至10 mg"
    assert dose.norm == {"value": 5.0, "unit": "mg", "value_max": 10.0}
