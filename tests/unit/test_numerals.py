from __future__ import annotations

import pytest

from annotkit.numerals import chinese_number, chinese_value


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


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("零点五", 0.5),  # 点 decimals (零点五毫升 is 0.5 mL, not 5 mL)
        ("一点二五", 1.25),
        ("二点零", 2.0),
        ("两千五百万", 25_000_000),  # magnitudes in a row
        ("两亿五千万", 250_000_000),
        ("一千五百万", 15_000_000),
        ("一万二", 12_000),  # colloquial: digits after a magnitude
        ("三万五千", 35_000),
        ("一万零五百", 10_500),
        ("1.5万", 15_000),  # Arabic digits with Chinese units
        ("3千万", 30_000_000),
        ("2百万", 2_000_000),
        ("1万2千", 12_000),
        ("千万", 10_000_000),  # a bare magnitude counts one of it
        ("百万", 1_000_000),
        ("兩萬", 20_000),  # Traditional
        ("一百萬", 1_000_000),
        ("零點五", 0.5),
    ],
)
def test_numerals_chinese_value(text: str, value: float) -> None:
    assert chinese_value(text) == pytest.approx(value)


@pytest.mark.parametrize(
    "text", ["", "1000", "1.5", "三个", "三点", "点五", "一点二点三", "五毫升"]
)
def test_numerals_chinese_value_rejects(text: str) -> None:
    assert chinese_value(text) is None


def test_numerals_fractions_are_not_integers() -> None:
    assert chinese_number("零点五") is None
    assert chinese_number("二点零") == 2


def _cn2an_cases() -> dict[str, float]:
    """cn2an's own test table for its smart mode (strict + normal + smart cases), restricted
    to the characters a Chinese numeral in running text uses (no financial 壹贰, no 负/元)."""
    from cn2an.cn2an_test import Cn2anTest

    case = Cn2anTest()
    case.setUp()
    allowed = set("零〇一二两兩三四五六七八九十百千万萬亿億点點0123456789.")
    return {k: v for k, v in case.smart_data_dict.items() if k and set(k) <= allowed}


def test_numerals_equal_to_cn2an_on_its_test_cases() -> None:
    cases = _cn2an_cases()
    assert len(cases) > 80
    for text, value in cases.items():
        if not set(text) & set("零〇一二两兩三四五六七八九十百千万萬亿億"):
            assert chinese_value(text) is None  # "10.1" is no Chinese numeral
            continue
        assert chinese_value(text) == pytest.approx(value), text


def test_numerals_digits_before_a_run_of_units() -> None:
    assert chinese_value("1.5百万") == pytest.approx(1_500_000)
    assert chinese_value("2千万") == pytest.approx(20_000_000)
    assert chinese_value("1.5.2万") is None
