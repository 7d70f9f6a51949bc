from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotkit.errors import OffsetError
from annotkit.offsets import (
    OffsetMap,
    from_graphemes,
    from_utf16,
    grapheme_boundaries,
    to_graphemes,
    to_utf16,
)


def test_offsets_utf16_emoji_and_extension_b() -> None:
    text = "😀a𠀀b"
    assert [to_utf16(text, i) for i in range(5)] == [0, 2, 3, 5, 6]
    assert [from_utf16(text, u) for u in (0, 2, 3, 5, 6)] == [0, 1, 2, 3, 4]
    assert text.encode("utf-16-le")[2 * 3 : 2 * 5].decode("utf-16-le") == "𠀀"


def test_offsets_utf16_rejects_middle_of_surrogate_pair() -> None:
    with pytest.raises(OffsetError):
        from_utf16("😀a", 1)
    with pytest.raises(OffsetError):
        from_utf16("😀a", 9)


def test_offsets_crlf_counts_two_units_and_one_grapheme() -> None:
    text = "a\r\nb"
    assert to_utf16(text, 3) == 3
    assert grapheme_boundaries(text) == (0, 1, 3, 4)
    assert to_graphemes(text, 3) == 2
    assert from_graphemes(text, 2) == 3


def test_offsets_combining_mark_and_emoji_modifier_are_one_grapheme() -> None:
    text = "cafe\u0301 👍🏽!"
    bounds = grapheme_boundaries(text)
    assert 3 in bounds and 4 not in bounds  # e + combining acute is one cluster
    assert to_graphemes(text, len(text) - 1) == 6  # c a f é ␠ 👍🏽 then "!"
    with pytest.raises(OffsetError):
        to_graphemes(text, 4)


def test_offsets_map_unknown_mode() -> None:
    with pytest.raises(ValueError, match="utf16"):
        OffsetMap.build("abc", "bytes")


@given(st.text(max_size=40))
def test_offsets_utf16_round_trip_matches_encoder(text: str) -> None:
    omap = OffsetMap.build(text, "utf16")
    for i in range(len(text) + 1):
        unit = omap.to_external(i)
        assert unit == len(text[:i].encode("utf-16-le")) // 2
        assert omap.from_external(unit) == i


@given(st.text(max_size=30))
def test_offsets_grapheme_round_trip_on_boundaries(text: str) -> None:
    omap = OffsetMap.build(text, "grapheme")
    bounds = grapheme_boundaries(text)
    for k, cp in enumerate(bounds):
        assert omap.to_external(cp) == k
        assert omap.from_external(k) == cp
