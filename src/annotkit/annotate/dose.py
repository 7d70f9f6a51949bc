"""DOSE grammar (rule set ``dose.v1``): administered amounts with their normalised value.

A DOSE is a number (digits, English number words, scientific notation, Chinese numerals)
plus a unit (volume, mass, IU/U, a generic cell count) and a contiguous per-unit qualifier
(``/kg``, ``/mL``, time rates ``/d``; a bracketed body-weight rate ``mg/(kg·d)`` up to, not
including, its closing bracket; exponent forms ``mg·kg-1·d-1``). Bare magnitudes
("87 million", "1 × 10^6", "1000万") are doses only when a cell type follows them (the
caller passes those positions) or when restated in parentheses next to another dose.

Negative rules (see docs/annotation-guidelines.md): no unit -> no dose (durations, ages,
patient counts, scores, percentages, levels such as L4, p-values); lab values (``g/L``,
``U/L``, ``×10⁹/L``) and harvested/sampled volumes ("60 mL of bone marrow aspirated") are
rejected (the harvest verb is scoped to its own amount: in "60 mL was aspirated and 10 mL
was injected" ``10 mL`` stays); radiation (cGy) and tablets (片) are not units.

A molar concentration per litre is a lab value unless cells or tissue are treated with it
(guidelines, December: ``treated with 10 μmol/L``, ``以 10 nmol/L 处理``). Two amounts joined
by a range word are one span (``10 nmol / L 至 1 μmol / L``).

Coordinated amounts get one span each: "5 and 10 mg", "1, 2 or 4 mL" give a span per number
(the bare ones share the unit in ``norm``); "between 1 and 2 mL" is one range span. A
mantissa times a power of ten ("1.0 x 108", "2 × 10(6)") standing alone is a cell count.

Normalisation: volumes in mL, masses in mg, ``IU``/``U``, ``cells``; a qualifier extends the
unit (``cells/kg``, ``mg/d``); ranges add ``value_max``.

EXAMPLE:
    >>> [(d.start, d.end, d.norm["value"], d.norm["unit"]) for d in find_doses("5 mL of MSCs")]
    [(0, 4, 5.0, 'mL')]
    >>> find_doses("87 million MSCs", cell_starts={11})[0].norm
    {'value': 87000000.0, 'unit': 'cells'}
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

from annotkit.numerals import chinese_value

__all__ = ["DoseMatch", "find_doses", "parse_number", "writes_spaced_numbers"]

SOURCE = "rule:dose.v1"

_SUP = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_SUP_MAP = str.maketrans(_SUP + "⁻", "0123456789-")
# digits: thousands with commas or thin spaces (SI style), decimals
_DIG = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,3}(?:[\u2009\u202f]\d{3})+(?![\d])|\d+(?:\.\d+)?"
# the same where the document writes numbers spaced (Chinese journal style, GB/T 15835):
# "0. 25 mg", "1 500 IU", "2 000"
_DIG_SPACED = rf"\d{{1,3}}(?: \d{{3}})+(?![\d.]| \d)|\d+\.[ ]?\d+|{_DIG}"
_TIMES = r"\s*[x×X*·]\s*"
_EXP = (
    rf"10\s*(?:\^\s*[-−]?\s*\d{{1,2}}|⁻?[{_SUP}]{{1,2}}|(?:[3-9]|1\d)(?!\d)"
    r"|\(\s*[-−]?\d{1,2}\s*\)"  # "10(6)": a superscript written in parentheses
    r"|[eE][-+]?\d{1,2}(?![\w.]))"  # "4*10e8": the exponent written e-style
)
_EXP_BARE = rf"10\s*(?:\^\s*[-−]?\s*\d{{1,2}}|⁻?[{_SUP}]{{1,2}})"
_UNITS_EN = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy "
    "eighty ninety hundred"
).split()
_WORD_VALUES: dict[str, float] = {w: float(i) for i, w in enumerate(_UNITS_EN[:20])}
_WORD_VALUES.update({w: float(10 * (i + 2)) for i, w in enumerate(_UNITS_EN[20:28])})
_WORDNUM_TOKEN = "|".join(sorted(_WORD_VALUES, key=len, reverse=True))
_WORDNUM = (
    rf"(?:{_WORDNUM_TOKEN})(?:[\s-]+(?:{_WORDNUM_TOKEN}|hundred)"
    rf"|(?<=hundred)\s+and\s+(?:{_WORDNUM_TOKEN}))*"
)
_MAG_WORDS = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_MAG = r"(?:thousand|million|billion|trillion)"
_ZHD = "零〇一二两兩三四五六七八九"
_ZHMAG = r"[万亿萬億]+"
# a Chinese numeral: digits, 十百千, any run of magnitudes, 点 decimals (零点五, 两千五百万,
# 一万二千, 一点五万); "千克" (kg) is a unit, not a thousand
_ZHNUM = (
    rf"(?:[{_ZHD}十百]|千(?!克))(?:[{_ZHD}十百万亿萬億]|千(?!克))*"
    rf"(?:[点點][{_ZHD}]+(?:{_ZHMAG})?)?"
)
# Arabic digits with Chinese units: 1.5万, 3千万, 1万2千
_ZH_UNITS_AFTER = rf"(?:[十百万亿萬億]|千(?!克))(?:[0-9{_ZHD}十百万亿萬億]|千(?!克))*"


def _number_re(dig: str) -> str:
    sci = rf"(?:{dig}){_TIMES}{_EXP}|{_EXP_BARE}|\d+(?:\.\d+)?[eE][-+]?\d{{1,2}}(?![\w.])"
    return (
        rf"(?:{sci}"
        rf"|(?:{dig})\s*(?:{_MAG}\b|{_ZH_UNITS_AFTER})"
        rf"|(?:{_WORDNUM})[\s-]+{_MAG}\b"
        rf"|{_ZHNUM}"
        rf"|{dig}|(?:{_WORDNUM})\b)"
    )


_SCI = rf"(?:{_DIG}){_TIMES}{_EXP}|{_EXP_BARE}|\d+(?:\.\d+)?[eE][-+]?\d{{1,2}}(?![\w.])"
_NUMBER = _number_re(_DIG)
_NUMBER_SPACED = _number_re(_DIG_SPACED)
_RANGE_SEP = r"\s*(?:-|–|—|~|～|〜|至|到)\s*|\s+(?:to|and)\s+"
_BETWEEN = re.compile(r"(?i)\bbetween\s+$")

_VOLUME = {
    "ml": 1.0,
    "mls": 1.0,
    "cc": 1.0,
    "l": 1000.0,
    "µl": 1e-3,
    "μl": 1e-3,
    "ul": 1e-3,
    "liter": 1000.0,
    "liters": 1000.0,
    "litre": 1000.0,
    "litres": 1000.0,
    "milliliter": 1.0,
    "milliliters": 1.0,
    "millilitre": 1.0,
    "millilitres": 1.0,
    "microliter": 1e-3,
    "microliters": 1e-3,
    "毫升": 1.0,
    "微升": 1e-3,
    "升": 1000.0,
    "公升": 1000.0,
}
_MASS = {
    "mg": 1.0,
    "g": 1000.0,
    "µg": 1e-3,
    "μg": 1e-3,
    "ug": 1e-3,
    "mcg": 1e-3,
    "ng": 1e-6,
    "gram": 1000.0,
    "grams": 1000.0,
    "milligram": 1.0,
    "milligrams": 1.0,
    "microgram": 1e-3,
    "micrograms": 1e-3,
    "nanogram": 1e-6,
    "nanograms": 1e-6,
    "毫克": 1.0,
    "克": 1000.0,
    "公克": 1000.0,
    "微克": 1e-3,
    "纳克": 1e-6,
    "納克": 1e-6,
}
_IU = {
    "iu": "IU",
    "u": "U",
    "unit": "U",
    "units": "U",
    "international unit": "IU",
    "international units": "IU",
    "国际单位": "IU",
    "单位": "U",
    "單位": "U",
    "國際單位": "IU",
}
_MOLAR = {
    "mm": ("mM", 1.0),
    "µm": ("mM", 1e-3),
    "μm": ("mM", 1e-3),
    "um": ("mM", 1e-3),
    "nm": ("mM", 1e-6),
    "pm": ("mM", 1e-9),
    "mmol": ("mmol", 1.0),
    "mol": ("mmol", 1e3),
    "µmol": ("mmol", 1e-3),
    "μmol": ("mmol", 1e-3),
    "umol": ("mmol", 1e-3),
    "nmol": ("mmol", 1e-6),
}
_CELLS = {
    "cell": "cells",
    "cells": "cells",
    "个细胞": "cells",
    "細胞": "cells",
    "個細胞": "cells",
    "细胞": "cells",
    "个": "cells",
    "個": "cells",
}
_UNIT_LATIN = (
    r"mLs?|ml|cc|[µμu][Ll]|L|(?:milli|micro)?lit(?:er|re)s?|mg|mcg|[µμu]g|ng|g"
    r"|(?:milli|micro|nano)?grams?|IU|U|units?|international\s+units?|cells?"
    r"|[mµμunp]M|[mµμun]?mol"
)
_UNIT_ZH = (
    r"毫升|微升|公升|升|毫克|微克|纳克|納克|公克|克|国际单位|國際單位|单位|單位|个细胞|個細胞|细胞|細胞"
    r"|[个個](?=\s*/\s*(?:kg|千克|公斤|mL|ml|毫升))"
)
_UNIT = rf"(?:(?:{_UNIT_LATIN})(?![A-Za-z0-9])|{_UNIT_ZH})"
_PER_UNIT = {
    "kg": "kg",
    "ml": "mL",
    "d": "d",
    "day": "d",
    "h": "h",
    "hr": "h",
    "hour": "h",
    "min": "min",
    "m2": "m2",
    "m²": "m2",
    "天": "d",
    "日": "d",
    "小时": "h",
    "公斤": "kg",
    "千克": "kg",
    "毫升": "mL",
    "week": "wk",
    "wk": "wk",
    "周": "wk",
    "month": "mo",
    "月": "mo",
    "year": "yr",
    "yr": "yr",
    "年": "yr",
    "分钟": "min",
}
_PER = (
    r"\s*(?:/|per\s+)\s*(?P<per_n>\d+(?:\.\d+)?\s*)?"
    r"(?P<per>kg|mL|ml|d|day|hr?|hour|min|m2|m²|week|wk|month|year|yr"
    r"|天|日|小时|公斤|千克|毫升|周|月|年)"
    r"(?![A-Za-z0-9])"
)
_RATE = r"d|day|hr?|hour|min|天|日|小时"
# a body-weight rate in brackets, "2 mg/(kg·d)", "0.5 μg/(kg·h)": the span stops before the
# closing bracket (guidelines: no punctuation at a span's end); or with exponents,
# "mg·kg-1·d-1", "μg kg−1 min−1"
_PER_BRACKET = (
    r"\s*/\s*[(（]\s*(?P<bper>kg|m2|m²|公斤|千克)\s*[·.•∙*×/]?\s*"
    r"(?P<brate>d|day|hr?|min|天|日|小时|分钟)(?=\s*[)）])"
)
_PER_EXP = (
    r"\s?[·.•∙]?\s?(?:(?P<eper>kg|m2|m²)\s?(?:[-−⁻]\s?[1¹])"
    r"(?:\s?[·.•∙]?\s?(?P<erate>d|day|hr?|min)\s?[-−⁻]\s?[1¹])?"
    r"|(?P<erate0>d|day|hr?|min)\s?[-−⁻]\s?[1¹])(?![0-9A-Za-z])"
)
# the per-unit qualifier of a bare cell count (guidelines: "4×105 / kg" keeps "/ kg")
_BARE_PER = re.compile(r"\s*(?:/|per\s+)\s*(?P<per>kg|mL|ml|千克|公斤|毫升)(?![A-Za-z0-9])")
_LAB_PER = re.compile(
    r"\s*/\s*(?:[mµμnp]?mol/)?(?:d?L|dl|l|升|[µμu][Ll]|mm3|mm³|HPF|hpf|c?m[23²³]|mol|s|m?g|克)"
    r"(?![A-Za-z])"
)
# clearances normalised to body surface: eGFR "50 ml/(min·1.73 m2)", "60 mL/min/1.73 m²"
_CLEARANCE = re.compile(r"\s*/\s*[(（]?\s*min\b[^;；。\n]{0,8}?1[.．]73")


def _dose_re(number: str) -> re.Pattern[str]:
    return re.compile(
        rf"(?<![A-Za-z0-9.,/^_])(?P<num>{number})(?:(?P<sep>{_RANGE_SEP})(?P<num2>{number}))?"
        rf"(?:\s?(?P<unit>{_UNIT})(?:{_PER}(?:\s*[/·•∙]\s*(?P<rate>{_RATE})"
        rf"(?![A-Za-z0-9]))?|{_PER_BRACKET}|{_PER_EXP})?)?",
        re.IGNORECASE,
    )


_DOSE_RE = _dose_re(_NUMBER)
_DOSE_RE_SPACED = _dose_re(_NUMBER_SPACED)
# between a bare magnitude and its cell type: a short parenthesis ("(cohort 3)"), a classifier
# or donor/processing words
_TO_CELL = re.compile(
    r"[ \t\u00a0]*(?:[(（][^()（）\n]{1,25}[)）][ \t\u00a0]*)?"
    r"(?P<cls>个)?[ \t\u00a0]*(?:(?:autologous|allogeneic|allogenic|xenogeneic|"
    r"cultured|culture-expanded|expanded|viable|living|fresh|cryopreserved|thawed|"
    r"自体|同种异体|异体|培养的?|冻存的?)[ \t,，、]*){0,3}",
    re.IGNORECASE,
)
_CASED_UNIT = re.compile(
    r"^(?:L|U|IU|g|mg|ng|mcg|[µμu]g|mLs?|ml|cc|[µμu][Ll]|[mµμunp]M|[mµμun]?mol)$"
)
# "1 g cm−3", "2000 g mol−1": the unit is part of a compound physical unit, not an amount
_COMPOUND_UNIT = re.compile(r"\s*(?:cm|mm|m|mol|kg|g|L|l|s)\s*(?:[−\-⁻]\s*)?[0-9¹²³]")
_HARVEST = re.compile(
    r"aspirat(?!e\s+concentrate)|harvest|drawn|withdraw|\bdrew\b|collected|sampled"
    r"|obtained from|抽取|采集|抽吸|采取",
    re.IGNORECASE,
)
# where a number can start: scanning these first is faster than trying _DOSE_RE everywhere
_START = re.compile(
    rf"(?<![A-Za-z0-9.,/^_])(?:[\d零〇一二两兩三四五六七八九十百千]|(?i:{_WORDNUM_TOKEN})\b)"
)
_MAG_HINT = re.compile(rf"[x×X*·^eE{_SUP}万亿萬億]|illion|thousand", re.IGNORECASE)
_CLAUSE_END = re.compile(r"[.;。；!?！？\n]")
# words that start a new clause between a harvest verb and an amount
_JOINER = re.compile(
    r"(?i)\b(?:and|then|before|after|while|whereas|but|prior to|followed by|which)\b"
    r"|[,，、]|后|後|并|並|然后|再"
)
# between two coordinated amounts of one list: a comma/and/or, a short parenthesis, "max"
_LIST_GAP = re.compile(
    r"\s*(?:[(（][^()（）\n]{1,25}[)）])?\s*(?:[,，、]\s*)?"
    r"(?:(?:and|or|max(?:imum)?|up to|或|和|及|与|至|最多|最大)\s*)?$",
    re.IGNORECASE,
)
# measured (not administered) volumes: intake, output, losses ("饮水量增至约 2 L / d")
_MEASURED_VOLUME = re.compile(
    r"(?:饮水量|饮水|尿量|出血量|失血量|引流量|出量|入量|摄入量|排出量|出入量"
    r"|(?i:urine\s+(?:output|volume)|blood\s+loss|fluid\s+(?:intake|output)|water\s+intake"
    r"|drainage|intake|output))"
    r"[^,，;；。.\n\d]{0,10}$"
)
_JOINER_AFTER = re.compile(r"(?i)\b(?:and|before|after|while|whereas|but|followed by)\b")
# a standalone scientific number ("1.0 x 108", "2 × 10^6"): mantissa times a power of ten
_SCI_MANT = re.compile(rf"(?:{_DIG}){_TIMES}10")
_SCI_FOLLOW = re.compile(
    r"\s*(?:$|[.,;:)）。，；：]|(?i:was|were|is|are|of|and|or|in|into|to|at|by|with|for|each"
    r"|given|injected|infused|administered|transplanted|delivered)\b)"
)
# a measured or harvested count before a standalone scientific number: not administered
_MEASURED_BEFORE = re.compile(
    r"(?i)\b(?:counts?|levels?|loads?|tit(?:er|re)s?|concentrations?|values?|yields?|densit(?:y|ies)"
    r"|seeded|seeding|plated|plating|obtained|harvested|recovered|isolated|collected)\b"
    r"[^.;。；]{0,30}$"
)
# "1, 2 or 4 mL", "5 and 10 mg", "5或10毫克": numbers coordinated with an amount share its unit


def _coord_num_re(number: str) -> re.Pattern[str]:
    return re.compile(
        rf"(?<![A-Za-z0-9.,/^_<>=≤≥±])({number})(?P<sep>\s*,\s*(?:(?:and|or)\s+)?"
        r"|\s+(?:and|or)\s+|\s*(?:或|和|及|与|、)\s*)$",
        re.IGNORECASE,
    )


_COORD_NUM = _coord_num_re(_NUMBER)
_COORD_NUM_SPACED = _coord_num_re(_NUMBER_SPACED)
_COORD_NOT_AFTER = re.compile(
    r"(?i)(?:\b(?:days?|weeks?|months?|years?|groups?|cohorts?|arms?|levels?|grades?|visits?"
    r"|steps?|figures?|fig|tables?|between|from|and|or|no|n|p)|[<>=≤≥±:]|[A-Za-z0-9][-‐])\s*$"
)


@dataclass(frozen=True, slots=True)
class DoseMatch:
    """One DOSE: ``[start, end)`` and its normalised value (``norm``)."""

    start: int
    end: int
    norm: dict[str, Any]


def _parse_words(text: str) -> float:
    total = 0.0
    current = 0.0
    for tok in re.split(r"[\s-]+", text.lower()):
        if not tok or tok == "and":
            continue
        if tok == "hundred":
            current = (current or 1.0) * 100
        elif tok in _WORD_VALUES:
            current += _WORD_VALUES[tok]
    return total + current


_SCI_PARTS = re.compile(
    rf"^(?:(?P<m>{_DIG}){_TIMES})?10\s*(?:\^\s*(?P<e1>[-−]?\s*\d{{1,2}})|(?P<e2>⁻?[{_SUP}]{{1,2}})"
    rf"|(?P<e3>[3-9]|1\d)|\(\s*(?P<e4>[-−]?\d{{1,2}})\s*\)|[eE](?P<e5>[-+]?\d{{1,2}}))$"
)
# spaces inside one number: "0. 25", "1 500", "1\u2009500"
_SPACED_DIGITS = re.compile(r"(?<=\d)[ \u2009\u202f](?=\d{3}(?!\d))|(?<=\d\.)[ ](?=\d)")
_HAS_ZH_NUMERAL = re.compile(rf"[{_ZHD}十百千万亿萬億]")
_E_NOTATION = re.compile(r"^(\d+(?:\.\d+)?)[eE]([-+]?\d{1,2})$")


def parse_number(text: str) -> tuple[float, bool]:
    """Value of a number expression and whether it carries a magnitude.

    A *magnitude* is scientific notation, million/billion/thousand or 万/亿: such numbers
    can stand for a cell count without a unit. Spaced digits (``0. 25``, ``1 500``) are read
    as one number; Chinese numerals go through :func:`annotkit.numerals.chinese_value`.

    EXAMPLE:
        >>> parse_number("1.0 x 108")
        (100000000.0, True)
        >>> parse_number("一千万")
        (10000000.0, True)
        >>> parse_number("eighty-seven million")
        (87000000.0, True)
        >>> parse_number("零点五"), parse_number("1 500"), parse_number("0. 25")
        ((0.5, False), (1500.0, False), (0.25, False))
    """
    t = _SPACED_DIGITS.sub("", text.strip())
    m = _SCI_PARTS.match(t)
    if m and not ((m["e3"] or m["e5"]) and not m["m"]):
        mant = float(m["m"].replace(",", "")) if m["m"] else 1.0
        exp_s = m["e1"] or m["e3"] or m["e4"] or m["e5"] or (m["e2"] or "").translate(_SUP_MAP)
        exp = int(exp_s.replace("−", "-").replace(" ", ""))
        return mant * 10.0**exp, True
    m = _E_NOTATION.match(t)
    if m:
        return float(m[1]) * 10.0 ** int(m[2]), True
    low = t.lower()
    mag = 1.0
    has_mag = False
    for word, factor in _MAG_WORDS.items():
        if low.endswith(word):
            low = low[: -len(word)].strip(" -")
            mag, has_mag = factor, True
            break
    if re.fullmatch(_DIG, low):
        return float(low.replace(",", "")) * mag, has_mag
    if _HAS_ZH_NUMERAL.search(low):
        value = chinese_value(re.sub(r"\s+", "", low).replace(",", ""))
        if value is None:  # the grammar only hands over numerals
            raise ValueError(f"not a Chinese numeral: {text!r}")
        return value * mag, has_mag or bool(re.search(_ZHMAG, low))
    return _parse_words(low) * mag, has_mag


def _norm_unit(unit: str) -> tuple[str, float]:
    """(normalised unit, factor to multiply the value by)."""
    key = re.sub(r"\s+", " ", unit).strip()
    low = key.lower()
    if low in _VOLUME:
        return "mL", _VOLUME[low]
    if key in _MASS or low in _MASS:
        return "mg", _MASS.get(key, _MASS.get(low, 1.0))
    if low in _MOLAR:
        return _MOLAR[low]
    if low in _IU:
        return _IU[low], 1.0
    if key in _IU:
        return _IU[key], 1.0
    if low in _CELLS or key in _CELLS:
        return "cells", 1.0
    return key, 1.0


_INCUBATION = re.compile(
    r"(?i:\b(?:pre)?treated|\bincubat(?:ed|ing)|\bexposed|\bstimulated|\bchallenged"
    r"|\bcultured|\badded|\bsupplemented)"
    r"|处理|干预|孵育|作用|刺激|加入|培养|给予|暴露|诱导"
)
_INCUBATION_AFTER = re.compile(r"处理|干预|孵育|刺激|培养|诱导|作用于")
_MEASURED = re.compile(
    r"(?i:serum|plasma|blood|urin|level|circulat|content|measured|detected|fasting)"
    r"|血清|血浆|血|尿|水平|含量|测得|检测|空腹"
)


def _incubated(text: str, start: int, end: int) -> bool:
    """A molar concentration per litre that cells or tissue are treated with (``treated
    with 10 μmol/L``, ``以 10 nmol/L 处理``), not a measured one (``serum 5 mmol/L``):
    a treatment word in the clause before the amount (or a Chinese one after it, 以 … 处理)
    and no sample or level word before it."""
    before = text[max(0, start - 40) : start]
    cut = list(_CLAUSE_END.finditer(before))
    before = before[cut[-1].end() :] if cut else before
    if _MEASURED.search(before) or re.search(r"[≥≤<>＜＞=]\s*$", before):
        return False  # a level, or a threshold
    after = re.split(r"[,，;；。.\n]", text[end : end + 30], maxsplit=1)[0]
    return bool(_INCUBATION.search(before) or _INCUBATION_AFTER.search(after))


def _harvested(text: str, start: int, end: int, prev_end: int, next_start: int) -> bool:
    """A volume that was aspirated/harvested/drawn rather than administered.

    The harvest verb must belong to *this* amount: the context after it stops at the next
    amount (``prev_end``/``next_start`` are the neighbouring amounts' edges), and a verb
    before it counts only when no clause joiner (and, then, before, a comma …) separates the
    two: in "60 mL of marrow was aspirated and 10 mL was injected" only ``60 mL`` is harvested.
    """
    stop = min(end + 60, next_start)
    after = text[end:stop]
    cut = _CLAUSE_END.search(after)
    after = after[: cut.start()] if cut else after
    m = _HARVEST.search(after)
    if m is not None and not _JOINER_AFTER.search(after, 0, m.start()):
        return True
    before = text[max(0, start - 40, prev_end) : start]
    cut_b = list(_CLAUSE_END.finditer(before))
    before = before[cut_b[-1].end() :] if cut_b else before
    hits = list(_HARVEST.finditer(before))
    return bool(hits) and not _JOINER.search(before, hits[-1].end())


def find_doses(text: str, *, cell_starts: Collection[int] = ()) -> list[DoseMatch]:
    """All DOSE spans in ``text``, sorted and non-overlapping.

    ``cell_starts`` are start offsets of CELL_TYPE spans: a bare magnitude right before one
    ("87 million MSCs") is a cell-count dose.

    EXAMPLE:
        >>> [text[d.start:d.end] for text in ["10–20 million cells"] for d in find_doses(text)]
        ['10–20 million cells']
    """
    spaced = writes_spaced_numbers(text)
    out: list[DoseMatch] = []
    volumes: list[int] = []  # indexes into ``out`` of volumes (harvest check below)
    pending: list[tuple[int, int, dict[str, Any]]] = []  # magnitudes without a unit
    pending_first: dict[int, tuple[int, int]] = {}  # "1 x 10^6 and 5 x 10^6 MSCs"
    for m in _iter_numbers(text, spaced):
        unit = m["unit"]
        if unit is not None and (
            not _unit_ok(unit)
            or (unit in ("L", "U") and m.start("unit") == m.end("num2" if m["num2"] else "num"))
            or (
                m["per"] is None
                and m["eper"] is None
                and m["erate0"] is None
                and _COMPOUND_UNIT.match(text, m.end("unit"))
            )
        ):
            unit = None  # "3L" (a label), "1 g cm−3" (a density)
        if unit is None and not _MAG_HINT.search(m.group()):
            continue  # a bare number (year, count, score): not a dose, skip parsing it
        start, num, num2 = m.start(), m["num"], m["num2"]
        first: tuple[int, int] | None = None  # "5 and 10 mg": the first of two amounts
        if num2 is not None and m["sep"].strip().lower() == "and":
            if not _BETWEEN.search(text, max(0, start - 12), start):
                first = (start, m.end("num"))
                start, num, num2 = m.start("num2"), num2, None
        value, has_mag = parse_number(num)
        value_max: float | None = None
        if num2 is not None:
            value_max, mag2 = parse_number(num2)
            if mag2 and not has_mag and value < value_max:
                _, f = _magnitude_of(num2)
                value *= f
            has_mag = has_mag or mag2
        if unit is None:
            if not has_mag:
                continue
            end = m.end("num2") if m["num2"] is not None else m.end("num")
            norm: dict[str, Any] = {"value": value, "unit": "cells"}
            if value_max is not None:
                norm["value_max"] = value_max
            bare = _BARE_PER.match(text, end)
            if bare is not None and not _MEASURED_BEFORE.search(text, max(0, start - 40), start):
                # a bare cell count with its qualifier: "4×105 / kg", "40 million / ml"
                norm["unit"] = "cells/" + _PER_UNIT[bare["per"].lower()]
                out.append(DoseMatch(start, bare.end(), norm))
                continue
            if first is not None and _coordinated(text, start, first, spaced):
                pending_first[len(pending)] = first
            pending.append((start, end, norm))
            continue
        end = m.end()
        unit_name, factor = _norm_unit(unit)
        lab = _LAB_PER.match(text, m.end("unit")) if m["per"] is None else None
        if lab is not None:
            if not (unit_name in ("mM", "mmol") and _incubated(text, start, lab.end())):
                continue  # g/L, U/L, cells/µL: a measured lab value
            # guidelines (December): what cells are incubated in is a dose (10 μmol/L)
            end = lab.end()
            unit_name, factor = "mM", _MOLAR[unit.strip().lower()][1]
        if _CLEARANCE.match(text, m.end("unit")):
            continue  # a clearance (eGFR), measured
        norm = {"value": value * factor, "unit": unit_name}
        if value_max is not None:
            norm["value_max"] = value_max * factor
        if m["erate0"] is not None:  # 200 mg·d-1
            norm["unit"] = f"{unit_name}/{_PER_UNIT.get(m['erate0'].lower(), m['erate0'])}"
        elif m["bper"] is not None or m["eper"] is not None:  # mg/(kg·d), mg·kg-1·d-1
            per, rate = (m["bper"], m["brate"]) if m["bper"] else (m["eper"], m["erate"])
            norm["unit"] = f"{unit_name}/{_PER_UNIT.get(per.lower(), per)}"
            if rate:
                norm["unit"] += "/" + _PER_UNIT.get(rate.lower(), rate)
        elif m["per"] is not None:
            per = _PER_UNIT.get(m["per"].lower(), _PER_UNIT.get(m["per"], m["per"]))
            norm["unit"] = f"{unit_name}/{per}"
            if m["rate"] is not None:
                rate = _PER_UNIT.get(m["rate"].lower(), m["rate"])
                norm["unit"] = f"{unit_name}/{per}/{rate}"
            if m["per_n"]:
                norm["per"] = float(m["per_n"])
        for s, e in _coordinated(text, start, first, spaced):
            v, mag = parse_number(text[s:e])
            if not mag and has_mag and v < value:
                v *= _magnitude_of(num)[1]  # "5 and 10 million cells"
            c_norm = {**norm, "value": v * factor}
            c_norm.pop("value_max", None)
            if unit_name == "mL":
                volumes.append(len(out))
            out.append(DoseMatch(s, e, c_norm))
        if unit_name == "mL":
            volumes.append(len(out))
        out.append(DoseMatch(start, end, norm))
    if volumes:
        edges = [(d.start, d.end) for d in out]
        drop = {
            i
            for i in volumes
            if _harvested(
                text,
                out[i].start,
                out[i].end,
                edges[i - 1][1] if i > 0 else 0,
                edges[i + 1][0] if i + 1 < len(edges) else len(text),
            )
            or _MEASURED_VOLUME.search(text, max(0, out[i].start - 24), out[i].start)
        }
        vol = set(volumes)
        for i in sorted(drop, reverse=True):  # "(1-2 ml/kg, max 60 ml) will be collected"
            j = i - 1
            while (
                j in vol and j not in drop and _LIST_GAP.match(text[out[j].end : out[j + 1].start])
            ):
                drop.add(j)
                j -= 1
        out = [d for i, d in enumerate(out) if i not in drop]
    starts = set(cell_starts)
    dose_ends = {d.end for d in out}
    keep: set[int] = set()
    for i, (s, e, norm) in enumerate(pending):
        nxt = _skip_space(text, e)
        gap = _TO_CELL.match(text, e)
        if gap is not None and gap.end() in starts:
            if gap["cls"] is not None:  # "1×10^7 个 MSCs": the classifier joins the number
                pending[i] = (s, gap.end("cls"), norm)
            keep.add(i)
        if nxt < len(text) and text[nxt] in "(（":
            inner = _skip_space(text, nxt + 1)
            if i + 1 < len(pending) and pending[i + 1][0] == inner:
                keep.update((i, i + 1))  # "20 million (2 x 10^7)"
        if _after_dose_paren(text, s, dose_ends):
            keep.add(i)  # "5 million cells (5 × 10^6)"
        if _standalone_sci(text, s, e):
            keep.add(i)  # "1.0 x 108 were injected"
    for i in sorted(keep, reverse=True):  # "10x10^6 (cohort 1), 30x10^6 (cohort 2) or 90x10^6"
        j = i - 1
        while j >= 0 and j not in keep and _LIST_GAP.match(text[pending[j][1] : pending[j + 1][0]]):
            keep.add(j)
            j -= 1
    out.extend(DoseMatch(*pending[i]) for i in sorted(keep))
    for i in sorted(keep & pending_first.keys()):
        fs, fe = pending_first[i]
        value, mag = parse_number(text[fs:fe])
        if not mag:  # "2 and 5 million MSCs"
            value *= _magnitude_of(text[pending[i][0] : pending[i][1]])[1]
        out.append(DoseMatch(fs, fe, {"value": value, "unit": "cells"}))
    out.sort(key=lambda d: (d.start, d.end))
    return _join_ranges(text, out)


# "10 nmol/L 至 1 μmol/L": a range whose ends carry their own units is one span (guidelines,
# December); only between two amounts of the same kind of unit
_RANGE_GAP = re.compile(r"\s*(?:-|–|—|~|～|〜|至|到|to)\s*")


def _join_ranges(text: str, doses: list[DoseMatch]) -> list[DoseMatch]:
    out: list[DoseMatch] = []
    for d in doses:
        prev = out[-1] if out else None
        if (
            prev is not None
            and _RANGE_GAP.fullmatch(text, prev.end, d.start)
            and prev.norm["unit"].split("/")[0] == d.norm["unit"].split("/")[0]
            and "value_max" not in prev.norm
            and "value_max" not in d.norm
        ):
            norm = {**prev.norm, "value_max": d.norm["value"]}
            out[-1] = DoseMatch(prev.start, d.end, norm)
            continue
        out.append(d)
    return out


def _space_before(text: str, pos: int) -> int:
    """``pos`` moved left over spaces and no-break spaces (no copy of the text before it)."""
    while pos > 0 and text[pos - 1] in " \u00a0":
        pos -= 1
    return pos


def _after_dose_paren(text: str, start: int, dose_ends: set[int]) -> bool:
    """``start`` follows ``(`` right after a dose: "5 million cells (5 × 10^6)"."""
    b = _space_before(text, start)
    return b > 0 and text[b - 1] in "(（" and _space_before(text, b - 1) in dose_ends


def _coordinated(
    text: str, start: int, first: tuple[int, int] | None, spaced: bool = False
) -> list[tuple[int, int]]:
    """Bare numbers coordinated with the amount at ``start`` ("1, 2 or 4 mL" -> ``1``, ``2``).

    Not after a noun that makes the list something else (days, groups, levels), an operator
    (p < 0.05 and 10 mg) or "between" (a range).
    """
    found: list[tuple[int, int]] = []
    pos = start
    if first is not None:
        found.append(first)
        pos = first[0]
    while True:
        m = (_COORD_NUM_SPACED if spaced else _COORD_NUM).search(text, max(0, pos - 40), pos)
        if m is None or m.end() != pos:
            break
        if not found and m["sep"].strip() in (",", "，"):
            break  # "In 2019, 5 mL": a list needs "and"/"or" before its last amount
        if not _parses(m.group(1)):
            break
        found.append((m.start(1), m.end(1)))
        pos = m.start(1)
    while found and _COORD_NOT_AFTER.search(text, max(0, found[-1][0] - 12), found[-1][0]):
        found.pop()  # "days 1 and 5 mL"? the list is not a list of amounts
    return sorted(found)


def _standalone_sci(text: str, start: int, end: int) -> bool:
    """A mantissa times a power of ten that stands alone as an amount ("1.0 x 108 were
    given"), not followed by a lab denominator (``/L``) or a unit-like word, not a measured
    count ("platelet count was 2 x 10^5") and not harvested cells."""
    if _SCI_MANT.match(text, start) is None or parse_number(text[start:end])[0] < 1e3:
        return False
    if _LAB_PER.match(text, end) is not None or _SCI_FOLLOW.match(text, end) is None:
        return False
    before = text[max(0, start - 40) : start]
    return _MEASURED_BEFORE.search(before) is None and not _harvested(
        text, start, end, 0, len(text)
    )


def _iter_numbers(text: str, spaced: bool = False) -> Iterator[re.Match[str]]:
    """Same matches as ``_DOSE_RE.finditer(text)``, tried only where a number starts."""
    last = 0
    dose_re = _DOSE_RE_SPACED if spaced else _DOSE_RE
    for start in _START.finditer(text):
        if start.start() < last:
            continue
        m = dose_re.match(text, start.start())
        if m is not None and _parses(m["num"]) and (m["num2"] is None or _parses(m["num2"])):
            last = m.end()
            yield m


_HAN = re.compile(r"[\u3400-\u9fff]")
_LATIN_LETTER = re.compile(r"[A-Za-z]")
_SPACED_SIGN = re.compile(r"\d\.[ ]\d|(?<![\d.])\d{1,3} \d{3}(?![\d.]| \d)")


def writes_spaced_numbers(text: str) -> bool:
    """Whether ``text`` writes numbers with spaces inside (``0. 25 mg``, ``1 500 IU``).

    That is the style of Chinese journal text (GB/T 15835 digit groups; OCR'd decimals),
    where a full stop is ``。``, so "digit. digit" cannot be a sentence end: the text must be
    mostly Han (at least half as many Han characters as Latin letters, which units and drug
    names bring in) and show such a number.

    EXAMPLE:
        >>> writes_spaced_numbers("每日 0. 5 mg"), writes_spaced_numbers("In 2019. 5 mL")
        (True, False)
    """
    if not _HAN.search(text) or not _SPACED_SIGN.search(text):
        return False
    han = len(_HAN.findall(text))
    return han > 0 and 2 * han >= len(_LATIN_LETTER.findall(text))


def _parses(num: str) -> bool:
    """Whether the grammar's number ``num`` has a value (a string of numeral characters such
    as 十二五 has none)."""
    if not _HAS_ZH_NUMERAL.search(num):
        return True
    try:
        parse_number(num)
    except ValueError:
        return False
    return True


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \u00a0\t":
        i += 1
    return i


def _magnitude_of(num: str) -> tuple[float, float]:
    value, _ = parse_number(num)
    bare = re.match(rf"^\s*({_DIG})", num)
    base = float(bare[1].replace(",", "")) if bare else 1.0
    return value, (value / base if base else 1.0)


def _unit_ok(unit: str) -> bool:
    """Case rules for Latin units: ``L``/``U``/``g`` are cased, words are not."""
    u = unit.strip()
    if re.fullmatch(r"[A-Za-zµμ]+", u) and len(u) <= 3:
        return bool(_CASED_UNIT.match(u)) or u.lower() in ("iu", "ml", "cc", "mcg")
    return True
