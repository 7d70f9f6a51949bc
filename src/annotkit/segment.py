"""Sentence segmentation and tokenization with code-point offsets, for English and Chinese.

One segmentation for the whole project: alignment, pre-annotation, training and export all
call :func:`split_sentences` and :func:`tokenize`. Both work on ``text[start:end]`` and
return offsets into the *whole* ``text``, so ``text[s:e]`` is always the surface.

Rules (the default ``rules`` segmenter, no download needed):

- a line break always ends a sentence;
- Chinese/Japanese terminators ``。！？；…`` (and full-width/half-width variants) end a
  sentence, with closing quotes and brackets kept on the sentence they close;
- ``. ! ?`` end a sentence when followed by white space (or CJK text), unless the period
  belongs to an abbreviation (``et al.``, ``e.g.``, ``i.e.``, ``vs.``, ``Dr.``, ``No. 5``,
  ``Fig. 2``), an initial (``J. Smith``), the next word starts in lower case, or the
  period ends a journal abbreviation in a citation line
  (``J Transl Med. 2017 Sep 22;15(1):197.``);
- sentences never start or end with white space.

``segmenter="stanza"`` uses stanza's tokenizer when its models exist locally (it never
downloads); otherwise :class:`~annotkit.errors.ModelNotFoundError` says how to get them.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import regex

from annotkit.errors import InputError, ModelNotFoundError

__all__ = [
    "SEGMENTERS",
    "segment_bounds",
    "sentence_bounds",
    "tokenize",
]

log = logging.getLogger(__name__)

#: Available sentence segmenters.
SEGMENTERS: tuple[str, ...] = ("rules", "stanza")

# --- character classes --------------------------------------------------------------------

_CJK = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\u30fc\u3005\u3006"
# Letters/digits/marks that are not CJK: the "word" characters of space-separated scripts.
_ALNUM = rf"[[\p{{L}}\p{{N}}\p{{M}}]--[{_CJK}]]"
_HAN_RUN = regex.compile(r"[\p{Han}\u3005\u3006]+", regex.V1)

# A word part: a number with inner separators ("2.5", "1,000") or a run of letters/digits.
_PART = rf"(?:\p{{N}}+(?:[.,]\p{{N}}+)+(?!{_ALNUM})|{_ALNUM}+)"
_TOKEN_RE = regex.compile(
    rf"""
    (?P<abbr>(?:\p{{L}}\.){{2,}})                      # e.g.  i.e.  U.S.
    |(?P<word>{_PART}(?:[-\u2010\u2011'\u2019]{_PART})*) # BM-MSCs  2.5  1,000  don't
    |(?P<han>[\p{{Han}}\u3005\u3006]+)                  # Chinese run (split below)
    |(?P<kana>[\p{{Hiragana}}\p{{Katakana}}\u30fc])      # kana, one per token
    |(?P<hangul>\p{{Hangul}}+)                          # Korean words
    |(?P<other>(?!\s)\X)                                # punctuation, symbols, emoji
    """,
    regex.V1 | regex.VERBOSE,
)

# --- sentence rules -----------------------------------------------------------------------

_CJK_TERMINATORS = "。！？；…‥｡︒﹒．！？﹖﹗；"
_DECIMAL_LIKE = "．﹒｡"  # full-width points that can also be decimal points ("2．5")
_WESTERN_TERMINATORS = ".!?"
_CLOSERS = "\"'”’」』）】》〉〕〗〙〛］｝)]}»›"
_NEWLINES = "\n\r\u2028\u2029\x0b\x0c\x85"
# Literal character sets: the standard re module is faster for these.
_NEWLINE_RE = re.compile(f"[{_NEWLINES}]")
_TERMINATOR_RE = re.compile(
    "[" + "".join(re.escape(c) for c in _CJK_TERMINATORS + _WESTERN_TERMINATORS) + "]"
)

# Abbreviations after which a period never ends a sentence (compared case-sensitively).
_ABBREV_ALWAYS = frozenset(
    """
    al e.g eg i.e ie vs vs cf viz approx ca resp incl Dr Drs Mr Mrs Ms Mme Prof St Sr Jr
    Fig Figs fig figs Eq Eqs eq eqs Ref Refs ref refs Vol Vols vol vols pp Pp No Nos Nr Tab
    tab Suppl suppl Dept Univ Inst Co Corp Ltd Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov
    Dec
    """.split()
)
_ENUMERATOR = regex.compile(r"\s*(?:\d{1,3}|[A-Za-z]|[ivxIVX]{1,5})\.")
_LOOKBACK = 200  # characters before a period that the abbreviation rules look at
_SENTENCE_GAP = regex.compile(r"[.!?。！？；]\s+")
_WHITESPACE_RUN = regex.compile(r"\s+")
_INITIAL_NEXT = regex.compile(r"\s*\p{Lu}\.")
_DOTTED = regex.compile(r"(?:\p{L}\.)+\p{L}")
_CITATION_WORD = regex.compile(
    r"^(?:[\p{Lu}][\p{L}\p{N}\-]*|\p{N}[\p{N}\-:;().]*|&|of|and|the|in)$"
)


_CJK_CHAR = regex.compile(rf"[{_CJK}]")


def _is_han(ch: str) -> bool:
    return bool(_CJK_CHAR.match(ch))


def _next_visible(text: str, i: int, end: int) -> str:
    while i < end and text[i] in " \t\u00a0\u3000":
        i += 1
    return text[i] if i < end else ""


def _period_ends_sentence(text: str, line_start: int, dot: int, after: int, end: int) -> bool:
    """Decide whether the period at ``dot`` (closers up to ``after``) ends a sentence."""
    k = after
    while k < end and text[k].isspace():
        k += 1
    if k >= end:
        return True
    nxt = text[k]
    if text.startswith(("http://", "https://", "www."), k):
        return True  # a URL after the period starts a new sentence
    if nxt.islower() or nxt in ",;:":
        return False
    if _ENUMERATOR.fullmatch(text, max(line_start, dot - 8), dot + 1) and _only_space_before(
        text, line_start, dot
    ):
        return False  # "1. Introduction", "b. Methods", "iv. Results" at the start of a line
    # Look back a bounded window only: keeps long lines linear.
    low = max(line_start, dot - _LOOKBACK)
    w = dot
    while w > low and (text[w - 1].isalpha() or text[w - 1] == "."):
        w -= 1
    core = text[w:dot].rstrip(".")
    if core:
        if core in _ABBREV_ALWAYS:
            return False
        if _DOTTED.fullmatch(core) and not nxt.isupper():
            return False  # e.g. / i.e. / U.S. before a number or bracket
        if len(core) == 1 and core.isupper() and (w == low or text[w - 1] in " \t(\u00a0"):
            # A lone capital: an initial ("J. Smith") unless it follows a lower-case word
            # ("vitamin D. The ...").
            prev = text[max(low, w - 40) : w].split()
            if not prev or not (prev[-1].isalpha() and prev[-1].islower()):
                return False
            if _INITIAL_NEXT.match(text, after, end):
                return False  # "and A. B. Jones"
    if nxt.isdigit():
        # "J Transl Med. 2017 Sep 22" / "Spine (Phila Pa 1976). 2016-1": a title-case run
        # (journal abbreviation) before a year or volume continues the citation.
        begin = _sentence_start(text, max(line_start, dot - _LOOKBACK), dot)
        words = _WHITESPACE_RUN.split(text[begin:dot].strip())
        if words and all(
            _CITATION_WORD.match(w.strip("()[],")) or not w.strip("()[],") for w in words
        ):
            return False
    return True


def _only_space_before(text: str, line_start: int, dot: int) -> bool:
    """True when the token ending at ``dot`` is the first thing on its line."""
    i = dot
    while i > line_start and not text[i - 1].isspace():
        i -= 1
    return not text[line_start:i].strip()


def _sentence_start(text: str, line_start: int, dot: int) -> int:
    """Start of the current sentence candidate: after the last ``. `` before ``dot``."""
    last = line_start
    for m in _SENTENCE_GAP.finditer(text, line_start, dot):
        last = m.end()
    return last


def sentence_bounds(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence offsets ``(start, end)`` of ``text[start:end]`` by the rules above.

    Offsets are into ``text``; sentences carry no edge white space.

    EXAMPLE:
        >>> sentence_bounds("See Fig. 2 et al. here. 结果良好。好！")
        [(0, 23), (24, 29), (29, 31)]
    """
    end = len(text) if end is None else end
    _check_range(text, start, end)
    bounds: list[tuple[int, int]] = []
    line_start = start
    while line_start < end:
        m = _NEWLINE_RE.search(text, line_start, end)
        nl = m.start() if m else end
        bounds.extend(_line_bounds(text, line_start, nl))
        line_start = nl + 1
    return bounds


def _line_bounds(text: str, start: int, end: int) -> list[tuple[int, int]]:
    cuts: list[int] = []
    i = start
    while True:
        # only terminators matter: jump from one to the next
        m = _TERMINATOR_RE.search(text, i, end)
        if m is None:
            break
        i = m.start()
        ch = text[i]
        if ch in _CJK_TERMINATORS:
            if (
                ch in _DECIMAL_LIKE
                and 0 < i < end - 1
                and text[i - 1].isdigit()
                and text[i + 1].isdigit()
            ):
                i += 1
                continue
            j = i + 1
            while j < end and (text[j] in _CJK_TERMINATORS or text[j] in _CLOSERS):
                j += 1
            cuts.append(j)
            i = j
            continue
        j = i + 1
        while j < end and text[j] in _WESTERN_TERMINATORS:
            j += 1
        while j < end and text[j] in _CLOSERS:
            j += 1
        following = text[j] if j < end else ""
        boundary_context = (
            not following or following.isspace() or (not following.isascii() and _is_han(following))
        )
        if boundary_context:
            marks = text[i:j].rstrip(_CLOSERS)
            if marks[-1] in "!?" or len(marks) > 1:
                ends = _next_visible(text, j, end)[:1].islower() is False
            else:
                ends = _period_ends_sentence(text, start, i, j, end)
            if ends:
                cuts.append(j)
        i = j
    cuts.append(end)
    out: list[tuple[int, int]] = []
    s = start
    for c in cuts:
        a, b = s, c
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            out.append((a, b))
        s = c
    return out


def segment_bounds(
    text: str,
    start: int = 0,
    end: int | None = None,
    *,
    segmenter: Literal["rules", "stanza"] = "rules",
    lang: str = "en",
) -> list[tuple[int, int]]:
    """Sentence boundaries in ``text[start:end]`` with the chosen segmenter.

    ``lang`` picks the stanza model (``segmenter="stanza"``, local models only); the rules
    need no language. Sentences with their language: :func:`annotkit.langid.split_sentences`.

    EXAMPLE:
        >>> segment_bounds("Dr. Qu agreed. 结果良好。")
        [(0, 14), (15, 20)]
    """
    end = len(text) if end is None else end
    if segmenter == "rules":
        return sentence_bounds(text, start, end)
    if segmenter == "stanza":
        return _stanza_bounds(text, start, end, lang)
    raise InputError(f"unknown segmenter {segmenter!r}; choose one of {', '.join(SEGMENTERS)}")


def tokenize(
    text: str,
    start: int = 0,
    end: int | None = None,
    lang: str | None = None,
    zh_tokens: Literal["char", "word"] = "char",
) -> list[tuple[int, int]]:
    """Token offsets in ``text[start:end]``: the one tokenizer used by training and export.

    English (and any space-separated script): words incl. hyphenated terms (``BM-MSCs``),
    numbers (``2.5``, ``1,000``), dotted abbreviations (``e.g.``) and each punctuation mark
    separately. Chinese runs: one token per character (``zh_tokens="char"``) or per jieba
    word (``"word"``); Latin/digit runs inside Chinese are tokenized as English. ``lang`` is
    accepted for symmetry with :func:`split_sentences`; the rules depend on the script.

    EXAMPLE:
        >>> text = "BM-MSCs 2.5 mL, 骨髓"
        >>> [text[s:e] for s, e in tokenize(text)]
        ['BM-MSCs', '2.5', 'mL', ',', '骨', '髓']
    """
    end = len(text) if end is None else end
    _check_range(text, start, end)
    if zh_tokens not in ("char", "word"):
        raise InputError(f"zh_tokens must be 'char' or 'word', got {zh_tokens!r}")
    out: list[tuple[int, int]] = []
    for m in _TOKEN_RE.finditer(text, start, end):
        a, b = m.span()
        if m.lastgroup == "han":
            if zh_tokens == "char" or b - a == 1:
                out.extend((i, i + 1) for i in range(a, b))
            else:
                out.extend((a + s, a + e) for _, s, e in _jieba().tokenize(text[a:b]))
        else:
            out.append((a, b))
    return out


def _check_range(text: str, start: int, end: int) -> None:
    if not (0 <= start <= end <= len(text)):
        raise InputError(
            f"range [{start}, {end}) is outside the text (length {len(text)}); "
            "pass 0 <= start <= end <= len(text)"
        )


@functools.lru_cache(maxsize=1)
def _jieba() -> Any:
    """The jieba tokenizer, initialised once and quietly (its log goes to DEBUG)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    return tok


# --- stanza ------------------------------------------------------------------------------


def _stanza_dir() -> Path:
    from annotkit.config import settings

    return settings().stanza_dir


@functools.lru_cache(maxsize=8)
def _stanza_tokenizer(lang: str, model_dir: str) -> Callable[[str], Any]:
    base = Path(model_dir)
    code = {"zh": "zh-hans"}.get(lang, lang)
    tok_dir = base / code / "tokenize"
    if not tok_dir.is_dir() or not any(tok_dir.glob("*.pt")):
        raise ModelNotFoundError(
            f"no stanza tokenize model for {lang!r} in {base}; download one with "
            f"`python -c \"import stanza; stanza.download('{lang}', processors='tokenize', "
            f"model_dir='{base}')\"` and set ANNOTKIT_STANZA_DIR, or use --segmenter rules"
        )
    try:
        import stanza
    except ImportError as err:  # pragma: no cover - stanza is an extra
        raise ModelNotFoundError(
            "stanza is not installed; pip install 'annotkit[stanza]' or use --segmenter rules"
        ) from err
    try:
        pipeline = stanza.Pipeline(
            lang=lang,
            processors="tokenize",
            dir=str(base),
            download_method=None,
            logging_level="WARN",
        )
    except (FileNotFoundError, ValueError, KeyError) as err:  # no resources.json, bad layout
        raise ModelNotFoundError(
            f"stanza could not load its tokenize model for {lang!r} from {base} ({err}); "
            "check the folder (resources.json, <lang>/tokenize/*.pt) or use --segmenter rules"
        ) from err
    return pipeline  # type: ignore[no-any-return]


def _stanza_bounds(text: str, start: int, end: int, lang: str) -> list[tuple[int, int]]:
    nlp = _stanza_tokenizer(lang, str(_stanza_dir()))
    out: list[tuple[int, int]] = []
    # stanza must not join lines: feed it line by line, like the rules segmenter.
    for a, b in _lines(text, start, end):
        doc = nlp(text[a:b])
        for sent in doc.sentences:
            s = a + sent.tokens[0].start_char
            e = a + sent.tokens[-1].end_char
            if s < e:
                out.append((s, e))
    return out


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out = []
    for m in regex.finditer(rf"[^{_NEWLINES}]+", text[start:end]):
        a, b = start + m.start(), start + m.end()
        if text[a:b].strip():
            out.append((a, b))
    return out
