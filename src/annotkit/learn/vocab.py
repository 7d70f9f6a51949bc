"""Project vocabulary learned from corrections: project terms and context exclusions.

What annotators did to the rules' proposals is read off by comparing the corrected spans
(``label``) with what the rules engine proposes on the same text (deterministic, so the
suggestions pushed to doccano need not be stored):

* **project terms**: every CELL_TYPE / SCALE surface annotators kept or added, with its label
  and the packaged lexicon's concept id where it maps (else ``project:<label>:<term>``), kept
  only when it is annotated in at least half of its occurrences in the training texts (a
  word that is usually *not* an entity would only add false positives);
* **project exclusions**: a rules proposal that annotators deleted (no span of the same label
  overlaps it), stored with the token on its left and on its right; it excludes the same
  term next to the same token, unless annotators kept it there at least as often. A term
  deleted twice or more and never kept is excluded everywhere (context ``*``).

Nothing is written into the packaged lexicons: the terms live in the model folder
(``terms.tsv``, lexicon format) and join the packaged lexicon only in the learned engine.

EXAMPLE:
    >>> from annotkit.doc import Document, Span
    >>> doc = Document("d", "We gave eASCs to all.", spans=(Span(8, 13, "CELL_TYPE"),))
    >>> vocab = learn_vocabulary([doc], [()])
    >>> [(t.term, t.label, t.kind) for t in vocab.terms]
    [('eASCs', 'CELL_TYPE', 'abbr')]
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from annotkit.annotate.lexicon import (
    Lexicon,
    default_ambiguous_paths,
    default_lexicon_paths,
    fold_abbr,
    fold_name,
    load_lexicon,
)
from annotkit.doc import Document, Span
from annotkit.errors import InputError
from annotkit.learn.features import neighbours

__all__ = [
    "TERM_LABELS",
    "Exclusion",
    "Term",
    "Vocabulary",
    "learn_vocabulary",
]

#: Labels whose surfaces are vocabulary (DOSE is a grammar of numbers and units).
TERM_LABELS: tuple[str, ...] = ("CELL_TYPE", "SCALE")
#: A surface becomes a project term when annotated in at least this share of its occurrences.
MIN_TERM_PRECISION = 0.5
TERMS_FILE = "terms.tsv"
EXCLUSIONS_FILE = "exclusions.tsv"
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_BREAK = re.compile(r"[\t\r\n\u2028\u2029\x85]")
_LETTER = re.compile(r"[A-Za-z\u3400-\u9fff]")


@dataclass(frozen=True, slots=True)
class Term:
    """A project term: ``annotated`` times marked by annotators (``added`` of them where
    the rules had not proposed exactly that span), ``occurrences`` in the training texts."""

    label: str
    term: str
    kind: str
    concept_id: str
    lang: str
    annotated: int
    added: int
    occurrences: int


@dataclass(frozen=True, slots=True)
class Exclusion:
    """A deleted proposal: ``term`` (folded) with label ``label`` is not tagged when the
    token on ``side`` (``left``/``right``; ``*`` = anywhere) is ``context``."""

    label: str
    term: str
    side: str
    context: str
    deleted: int
    kept: int


def _kind(term: str) -> str:
    if _HAN.search(term) or " " in term:
        return "name"
    upper = sum(ch.isupper() for ch in term)
    return "abbr" if upper >= 2 or (upper and any(ch.isdigit() for ch in term)) else "name"


def _key(term: str, kind: str) -> str:
    return fold_abbr(term) if kind == "abbr" else fold_name(term)


def _slug(term: str) -> str:
    return re.sub(r"\s+", "-", fold_name(term).strip()) or "term"


def _occurrences(views: dict[str, list[str]], term: str, kind: str) -> int:
    needle = _key(term, kind)
    if not needle.strip():
        return 0
    latin_start = re.match(r"[A-Za-z0-9]", needle) is not None
    latin_end = re.search(r"[A-Za-z0-9]$", needle) is not None
    pattern = re.compile(
        ("(?<![A-Za-z0-9])" if latin_start else "")
        + re.escape(needle)
        + ("(?![A-Za-z0-9])" if latin_end else "")
    )
    return sum(1 for view in views[kind] for _ in pattern.finditer(view))


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Project terms and exclusions; :meth:`lexicon` is the packaged lexicon plus the terms."""

    terms: tuple[Term, ...] = ()
    exclusions: tuple[Exclusion, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "terms", tuple(self.terms))
        object.__setattr__(self, "exclusions", tuple(self.exclusions))

    # ------------------------------------------------------------------ lexicons
    def _terms_tsv(self) -> str:
        buf = io.StringIO()
        buf.write("concept_id\tlabel\tlang\tterm\tkind\n")
        for t in self.terms:
            buf.write(f"{t.concept_id}\t{t.label}\t{t.lang}\t{t.term}\t{t.kind}\n")
        return buf.getvalue()

    def _terms_path(self) -> Path:
        # content-addressed, so the lexicon cache (keyed by path) can never serve stale terms
        body = self._terms_tsv()
        digest = hashlib.sha1(body.encode("utf-8")).hexdigest()[:16]
        folder = Path(tempfile.gettempdir()) / "annotkit-project-terms"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"terms-{digest}.tsv"
        if not path.is_file():
            tmp = path.with_suffix(f".{digest}.tmp")
            tmp.write_text(body, "utf-8")
            tmp.replace(path)
        return path

    def lexicon(self) -> Lexicon:
        """The packaged lexicon (with its stoplist and ambiguous forms) plus the terms."""
        if not self.terms:
            return load_lexicon()
        stop = Path(str(resources.files("annotkit"))) / "resources" / "lexicon" / "stoplist.tsv"
        return load_lexicon(
            [*default_lexicon_paths(), self._terms_path()],
            stoplist=stop if stop.is_file() else None,
            ambiguous=default_ambiguous_paths(),
        )

    def project_lexicon(self) -> Lexicon | None:
        """The project terms alone (for project-term hits), None without terms."""
        if not self.terms:
            return None
        return load_lexicon([self._terms_path()])

    # ------------------------------------------------------------------ exclusions
    def excluded(self, text: str, spans: Iterable[Span]) -> tuple[Span, ...]:
        """The spans of ``spans`` that an exclusion removes."""
        if not self.exclusions:
            return ()
        index: dict[tuple[str, str], list[Exclusion]] = {}
        for ex in self.exclusions:
            index.setdefault((ex.label, ex.term), []).append(ex)
        out: list[Span] = []
        for span in spans:
            hits = index.get((span.label, fold_name(text[span.start : span.end])))
            if not hits:
                continue
            left, right = neighbours(text, span.start, span.end)
            for ex in hits:
                if (
                    ex.side == "*"
                    or (ex.side == "left" and ex.context == left)
                    or (ex.side == "right" and ex.context == right)
                ):
                    out.append(span)
                    break
        return tuple(out)

    def filter(self, text: str, spans: Sequence[Span]) -> tuple[Span, ...]:
        """``spans`` without the excluded ones."""
        gone = set(self.excluded(text, spans))
        return tuple(s for s in spans if s not in gone)

    # ------------------------------------------------------------------ files
    def write(self, folder: str | Path) -> None:
        """Write ``terms.tsv`` (lexicon format plus counts) and ``exclusions.tsv``."""
        folder = Path(folder)
        with (folder / TERMS_FILE).open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, delimiter="\t", lineterminator="\n")
            w.writerow(["concept_id", "label", "lang", "term", "kind", "annotated", "added",
                        "occurrences"])  # fmt: skip
            for t in self.terms:
                w.writerow([t.concept_id, t.label, t.lang, t.term, t.kind, t.annotated, t.added,
                            t.occurrences])  # fmt: skip
        with (folder / EXCLUSIONS_FILE).open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, delimiter="\t", lineterminator="\n")
            w.writerow(["label", "term", "side", "context", "deleted", "kept"])
            for ex in self.exclusions:
                w.writerow([ex.label, ex.term, ex.side, ex.context, ex.deleted, ex.kept])

    @classmethod
    def read(cls, folder: str | Path) -> Vocabulary:
        """Read what :meth:`write` wrote (missing files: no terms / no exclusions)."""
        folder = Path(folder)
        terms: list[Term] = []
        exclusions: list[Exclusion] = []
        try:
            for row in _rows(folder / TERMS_FILE, 8):
                terms.append(Term(row[1], row[3], row[4], row[0], row[2], int(row[5]),
                                  int(row[6]), int(row[7])))  # fmt: skip
            for row in _rows(folder / EXCLUSIONS_FILE, 6):
                exclusions.append(Exclusion(row[0], row[1], row[2], row[3], int(row[4]),
                                            int(row[5])))  # fmt: skip
        except ValueError as err:
            raise InputError(
                f"bad count in the model's vocabulary ({err}); retrain the model with "
                "`annotkit train`",
                source=str(folder),
            ) from None
        return cls(tuple(terms), tuple(exclusions))


