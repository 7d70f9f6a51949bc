"""Chinese numerals: the one parser used by the DOSE grammar and the aligner's anchors.

Values come from `cn2an <https://pypi.org/project/cn2an/>`_ (``smart`` mode), a maintained
converter with its own test suite: positional numerals (``一百零五``), 点 decimals
(``零点五``), any run of magnitudes (``两亿五千万``, ``一千万``), colloquial digits after a
magnitude (``一万二`` = 12,000), Arabic digits mixed with Chinese units (``1.5万``, ``3千万``),
digit-by-digit numbers (``二〇一七``) and Traditional characters (``兩萬``). This module adds
what a running text needs around it: a bare magnitude (``万``, ``千万``) stands for one of
it, and a string without a Chinese numeral character is not a Chinese numeral.

EXAMPLE:
    >>> chinese_number("一千万"), chinese_number("三亿五千万"), chinese_number("二〇一七")
    (10000000, 350000000, 2017)
    >>> chinese_value("零点五"), chinese_value("1.5万"), chinese_value("两千五百万")
    (0.5, 15000.0, 25000000.0)
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

__all__ = [
    "ZH_DECIMAL_POINTS",
    "ZH_DIGITS",
    "ZH_MAGNITUDES",
    "ZH_NUMERAL_CHARS",
    "ZH_SMALL_UNITS",
    "chinese_number",
    "chinese_value",
]

ZH_DIGITS: Mapping[str, int] = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "兩": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
ZH_SMALL_UNITS: Mapping[str, int] = {"十": 10, "百": 100, "千": 1000}
ZH_MAGNITUDES: Mapping[str, int] = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8}
#: the decimal point of a Chinese numeral (零点五 = 0.5)
ZH_DECIMAL_POINTS = "点點"
#: every character that can occur in a Chinese numeral besides Arabic digits and "."
ZH_NUMERAL_CHARS = "".join((*ZH_DIGITS, *ZH_SMALL_UNITS, *ZH_MAGNITUDES, ZH_DECIMAL_POINTS))
_CHINESE = frozenset((*ZH_DIGITS, *ZH_SMALL_UNITS, *ZH_MAGNITUDES))
_ALLOWED = frozenset(ZH_NUMERAL_CHARS + "0123456789.")
_UNIT_CHARS = frozenset((*ZH_SMALL_UNITS, *ZH_MAGNITUDES))


@lru_cache(maxsize=1)
def _converter() -> Any:
    import cn2an  # type: ignore[import-untyped,unused-ignore]  # loaded on first use

    return cn2an.Cn2An()


@lru_cache(maxsize=4096)
def chinese_value(text: str) -> float | None:
    """Value of a Chinese numeral (``float``), or ``None`` if ``text`` is not one.

    ``text`` must contain a Chinese numeral character (``1000`` is not a Chinese numeral)
    and nothing but numeral characters, Arabic digits and a decimal point. A numeral that
    starts with a unit (``万``, ``千万``, ``十``) counts one of it.

    text (str): the numeral, e.g. ``"零点五"``, ``"两千五百万"``, ``"1.5万"``.
    RETURNS (float | None): its value.

    EXAMPLE:
        >>> chinese_value("一点二五"), chinese_value("千万"), chinese_value("三个")
        (1.25, 10000000.0, None)
    """
    if not text or not _CHINESE.intersection(text) or not _ALLOWED.issuperset(text):
        return None
    if text[-1] in ZH_DECIMAL_POINTS or text[0] in ZH_DECIMAL_POINTS + ".":
        return None  # "三点" (three o'clock), "点五": no number
    if sum(text.count(p) for p in ZH_DECIMAL_POINTS + ".") > 1:
        return None
    if text[0] in _UNIT_CHARS:
        text = "一" + text  # 万 = 一万, 千万 = 一千万, 十二 = 一十二
    convert = _converter().cn2an
    try:
        with warnings.catch_warnings():  # cn2an warns about over-long decimal parts
            warnings.simplefilter("ignore")
            value = convert(text.replace("點", "点"), "smart")
    except ValueError:
        return _digits_times_units(text)
    return float(value)


def _digits_times_units(text: str) -> float | None:
    """``1.5百万``, ``2千万``: Arabic digits before a run of units, which multiply (百万 is
    10² × 10⁴); cn2an reads a single unit after digits only."""
    i = 0
    while i < len(text) and (text[i].isdigit() or text[i] == "."):
        i += 1
    head, units = text[:i], text[i:]
    if not head or not units or head.count(".") > 1 or not _UNIT_CHARS.issuperset(units):
        return None
    value = float(head)
    for c in units:
        value *= {**ZH_SMALL_UNITS, **ZH_MAGNITUDES}[c]
    return value


def chinese_number(text: str) -> int | None:
    """Integer value of a Chinese numeral, or ``None`` if ``text`` is not a whole one.

    Handles positional numerals (``三十三`` 33, ``一百零五`` 105, ``十二`` 12), the
    magnitudes 万/亿 in any combination (``三亿五千万``), digit-by-digit years
    (``二〇一七`` 2017), colloquial forms (``一万二`` 12000) and mixed ones (``3千万``);
    see :func:`chinese_value` for fractions.
    """
    value = chinese_value(text)
    if value is None or not value.is_integer():
        return None
    return int(value)
