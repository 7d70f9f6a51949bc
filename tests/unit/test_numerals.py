from __future__ import annotations

import pytest

from annotkit.numerals import chinese_number


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("一", 1),
        ("十", 10),
        ("十二", 12),
        ("三十三", 33),
        ("一百零五", 105),
        ("两千", 2000),
        ("一千万", 10_000_000),
        ("万", 10_000),
        ("五万三千", 53_000),
        ("三亿五千万", 350_000_000),
        ("亿", 100_000_000),
        ("二〇一七", 2017),
        ("零", 0),
    ],
)
def test_numerals_chinese_number(text: str, value: int) -> None:
    assert chinese_number(text) == value


@pytest.mark.parametrize("text", ["", "abc", "三个", "1000"])
def test_numerals_not_a_numeral(text: str) -> None:
    assert chinese_number(text) is None
