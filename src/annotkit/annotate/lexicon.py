"""Lexicon loading and Aho–Corasick matching for CELL_TYPE and SCALE terms.

Lexicons are UTF-8 TSV files with the header ``concept_id  label  lang  term  kind`` (one
surface form per row, ``kind`` is ``name`` or ``abbr``; ``#`` starts a comment). The
packaged ones live in ``annotkit/resources/lexicon/`` (``cell_types.tsv``, ``scales.tsv``)
next to ``stoplist.tsv`` (``term  lang  reason``: terms never tagged).

Matching runs over a *normalised view* of the text that has exactly the same length as the
text (so offsets map back one to one):

* names: case folded, every hyphen/dash variant and whitespace character turned into a
  space, so ``Bone Marrow-Derived`` matches ``bone marrow derived``;
* abbreviations: case kept (``NRS`` is not ``nrs``), dashes unified to ``-``.

English (Latin-script) matches must sit on token boundaries (no letter or digit on either
side); Chinese matches need none. Overlapping matches are resolved longest first.

Whitespace between two Han characters (a PDF or OCR line break, ``操作智 商``) does not break
a name: where a text has such gaps, names are also matched on a copy without them, and a
match that spans a gap maps back to the original offsets (gap inside the span).

EXAMPLE:
    >>> from annotkit.annotate.lexicon import load_lexicon
    >>> lex = load_lexicon()
    >>> [(m.start, m.end, m.label) for m in lex.match("VAS and MSCs")]
    [(0, 3, 'SCALE'), (8, 12, 'CELL_TYPE')]
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import ahocorasick

from annotkit.errors import InputError

__all__ = [
    "Lexicon",
    "LexiconMatch",
    "default_ambiguous_paths",
    "default_lexicon_paths",
    "fold_abbr",
    "fold_name",
    "load_lexicon",
    "read_lexicon_rows",
]

log = logging.getLogger(__name__)

LEXICON_HEADER = ("concept_id", "label", "lang", "term", "kind")
STOPLIST_HEADER = ("term", "lang", "reason")
STOP = "STOP"
AMBIGUOUS = "AMBIGUOUS"
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"
_SPACES = " \t\n\r\f\v\u00a0\u2002\u2003\u2009\u200a\u202f\u3000"
_NAME_RE = re.compile("[" + re.escape(_DASHES + _SPACES.replace(" ", "")) + "]")
_ABBR_DASH_RE = re.compile("[" + re.escape(_DASHES[1:]) + "]")
_ABBR_SPACE_RE = re.compile("[" + re.escape(_SPACES.replace(" ", "")) + "]")
_WORD = re.compile(r"[A-Za-z0-9]")
_LATIN = re.compile(r"[A-Za-z0-9]")
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# whitespace inside a Chinese word: a line break or stray space between two Han characters
_HAN_GAP = re.compile(rf"(?<=[{_HAN}])[ \t\r\n\u3000\u00a0]{{1,2}}(?=[{_HAN}])")


def fold_name(text: str) -> str:
    """Length-preserving fold for names: lower case, dashes and whitespace to a space.

    EXAMPLE:
        >>> fold_name("Bone Marrow-Derived")
        'bone marrow derived'
    """
    low = text.lower()
    if len(low) != len(text):  # rare characters whose lower case is longer (İ)
        low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    return _NAME_RE.sub(" ", low)


def fold_abbr(text: str) -> str:
    """Length-preserving fold for abbreviations: case kept, dashes unified to ``-``."""
    return _ABBR_SPACE_RE.sub(" ", _ABBR_DASH_RE.sub("-", text))


@dataclass(frozen=True, slots=True)
class LexiconMatch:
    """One lexicon hit: ``[start, end)`` into the original text."""

    start: int
    end: int
    label: str
    concept_id: str
    kind: str


@dataclass(frozen=True, slots=True)
class _Entry:
    concept_id: str
    label: str
    lang: str
    term: str
    kind: str


def read_lexicon_rows(path: str | Path) -> list[tuple[str, str, str, str, str]]:
    """Rows ``(concept_id, label, lang, term, kind)`` of one lexicon TSV file.

    Raises :class:`InputError` naming the file and line for a bad header or row.
    """
    return [(r[0], r[1], r[2], r[3], r[4]) for r in _read_tsv(Path(path), LEXICON_HEADER, 5)]


def _read_tsv(path: Path, header: Sequence[str], width: int) -> list[list[str]]:
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(
            f"cannot read lexicon file ({err}); check the path and that it is UTF-8",
            source=str(path),
        ) from None
    rows: list[list[str]] = []
    seen_header = False
    for lineno, line in enumerate(raw.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = [c.strip() for c in line.split("\t")]
        if not seen_header:
            seen_header = True
            if tuple(cells[: len(header)]) == tuple(header):
                continue
        if len(cells) < width or not all(cells[:width]):
            raise InputError(
                f"line {lineno}: expected {width} tab-separated fields "
                f"({', '.join(header)}), got {line!r}; fix the row or comment it out with #",
                source=str(path),
            )
        rows.append(cells[:width])
    return rows


def _variants(term: str, label: str, kind: str) -> set[str]:
    """Surface variants added for a lexicon term (CELL_TYPE singular/plural)."""
    out = {term}
    if label != "CELL_TYPE" or not _LATIN.search(term[-1:]):
        return out
    if kind == "abbr":
        if term[-1].isupper():
            out.add(term + "s")
        elif term.endswith("s") and len(term) > 2 and term[-2].isupper():
            out.add(term[:-1])
        return out
    if term.endswith(("cells", "cytes", "blasts")):
        out.add(term[:-1])
    elif term.endswith(("cell", "cyte", "blast")):
        out.add(term + "s")
    elif term.endswith(("ets", "phages", "phils")):
        out.add(term[:-1])
    return out


class Lexicon:
    """Compiled lexicon: two Aho–Corasick automata (names folded, abbreviations cased).

    Build with :func:`load_lexicon` (cached per process); ``match(text)`` returns
    non-overlapping :class:`LexiconMatch` objects sorted by start.
    """

    def __init__(
        self,
        entries: Iterable[_Entry],
        stoplist: Iterable[str] = (),
        ambiguous: Iterable[_Entry] = (),
    ) -> None:
        self.entries = tuple(entries)
        stops = tuple(stoplist)
        self.stoplist = frozenset(fold_name(s) for s in stops)
        self.ambiguous: dict[str, tuple[str, str]] = {}
        #: every reading of an ambiguous form: folded form -> ((label, concept_id), ...)
        self.ambiguous_readings: dict[str, tuple[tuple[str, str], ...]] = {}
        for e in sorted(ambiguous, key=lambda e: (e.concept_id, e.term)):
            key = fold_abbr(e.term) if e.kind == "abbr" else fold_name(e.term)
            self.ambiguous.setdefault(key, (e.label, e.concept_id))
            readings = self.ambiguous_readings.get(key, ())
            if (e.label, e.concept_id) not in readings:
                self.ambiguous_readings[key] = (*readings, (e.label, e.concept_id))
        self.terms_by_concept: dict[str, tuple[str, ...]] = {}
        names: dict[str, tuple[int, str, str, str]] = {}
        abbrs: dict[str, tuple[int, str, str, str]] = {}
        by_concept: dict[str, set[str]] = {}
        for e in sorted(self.entries, key=lambda e: (e.concept_id, e.kind, e.term)):
            by_concept.setdefault(e.concept_id, set()).add(e.term)
            for form in _variants(e.term, e.label, e.kind):
                if e.kind == "abbr":
                    key = fold_abbr(form)
                    table = abbrs
                else:
                    key = fold_name(form)
                    table = names
                if fold_name(form) in self.stoplist or not key.strip():
                    continue
                table.setdefault(key, (len(key), e.label, e.concept_id, e.kind))
        self.terms_by_concept = {k: tuple(sorted(v)) for k, v in by_concept.items()}
        self.abbr_labels: dict[str, tuple[str, str]] = {k: (v[1], v[2]) for k, v in abbrs.items()}
        self.name_labels: dict[str, tuple[str, str]] = {k: (v[1], v[2]) for k, v in names.items()}
        #: folded name -> the lexicon's own spelling (its casing tells names from phrases)
        self.name_terms: dict[str, str] = {}
        for e in sorted(self.entries, key=lambda e: (e.concept_id, e.kind, e.term)):
            if e.kind == "name":
                self.name_terms.setdefault(fold_name(e.term), e.term)
        #: ambiguous scale abbreviations, found in the same pass but kept out of the choice
        for key, readings in self.ambiguous_readings.items():
            if key in abbrs or not all(label == "SCALE" for label, _ in readings):
                continue
            if not key.islower() and fold_abbr(key) == key and key.strip():
                cid = readings[0][1] if len(readings) == 1 else ""
                abbrs.setdefault(key, (len(key), AMBIGUOUS, cid, "abbr"))
        for term in stops:  # stop terms compete for the longest match, then are dropped
            if re.search(r"[A-Z]", term[1:]) or term.isupper():
                abbrs.setdefault(fold_abbr(term), (len(term), STOP, "", "abbr"))
            else:
                names.setdefault(fold_name(term), (len(term), STOP, "", "name"))
        self._names = _automaton(names)
        self._abbrs = _automaton(abbrs)

    def __len__(self) -> int:
        return len(self.entries)

    @functools.cached_property
    def cell_abbrs(self) -> frozenset[str]:
        """Every CELL_TYPE abbreviation form (main and ambiguous lexicons): ``MSC``, ``MSCs``."""
        main = (k for k, (label, _) in self.abbr_labels.items() if label == "CELL_TYPE")
        amb = (k for k, (label, _) in self.ambiguous.items() if label == "CELL_TYPE")
        return frozenset((*main, *(k for k in amb if not k.islower())))

    @functools.cached_property
    def cell_abbr_bases(self) -> frozenset[str]:
        """Main-lexicon CELL_TYPE acronyms with two or more capitals (``MSC``, ``ADSC``): the
        bases of prefixed variants (:func:`annotkit.annotate.acronyms.acronym_variants`)."""
        return frozenset(
            k
            for k, (label, _) in self.abbr_labels.items()
            if label == "CELL_TYPE" and len(k) >= 3 and sum(c.isupper() for c in k) >= 2
        )

    def lookup(self, surface: str) -> tuple[str, str] | None:
        """``(label, concept_id)`` of an exact term (abbreviation first), or ``None``."""
        hit = self.abbr_labels.get(fold_abbr(surface))
        if hit is None:
            hit = self.name_labels.get(fold_name(surface))
        return hit

    def lookup_defined(self, surface: str) -> tuple[str, str] | None:
        """Like :meth:`lookup`, also consulting the ambiguous lexicons (``*_ambiguous.tsv``):
        for forms the document defines itself (``long form (SF)``)."""
        hit = self.lookup(surface)
        if hit is None:
            hit = self.ambiguous.get(fold_abbr(surface)) or self.ambiguous.get(fold_name(surface))
        return hit

    def is_stopped(self, surface: str) -> bool:
        """True when the stoplist forbids tagging this surface form."""
        return fold_name(surface) in self.stoplist

    def match(self, text: str) -> list[LexiconMatch]:
        """All non-overlapping lexicon matches in ``text`` (longest, then leftmost, wins).

        Stoplist terms take part in the longest-match choice (so ``platelet-rich plasma``
        hides ``platelet``); :meth:`scan` also returns where they matched.

        EXAMPLE:
            >>> lex = Lexicon([_Entry("cell:msc", "CELL_TYPE", "en", "MSC", "abbr")])
            >>> [(m.start, m.end) for m in lex.match("hMSC, MSCs")]
            [(6, 10)]
        """
        return self.scan(text)[0]

    def scan(self, text: str) -> tuple[list[LexiconMatch], list[tuple[int, int]]]:
        """``(matches, stop_spans)``: lexicon matches and the stoplist terms found."""
        matches, stops, _ = self.scan_all(text)
        return matches, stops

    def scan_all(
        self, text: str
    ) -> tuple[list[LexiconMatch], list[tuple[int, int]], list[LexiconMatch]]:
        """``(matches, stop_spans, ambiguous)``; ``ambiguous`` are occurrences of ambiguous
        SCALE abbreviations (``*_ambiguous.tsv``, every reading a SCALE: ``SDS``, ``PCS``)
        outside any match, for the caller to judge by their context; ``concept_id`` is empty
        when several instruments share the form."""
        cands: list[tuple[int, int, str, str, str]] = []
        amb: list[tuple[int, int, str, str, str]] = []
        names_view = fold_name(text)
        for auto, view in ((self._names, names_view), (self._abbrs, fold_abbr(text))):
            if auto is None:
                continue
            for end_idx, (length, label, cid, kind) in auto.iter(view):
                end = end_idx + 1
                start = end - length
                if _on_boundary(text, start, end):
                    (amb if label == AMBIGUOUS else cands).append((start, end, label, cid, kind))
        if self._names is not None and _HAN_GAP.search(text):
            cands += self._across_gaps(text, names_view)
        chosen = select_longest(cands)
        stops = [(c[0], c[1]) for c in chosen if c[2] == STOP]
        free: list[LexiconMatch] = []
        if amb:
            taken = bytearray(len(text) + 1)
            for c in chosen:
                taken[c[0] : c[1]] = b"\x01" * (c[1] - c[0])
            free = [LexiconMatch(*a) for a in select_longest(amb) if taken.find(1, a[0], a[1]) < 0]
        return [LexiconMatch(*c) for c in chosen if c[2] != STOP], stops, free

    def _across_gaps(self, text: str, view: str) -> list[tuple[int, int, str, str, str]]:
        """Name matches that span whitespace between two Han characters (``操作智 商``)."""
        keep: list[int] = []  # original index of each character of the gap-free copy
        pos = 0
        for gap in _HAN_GAP.finditer(text):
            keep.extend(range(pos, gap.start()))
            pos = gap.end()
        keep.extend(range(pos, len(text)))
        copy = "".join(view[i] for i in keep)
        out: list[tuple[int, int, str, str, str]] = []
        for end_idx, (length, label, cid, kind) in self._names.iter(copy):
            start, end = keep[end_idx + 1 - length], keep[end_idx] + 1
            if end - start != length and _on_boundary(text, start, end):
                out.append((start, end, label, cid, kind))
        return out


def _on_boundary(text: str, start: int, end: int) -> bool:
    """Latin-script edges need a non-alphanumeric neighbour; CJK edges need nothing."""
    if _WORD.match(text[start]) and start > 0 and _WORD.match(text[start - 1]):
        return False
    return not (_WORD.match(text[end - 1]) and end < len(text) and _WORD.match(text[end]))


def select_longest(cands: Iterable[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Greedy non-overlapping selection of ``(start, end, ...)`` tuples: longest first,
    then leftmost; returned sorted by start."""
    ordered = sorted(cands, key=lambda c: (c[0] - c[1], c[0]))
    if not ordered:
        return []
    occupied = bytearray(max(c[1] for c in ordered))
    chosen: list[tuple[Any, ...]] = []
    for c in ordered:
        s, e = c[0], c[1]
        if occupied.find(1, s, e) != -1:
            continue
        occupied[s:e] = b"\x01" * (e - s)
        chosen.append(c)
    chosen.sort(key=lambda c: (c[0], c[1]))
    return chosen


