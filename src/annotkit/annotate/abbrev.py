"""Abbreviation definitions found in the text itself (rule set ``abbrev.v1``).

Finds ``long form (SF)`` pairs the Schwartz–Hearst way (the short form's letters are found,
right to left, in the words before the parenthesis; its first letter starts a word), the
reverse ``SF (long form)`` and ``SF（中文长形式）``, Chinese ``长形式(SF)`` /
``长形式（SF）`` and bilingual parentheses ``中文名（English name，SF）``.
Parentheses are never part of either span.

The rules engine uses the pairs to label a short form wherever its long form is labelled,
and the long form wherever its short form is labelled (then every occurrence of the short
form in the document).

EXAMPLE:
    >>> text = "the Oswestry Disability Index (ODI) was used"
    >>> [(text[d.lf_start:d.lf_end], text[d.sf_start:d.sf_end]) for d in find_definitions(text)]
    [('Oswestry Disability Index', 'ODI')]
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "Definition",
    "find_definitions",
    "schwartz_hearst_start",
    "short_form_occurrences",
    "short_form_occurrences_many",
]

SOURCE = "rule:abbrev.v1"

_PAREN = re.compile(r"[(（]\s*([^()（）\n]{1,120}?)\s*[)）]")
_SF = re.compile(r"[A-Za-z][A-Za-z0-9\-/'’.&+]{0,15}")
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# a Han run, possibly broken by single spaces (PDF line breaks: 使 用, 健康飲 食指標)
_CJK_RUN_END = re.compile(rf"[{_CJK}]+(?:[ \u3000][{_CJK}]+)*$")
_ZH_STOP = re.compile(
    r"包括|采用|採用|使用|应用|應用|通过|通過|根据|根據|进行|進行|例如|以及|如下|分别|分別"
    r"|包含|利用|运用|運用|选用|選用|借助|基于|基於|参照|參照|依据|依據|参考|參考|填写|填寫"
    r"|完成|接受|记录|記錄|比较|比較|观察|觀察|分析|检测|檢測|测定|測定"
    r"|[的、，,。：:；;和与與及或用以在对對为為是了由将將经經按其该該即如等]"
)
_LATIN_NAME_END = re.compile(r"(?<![A-Za-z0-9])([A-Z][A-Za-z'’\-]+(?:\s+[A-Z][A-Za-z'’\-]+)?)\s*$")
_EN_BREAK = re.compile(r"[.;:!?\[\]()（）。；：\n]|,\s")
_WORDS = re.compile(r"\S+")
# reverse Chinese definition: a short form, then its Chinese long form in parentheses (a Han
# run of 2-30 characters with no clause punctuation; Latin names inside are fine)
_ZH_REVERSE = re.compile(rf"(?=.*[{_CJK}]{{2}})[{_CJK}A-Za-z0-9\- ·]{{2,30}}")
_SF_BEFORE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z][A-Za-z0-9\-/'’.&+]{1,15})[ \t]*$")


@dataclass(frozen=True, slots=True)
class Definition:
    """A long form ``[lf_start, lf_end)`` defined by a short form ``[sf_start, sf_end)``.

    ``script`` is ``"latin"`` or ``"cjk"`` (the long form's script).
    """

    lf_start: int
    lf_end: int
    sf_start: int
    sf_end: int
    script: str


def _is_short_form(sf: str) -> bool:
    if not _SF.fullmatch(sf) or len(sf) < 2 or len(sf) > 16:
        return False
    letters = [c for c in sf if c.isalpha()]
    if not letters or not any(c.isupper() for c in letters):
        return False
    return sum(c.isupper() for c in letters) >= max(1, len(letters) // 2) or sf[0].islower()


def schwartz_hearst_start(sf: str, lf: str) -> int | None:
    """Offset in ``lf`` where the long form starts, or ``None`` if ``sf`` does not fit.

    EXAMPLE:
        >>> lf = "a modified single assessment numeric evaluation"
        >>> lf[schwartz_hearst_start("SANE", lf):]
        'single assessment numeric evaluation'
    """
    chars = [c.lower() for c in sf if c.isalpha()]
    if not chars:
        return None
    s = len(chars) - 1
    li = len(lf) - 1
    while s >= 0:
        c = chars[s]
        while li >= 0 and (lf[li].lower() != c or (s == 0 and li > 0 and lf[li - 1].isalnum())):
            li -= 1
        if li < 0:
            return None
        li -= 1
        s -= 1
    return li + 1


def _latin_long_form(text: str, open_pos: int, sf: str) -> tuple[int, int] | None:
    end = open_pos
    while end > 0 and text[end - 1] in " \t\u00a0":
        end -= 1
    lo = max(0, end - 200)
    window = text[lo:end]
    breaks = list(_EN_BREAK.finditer(window))
    if breaks:
        window_start = lo + breaks[-1].end()
    else:
        window_start = lo
    words = list(_WORDS.finditer(text, window_start, end))
    n_letters = sum(c.isalpha() for c in sf)
    max_words = min(n_letters + 5, 2 * n_letters)
    if not words:
        return None
    words = words[-max_words:]
    start = words[0].start()
    lf = text[start:end]
    off = schwartz_hearst_start(sf, lf)
    if off is None:
        return None
    s = start + off
    if not lf[off:].strip() or len(lf[off:].split()) < 1 or text[s:end].strip() == sf:
        return None
    if not re.search(r"[A-Za-z]", text[s:end]) or re.search(rf"[{_CJK}]", text[s:end]):
        return None
    return s, end


def _cjk_long_form(text: str, open_pos: int) -> tuple[int, int] | None:
    end = open_pos
    while end > 0 and text[end - 1] in " \t\u00a0\u3000":
        end -= 1
    lo = max(0, end - 40)
    m = _CJK_RUN_END.search(text, lo, end)
    if m is None:
        return None
    start = m.start()
    cut = None
    for stop in _ZH_STOP.finditer(text, start, end):
        cut = stop.end()
    if cut is not None:
        start = cut
    elif m.start() > 0:
        latin = _LATIN_NAME_END.search(text, max(0, m.start() - 40), m.start())
        if latin is not None:
            start = latin.start(1)
    if end - start < 2:
        return None
    return start, end


def find_definitions(text: str) -> list[Definition]:
    """Every abbreviation definition in ``text``, sorted by short-form position."""
    out: list[Definition] = []
    for m in _PAREN.finditer(text):
        inner = m.group(1)
        inner_start = m.start(1)
        parts = re.split(r"\s*[,，;；、]\s*", inner)
        sf = parts[-1].strip()
        sf_start = inner_start + inner.rfind(sf)
        if _is_short_form(sf):
            sf_end = sf_start + len(sf)
            prev = m.start()
            while prev > 0 and text[prev - 1] in " \t\u00a0\u3000":
                prev -= 1
            if prev > 0 and re.match(rf"[{_CJK}]", text[prev - 1]):
                lf = _cjk_long_form(text, m.start())
                if lf is not None:
                    out.append(Definition(lf[0], lf[1], sf_start, sf_end, "cjk"))
            elif prev > 0:
                lf = _latin_long_form(text, m.start(), sf)
                if lf is not None:
                    out.append(Definition(lf[0], lf[1], sf_start, sf_end, "latin"))
            if len(parts) >= 2:  # 中文名（English name，SF）
                inner_lf = parts[-2].strip()
                pos = inner.rfind(inner_lf, 0, inner.rfind(sf))
                if inner_lf and pos >= 0 and schwartz_hearst_start(sf, inner_lf) is not None:
                    off = schwartz_hearst_start(sf, inner_lf) or 0
                    s = inner_start + pos + off
                    out.append(
                        Definition(s, inner_start + pos + len(inner_lf), sf_start, sf_end, "latin")
                    )
            continue
        # reverse form: SF (long form)
        words = inner.split()
        if len(words) >= 2 and not re.search(rf"[{_CJK}]", inner):
            before = re.search(
                r"([A-Za-z][A-Za-z0-9\-/'’.&+]{1,15})\s*$", text[max(0, m.start() - 20) : m.start()]
            )
            if before is not None and _is_short_form(before.group(1)):
                cand = before.group(1)
                rev = schwartz_hearst_start(cand, inner)
                if rev == 0 or (rev is not None and not inner[:rev].strip(" -").isalpha()):
                    bs = m.start() - len(text[max(0, m.start() - 20) : m.start()]) + before.start(1)
                    out.append(
                        Definition(
                            inner_start + (rev or 0),
                            inner_start + len(inner),
                            bs,
                            bs + len(cand),
                            "latin",
                        )
                    )
        elif _ZH_REVERSE.fullmatch(inner):  # SCORE-15（系统性临床结果和日常评估量表）
            before = _SF_BEFORE.search(text, max(0, m.start() - 20), m.start())
            if before is not None and _is_short_form(before.group(1)):
                out.append(
                    Definition(
                        inner_start, inner_start + len(inner), before.start(1), before.end(1), "cjk"
                    )
                )
    out.sort(key=lambda d: (d.sf_start, d.lf_start))
    return out


def short_form_occurrences(text: str, sf: str) -> list[tuple[int, int]]:
    """Token-bounded, case-sensitive occurrences of a short form (and its ``s`` plural).

    EXAMPLE:
        >>> short_form_occurrences("MSC and MSCs, not hMSCx", "MSC")
        [(0, 3), (8, 12)]
    """
    return [
        (m.start(), m.end())
        for m in _short_form_pattern(sf).finditer(text)
        if not m.start() or not _ALNUM_ASCII.match(text, m.start() - 1)
    ]


def short_form_occurrences_many(text: str, sfs: Iterable[str]) -> dict[str, list[tuple[int, int]]]:
    """:func:`short_form_occurrences` of many short forms with one pass over ``text``
    (Aho-Corasick), so a long document with many definitions stays linear in its length.
    Each short form gets exactly what :func:`short_form_occurrences` returns.

    EXAMPLE:
        >>> short_form_occurrences_many("MSC and MSCs, not BMx; BM", ["MSC", "BM"])
        {'MSC': [(0, 3), (8, 12)], 'BM': [(23, 25)]}
    """
    out: dict[str, list[tuple[int, int]]] = {sf: [] for sf in sfs}
    owners: dict[str, list[str]] = {}
    for sf in out:
        if not sf:  # never a definition; keep the regex's reading of it
            out[sf] = short_form_occurrences(text, sf)
            continue
        for form in _forms(sf):
            owners.setdefault(form, []).append(sf)
    if not owners:
        return out
    import ahocorasick

    auto = ahocorasick.Automaton()
    for form, names in owners.items():
        auto.add_word(form, (len(form), tuple(names)))
    auto.make_automaton()
    hits: dict[str, list[tuple[int, int]]] = {sf: [] for sf in out}
    n = len(text)
    for last, (length, owned) in auto.iter(text):
        start, end = last + 1 - length, last + 1
        if (start > 0 and _ascii_alnum(text[start - 1])) or (end < n and _ascii_alnum(text[end])):
            continue
        for sf in owned:
            hits[sf].append((start, end))
    for sf, found in hits.items():
        found.sort(key=lambda se: (se[0], -se[1]))  # leftmost, then the longer form (regex order)
        resume = 0
        for s, e in found:
            if s >= resume:
                out[sf].append((s, e))
                resume = e
    return out


_ALNUM_ASCII = re.compile(r"[A-Za-z0-9]")


def _ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _forms(sf: str) -> set[str]:
    """The short form and its ``s`` plural (or singular)."""
    forms = {sf}
    if sf[-1:].isupper():
        forms.add(sf + "s")
    elif sf.endswith("s") and len(sf) > 2 and sf[-2].isupper():
        forms.add(sf[:-1])
    return forms


@lru_cache(maxsize=4096)
def _short_form_pattern(sf: str) -> re.Pattern[str]:
    """The forms of :func:`_forms`, longest first, right edge checked (the left edge is
    checked by the caller: a pattern that starts with the literal is searched much faster)."""
    alt = "|".join(re.escape(f) for f in sorted(_forms(sf), key=len, reverse=True))
    return re.compile(rf"(?:{alt})(?![A-Za-z0-9])")
