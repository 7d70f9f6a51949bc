"""Chinese numerals: the one parser used by the DOSE grammar and the aligner's anchors.

EXAMPLE:
    >>> chinese_number("一千万"), chinese_number("三亿五千万"), chinese_number("二〇一七")
    (10000000, 350000000, 2017)
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["ZH_DIGITS", "ZH_MAGNITUDES", "ZH_SMALL_UNITS", "chinese_number"]

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


def chinese_number(text: str) -> int | None:
    """Value of a Chinese numeral, or ``None`` if ``text`` is not one.

    Handles positional numerals (``三十三`` 33, ``一百零五`` 105, ``十二`` 12), the
    magnitudes 万/亿 in any combination (``三亿五千万``), and digit-by-digit years
    (``二〇一七`` 2017).
    """
    if not text or any(
        c not in ZH_DIGITS and c not in ZH_SMALL_UNITS and c not in ZH_MAGNITUDES for c in text
    ):
        return None
    if len(text) > 1 and all(c in ZH_DIGITS for c in text):
        return int("".join(str(ZH_DIGITS[c]) for c in text))
    total = wan = section = digit = 0
    for c in text:
        if c in ZH_DIGITS:
            digit = ZH_DIGITS[c]
        elif c in ZH_SMALL_UNITS:
            section += (digit or 1) * ZH_SMALL_UNITS[c]
            digit = 0
        elif ZH_MAGNITUDES[c] == 10**4:
            wan += (section + digit or 1) * 10**4
            section = digit = 0
        else:
            total = (total + wan + section + digit or 1) * 10**8
            wan = section = digit = 0
    return total + wan + section + digit