def _automaton(table: dict[str, tuple[int, str, str, str]]) -> Any:
    if not table:
        return None
    auto = ahocorasick.Automaton()
    for key, value in table.items():
        auto.add_word(key, value)
    auto.make_automaton()
    return auto


@lru_cache(maxsize=1)
def default_lexicon_paths() -> tuple[Path, ...]:
    """The packaged lexicon files that exist (``cell_types.tsv``, ``scales.tsv``)."""
    base = Path(str(resources.files("annotkit"))) / "resources" / "lexicon"
    return tuple(p for p in (base / "cell_types.tsv", base / "scales.tsv") if p.is_file())


@lru_cache(maxsize=1)
def default_ambiguous_paths() -> tuple[Path, ...]:
    """The packaged ``*_ambiguous.tsv`` files (used only for forms a document defines)."""
    base = Path(str(resources.files("annotkit"))) / "resources" / "lexicon"
    names = ("cell_types_ambiguous.tsv", "scales_ambiguous.tsv")
    return tuple(base / n for n in names if (base / n).is_file())


@lru_cache(maxsize=1)
def _default_stoplist() -> Path | None:
    p = Path(str(resources.files("annotkit"))) / "resources" / "lexicon" / "stoplist.tsv"
    return p if p.is_file() else None


def _entries(paths: Iterable[str]) -> list[_Entry]:
    entries: list[_Entry] = []
    for p in paths:
        for cid, label, lang, term, kind in read_lexicon_rows(p):
            if kind not in ("name", "abbr"):
                raise InputError(
                    f"kind must be 'name' or 'abbr', got {kind!r} for term {term!r}; fix the row",
                    source=p,
                )
            entries.append(_Entry(cid, label, lang, term, kind))
    return entries


