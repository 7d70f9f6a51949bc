"""Offset conversions between Python code points, UTF-16 code units and grapheme clusters.

annotkit stores every offset as a Python ``str`` index (code points). doccano's UI counts
UTF-16 code units, or grapheme clusters when a project uses grapheme mode; these tables
convert at that boundary and nowhere else.

EXAMPLE:
    >>> text = "😀 MSCs"
    >>> to_utf16(text, 2)
    3
    >>> from_utf16(text, 3)
    2
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

import regex

from annotkit.errors import OffsetError

__all__ = [
    "OffsetMap",
    "from_graphemes",
    "from_utf16",
    "grapheme_boundaries",
    "to_graphemes",
    "to_utf16",
]

_GRAPHEME = regex.compile(r"\X")


def grapheme_boundaries(text: str) -> tuple[int, ...]:
    """Code-point offsets where grapheme clusters start, plus ``len(text)``.

    A CRLF pair is one cluster, as are a base letter with its combining marks and an
    emoji ZWJ sequence.
    """
    starts = [m.start() for m in _GRAPHEME.finditer(text)]
    starts.append(len(text))
    return tuple(starts)


@dataclass(frozen=True, slots=True)
class OffsetMap:
    """Precomputed conversion tables for one text (build once, convert many offsets).

    ``mode`` is ``"utf16"`` (doccano default) or ``"grapheme"``.
    """

    text_length: int
    units: tuple[int, ...]  # units[i] = external offset of code point i; len = n + 1
    mode: str

    @classmethod
    def build(cls, text: str, mode: str = "utf16") -> OffsetMap:
        if mode == "utf16":
            units = [0]
            total = 0
            for ch in text:
                total += 2 if ord(ch) > 0xFFFF else 1
                units.append(total)
            return cls(len(text), tuple(units), mode)
        if mode == "grapheme":
            bounds = grapheme_boundaries(text)
            units = []
            cluster = 0
            nxt = 1
            for i in range(len(text) + 1):
                while nxt < len(bounds) and bounds[nxt] <= i:
                    nxt += 1
                    cluster += 1
                units.append(cluster)
            # offsets inside a cluster map to the cluster's start; boundaries map exactly
            return cls(len(text), tuple(units), mode)
        raise ValueError(f"Unknown offset mode {mode!r}. Use 'utf16' or 'grapheme'.")

    def to_external(self, offset: int) -> int:
        """Code point offset -> UTF-16 unit / grapheme offset."""
        if not 0 <= offset <= self.text_length:
            raise OffsetError(f"offset {offset} outside text of length {self.text_length}")
        return self.units[offset]

    def from_external(self, offset: int) -> int:
        """UTF-16 unit / grapheme offset -> code point offset.

        Raises OffsetError when the offset does not fall on a character boundary (the
        middle of a surrogate pair) or lies beyond the text.
        """
        i = bisect_left(self.units, offset)
        if i > self.text_length or self.units[i] != offset:
            raise OffsetError(
                f"{self.mode} offset {offset} does not fall on a character boundary "
                f"(text has {self.units[-1]} {self.mode} units)"
            )
        return i


def to_utf16(text: str, offset: int) -> int:
    """Convert one code-point offset into a UTF-16 code-unit offset."""
    return OffsetMap.build(text, "utf16").to_external(offset)


def from_utf16(text: str, offset: int) -> int:
    """Convert one UTF-16 code-unit offset into a code-point offset."""
    return OffsetMap.build(text, "utf16").from_external(offset)


def to_graphemes(text: str, offset: int) -> int:
    """Convert a code-point offset into a grapheme-cluster offset.

    Raises OffsetError if ``offset`` falls inside a cluster (it has no grapheme offset).
    """
    omap = OffsetMap.build(text, "grapheme")
    bounds = grapheme_boundaries(text)
    if offset not in bounds:
        raise OffsetError(f"offset {offset} falls inside a grapheme cluster of {text!r}")
    return omap.to_external(offset)


def from_graphemes(text: str, offset: int) -> int:
    """Convert a grapheme-cluster offset into a code-point offset."""
    bounds = grapheme_boundaries(text)
    if not 0 <= offset < len(bounds):
        raise OffsetError(f"grapheme offset {offset} outside text of {len(bounds) - 1} clusters")
    return bounds[offset]