def _rows(path: Path, width: int) -> list[list[str]]:
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    out = []
    for lineno, row in enumerate(rows[1:], 2):
        if len(row) != width:
            raise InputError(
                f"line {lineno}: expected {width} tab-separated fields, got {len(row)}; "
                "retrain the model with `annotkit train`",
                source=str(path),
            )
        out.append(row)
    return out


def learn_vocabulary(
    docs: Sequence[Document],
    proposals: Sequence[Sequence[Span]],
    *,
    lexicon: Lexicon | None = None,
) -> Vocabulary:
    """Project terms and exclusions from corrected ``docs`` and the rules' ``proposals``.

    docs (Sequence[Document]): corrected documents (``spans`` = the truth).
    proposals (Sequence[Sequence[Span]]): the rules' spans for each document, same order.
    lexicon (Lexicon | None): the packaged lexicon (for concept ids); None loads it.
    RETURNS (Vocabulary): sorted terms and exclusions (deterministic).
    """
    lex = lexicon if lexicon is not None else load_lexicon()
    views = {
        "abbr": [fold_abbr(d.text) for d in docs],
        "name": [fold_name(d.text) for d in docs],
    }
    annotated: Counter[tuple[str, str, str]] = Counter()
    added: Counter[tuple[str, str, str]] = Counter()
    surface_of: dict[tuple[str, str, str], Counter[str]] = {}
    norm_of: dict[tuple[str, str, str], str] = {}
    deleted: Counter[tuple[str, str, str, str]] = Counter()
    kept: Counter[tuple[str, str, str, str]] = Counter()
    deleted_total: Counter[tuple[str, str]] = Counter()
    kept_total: Counter[tuple[str, str]] = Counter()
    for doc, props in zip(docs, proposals, strict=True):
        gold = {s.key for s in doc.spans}
        prop_keys = {s.key: s for s in props}
        for span in doc.spans:
            if span.label not in TERM_LABELS:
                continue
            surface = doc.text[span.start : span.end]
            if len(surface) < 2 or not _LETTER.search(surface) or _BREAK.search(surface):
                continue
            kind = _kind(surface)
            k = (span.label, kind, _key(surface, kind))
            annotated[k] += 1
            surface_of.setdefault(k, Counter())[surface] += 1
            prop = prop_keys.get(span.key)
            if prop is None:
                added[k] += 1
            elif prop.norm and "id" in prop.norm and k not in norm_of:
                norm_of[k] = str(prop.norm["id"])
        for prop in props:
            if prop.label not in TERM_LABELS:
                continue
            term = fold_name(doc.text[prop.start : prop.end])
            left, right = neighbours(doc.text, prop.start, prop.end)
            if prop.key in gold:
                target = kept
                kept_total[(prop.label, term)] += 1
            elif any(
                g.label == prop.label and g.start < prop.end and prop.start < g.end
                for g in doc.spans
            ):
                continue  # a boundary change, not a deletion: the sequence model learns it
            else:
                target = deleted
                deleted_total[(prop.label, term)] += 1
            target[(prop.label, term, "left", left)] += 1
            target[(prop.label, term, "right", right)] += 1

    terms: list[Term] = []
    for k, n in annotated.items():
        label, kind, _ = k
        surface = sorted(surface_of[k].items(), key=lambda x: (-x[1], x[0]))[0][0]
        occ = max(_occurrences(views, surface, kind), n)
        if n / occ < MIN_TERM_PRECISION:
            continue
        hit = lex.lookup(surface)
        if hit is not None and hit[0] == label:
            cid = hit[1]
        else:
            cid = norm_of.get(k) or f"project:{label.lower()}:{_slug(surface)}"
        lang = "zh" if _HAN.search(surface) else "en"
        terms.append(Term(label, surface, kind, cid, lang, n, added[k], occ))
    terms.sort(key=lambda t: (t.label, t.term))

    exclusions: list[Exclusion] = []
    for (label, term, side, ctx), d in deleted.items():
        k_n = kept[(label, term, side, ctx)]
        if d > k_n:
            exclusions.append(Exclusion(label, term, side, ctx, d, k_n))
    for (label, term), d in deleted_total.items():
        if d >= 2 and kept_total[(label, term)] == 0:
            exclusions.append(Exclusion(label, term, "*", "", d, 0))
    exclusions.sort(key=lambda e: (e.label, e.term, e.side, e.context))
    return Vocabulary(tuple(terms), tuple(exclusions))