@lru_cache(maxsize=8)
def _load(paths: tuple[str, ...], stoplist: str | None, ambiguous: tuple[str, ...]) -> Lexicon:
    entries = _entries(paths)
    stops = [r[0] for r in _read_tsv(Path(stoplist), STOPLIST_HEADER, 1)] if stoplist else []
    lex = Lexicon(entries, stops, _entries(ambiguous))
    log.debug("lexicon: %d entries from %s, %d stop terms", len(entries), paths, len(stops))
    return lex


def load_lexicon(
    paths: Sequence[str | Path] | None = None,
    *,
    stoplist: str | Path | None = None,
    ambiguous: Sequence[str | Path] | None = None,
) -> Lexicon:
    """Load and compile lexicon files once per process (cached by paths).

    ``paths=None`` loads the packaged lexicons, ambiguous lexicons and stoplist (missing
    files are skipped, so the rules engine still runs on its grammar alone).

    EXAMPLE:
        >>> lex = load_lexicon(["tests/data/lexicon/mini.tsv"])
        >>> lex.lookup("BM-MSCs")
        ('CELL_TYPE', 'cell:bm-msc')
    """
    if paths is None:
        files = tuple(str(p) for p in default_lexicon_paths())
        stop = _default_stoplist() if stoplist is None else Path(stoplist)
        amb = default_ambiguous_paths() if ambiguous is None else tuple(ambiguous)
    else:
        files = tuple(str(p) for p in paths)
        stop = Path(stoplist) if stoplist is not None else None
        amb = tuple(ambiguous or ())
    return _load(files, str(stop) if stop else None, tuple(str(p) for p in amb))
