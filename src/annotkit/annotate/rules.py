"""The rules engine: lexicon + modifier grammar + DOSE grammar + abbreviations.

Rule sets (each span's ``source``): ``rule:lexicon.v1`` (lexicon terms, ``norm={"id": …}``),
``rule:cell.v1`` (CELL_TYPE modifier grammar), ``rule:scale.v1`` (title-case instrument
names), ``rule:dose.v1`` (:mod:`annotkit.annotate.dose`), ``rule:abbrev.v1`` (short and long
forms labelled through an in-text definition, :mod:`annotkit.annotate.abbrev`).

Steps, all over the original text (offsets never change):

1. lexicon matches (Aho–Corasick over a length-preserving folded view);
2. CELL_TYPE grammar: a head (``cells``, ``-cytes``, lexicon cell names and acronyms,
   ``细胞``) plus the contiguous narrowing modifiers to its left (tissue of origin,
   ``X-derived``, ``CD34-positive``, lineage, species/age, Chinese ``骨髓来源的``); donor and
   processing words (autologous, culture-expanded, 自体, 培养的) are not modifiers, so they
   cut the span; disease/test/product contexts (``B-cell lymphoma``, ``platelet-rich``,
   ``促红细胞生成素``, ``血小板减少症``) reject it;
3. SCALE: lexicon names and acronyms, title-case names ending in Scale/Index/Questionnaire…,
   ``pain``/``疼痛`` prefixes, acronym suffixes (``NRS`` + ``-11``), ``KOOS/HOOS`` joined;
4. abbreviation definitions: labels flow from long form to short form and back, then to
   every occurrence of the short form in the document;
5. DOSE grammar (bare magnitudes count only before a CELL_TYPE span);
6. overlaps resolved longest first (ties: DOSE, CELL_TYPE, SCALE); stoplist and the
   guideline "Not" lists drop what must never be tagged.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from annotkit.annotate.abbrev import SOURCE as ABBREV_SOURCE
from annotkit.annotate.abbrev import (
    find_definitions,
    schwartz_hearst_start,
    short_form_occurrences_many,
)
from annotkit.annotate.acronyms import acronym_variants, caps_code_is_modifier, product_designation
from annotkit.annotate.dose import SOURCE as DOSE_SOURCE
from annotkit.annotate.dose import find_doses
from annotkit.annotate.lexicon import Lexicon, LexiconMatch, fold_name, load_lexicon
from annotkit.annotate.zh_cells import ZH_CELL_HEAD, zh_bad_context, zh_cell_start
from annotkit.doc import Span

__all__ = ["LEXICON_SOURCE", "annotate_text"]

LEXICON_SOURCE = "rule:lexicon.v1"
CELL_SOURCE = "rule:cell.v1"
SCALE_SOURCE = "rule:scale.v1"
_PRIORITY = {"DOSE": 0, "CELL_TYPE": 1, "SCALE": 2}

# ----------------------------------------------------------------------------- CELL_TYPE
_EN_MOD_WORDS = (
    "mesenchymal stromal stem progenitor progenitors precursor nucleated mononuclear "
    "mononucleated signaling signalling medicinal human adult fetal foetal embryonic neonatal "
    "juvenile pluripotent multipotent totipotent induced hematopoietic haematopoietic "
    "osteogenic chondrogenic adipogenic myogenic neurogenic osteoprogenitor neural neuronal "
    "glial endothelial epithelial mesodermal perivascular synovial adipose marrow bone "
    "umbilical cord blood peripheral placental placenta amniotic amnion chorionic dental pulp "
    "periodontal ligament muscle skeletal cardiac limbal dermal skin renal hepatic islet beta "
    "dendritic natural killer regulatory cytotoxic helper memory naive naïve mast plasma "
    "schwann satellite wharton's wharton’s jelly tendon germ somatic red white immune "
    "lymphoid myeloid erythroid mesothelial vascular fraction fat olfactory ensheathing "
    "nucleus pulposus annulus fibrosus notochordal articular cartilage chondral hair follicle "
    "leukemia leukemic leukaemia cancer tumor tumour derived lineage progenitor-like "
    "mesenchymal-like effector innate lymphoid marrow-derived decidual menstrual urine "
    "spermatogonial germline hematopoietic-like mouse murine rat porcine bovine canine equine "
    "ovine caprine rabbit primate simian monkey chicken avian zebrafish tonsillar splenic thymic "
    "alveolar bronchoalveolar lavage intestinal gastric pulmonary lung liver fetal-liver "
    "mucosal cortical hippocampal retinal cochlear nasal oral gingival corneal urothelial "
    "trophoblast trophoblastic erythroid myelomonocytic monocytic granulocytic megakaryocytic "
    "lymphoblastoid lymphocytic spleen thymus lymph node positive negative tissue breast colon "
    "colorectal prostate ovarian cervical pancreatic hepatocellular "
    # tumour nouns naming the line's origin: "lung adenocarcinoma A549 cells"
    "carcinoma adenocarcinoma sarcoma osteosarcoma chondrosarcoma melanoma glioma "
    "glioblastoma neuroblastoma retinoblastoma medulloblastoma hepatoma hepatocarcinoma "
    "lymphoma myeloma mesothelioma carcinoid choriocarcinoma teratocarcinoma "
    # anatomy of the cells' site and maturation stages
    "spiral ganglion vestibular sensory gastrointestinal esophageal oesophageal thyroid "
    "bladder kidney endometrial uterine testicular granular thrombocytogenic "
    "precursors mice rats mature immature "
    "squamous nasopharyngeal papillary ductal epidermoid lymphoblastic promyelocytic "
    "hamster sheep goat dog pig rhesus macaque ovary primary"
).split()
_MOD_SUFFIX = (
    r"non-?(?:B|T|NK|erythroid|myeloid|lymphoid|hematopoietic|haematopoietic|adherent|"
    r"neuronal|epithelial|endothelial|immune)|"
    r"[A-Za-z0-9'’]+(?:-[A-Za-z0-9'’]+)*-(?:derived|positive|negative|secreting|resistant|"
    r"expressing|producing|specific|enriched|selected|like|lineage|origin|sourced|containing|"
    r"bearing)"
    r"|(?:first|second|third|fourth|fifth|1st|2nd|3rd|4th|5th|next)-generation"
)
_CODE_PART = r"-(?:[A-Za-z]*[A-Z0-9][A-Za-z0-9]*|[a-z]{1,3})"
_CODE = (
    rf"[A-Z][A-Za-z]*[A-Z0-9][A-Za-z0-9]*(?:{_CODE_PART})*\+?|CD\d+[a-z]?[+\-−]?|T|B|NK"
    rf"|\d+[A-Z][A-Za-z0-9]*(?:{_CODE_PART})*"  # 3T3-L1, 293T, 4T1
    r"|[A-Z][a-z]+-\d+[A-Za-z0-9]*"  # Saos-2, Caco-2, Huh-7
    r"|[αβγδ]{1,2}"  # β cells, γδ T cells
    r"|(?:CD\d+[a-z]?(?:[+\-−]|\([+\-−]\)))+(?:T|B|NK)"  # CD4+T, CD4(+)T
    r"|(?:[A-Z][A-Za-z]*\d+[a-z]?(?:[+\-−]|hi|lo|high|low|bright|dim)){2,}"  # CD3+CD56+
)
# a cell-line code or marker (a digit or two capitals): coordinated codes share one head
# ("Saos-2 and MG-63 cells", "CD4+ and CD8+ T cells")
_COORD_CODE = re.compile(
    r"(?=[A-Za-z0-9+\-−()]*(?:\d|[A-Z][A-Za-z0-9+\-−]*[A-Z]))[A-Za-z0-9+\-−()]+"
)
#: modifiers only of a cell-line head ("DNAH2 knockout U2OS stable cell line")
_LINE_MODS = frozenset(
    "stable stably monoclonal polyclonal clonal knockout knock-out KO knockdown transgenic "
    "immortalized immortalised".split()
)
# the animal of the experiment, not the source of the cells: "model rats bone marrow cells"
_MODEL_SPECIES = frozenset("mouse mice rat rats".split())
_MODEL_BEFORE = re.compile(r"(?:\bmodel|\b[A-Z]{2,}\d?)[ \t]+$")
_EN_MOD_SET = frozenset(w.lower() for w in _EN_MOD_WORDS)
# "(bm)", "(BM)" between a modifier run and its head: an abbreviation inside the name
_PAREN_ABBR_BEFORE = re.compile(r"\(\s*([A-Za-z][A-Za-z0-9\-]{0,9})\s*\)[ \t]+$")
_EN_MOD = re.compile(
    rf"(?:{_MOD_SUFFIX}|{_CODE}|(?i:{'|'.join(re.escape(w) for w in _EN_MOD_WORDS)}))$"
)
_EN_TOKEN_BEFORE = re.compile(
    r"(?<![A-Za-z0-9À-ÿα-ω'’+\-−])([A-Za-z0-9À-ÿα-ω'’+\-−]+)"
    r"(\s+|\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+|/)$"
)
_EN_GENERIC_HEAD = re.compile(
    r"(?<![A-Za-z0-9\-])(?:cells?(?:\s+(?:lines?|strains?))?|"
    r"[a-z]{3,}(?:cytes?|blasts?)|macrophages?|neutrophils?|eosinophils?|basophils?|"
    r"platelets?|neurons?|thrombocytes?|pericytes?)(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_EN_ACRONYM_HEAD = re.compile(
    r"(?<![A-Za-z0-9])(?:[hr]?(?:(?!ALLO|AUTO|XENO)[A-Z]{1,4}-?)?MSC|(?:h|hi)?iPSC|(?:AD|BM|UC|hAD|hBM|hUC)-?SC"
    r"|HSC|ESC|hESC|EPC)(?:s|'s|’s)?(?![A-Za-z0-9])"
)
# every acronym head ends in SC or EPC: find those ends first (a fast scan), then the head
_ACRONYM_HEAD_END = re.compile(r"(?:SC|EPC)(?:s|'s|’s)?(?![A-Za-z0-9])")


def _acronym_heads(text: str) -> list[tuple[int, int]]:
    """The matches of ``_EN_ACRONYM_HEAD`` in ``text`` (same as ``finditer``, faster)."""
    out: list[tuple[int, int]] = []
    last = 0
    for h in _ACRONYM_HEAD_END.finditer(text):
        pos = max(last, h.start() - 12)
        while (m := _EN_ACRONYM_HEAD.search(text, pos, h.end())) is not None:
            if m.end() == h.end():
                out.append((m.start(), m.end()))
                last = m.end()
                break
            pos = m.end()
    return out


_HEAD_NEEDS_MOD = re.compile(r"(?i)cells?(?:\s+(?:lines?|strains?))?")
_EN_BAD_AFTER = re.compile(
    r"(?:\s*[-‐]\s*(?:rich|poor|depleted|free|lysates?)\b"
    r"|\s+(?:leuk[a]?emias?|lymphomas?|myelomas?|carcinomas?|sarcomas?|"
    r"tumou?rs?|neoplasms?|cancers?|diseases?|deficiency|sedimentation|dyscrasias?|"
    r"lysates?|concentrates?|rich|poor|gel|pathways?|tracts?)\b)",
    re.IGNORECASE,
)
# hyphen compounds naming a transient state or a treatment (guideline: not modifiers)
_EN_TRANSIENT = re.compile(
    r"(?i)-(?:mediated|induced|treated|stimulated|activated|exposed|transfected|infected"
    r"|transduced|pulsed|loaded|primed|(?:pre)?conditioned|challenged|dependent|pretreated"
    r"|labell?ed|stained|tagged|licensed|engineered|modified|irradiated|encapsulated"
    r"|seeded|co-?cultured|cultured|expanded|frozen|thawed|silencing|silenced|knockdown"
    r"|knocked-down|depleted|based)$"
    r"|^[Pp]\d{1,2}$"  # a passage number (P3 MSCs): processing, not a cell type
)
# words that need a modifier before them: "derived", "lineage", "positive" ("ER positive")
_EN_BAD_WORDS = re.compile(r"(?i)^(?:cells?|derived|and|or|lineage|positive|negative|node)$")
#: tissue and body-fluid nouns: modifiers of origin, but never coordinated as cell modifiers
_TISSUE_NOUNS = frozenset(
    (
        "lavage blood marrow bone cord fluid tissue jelly pulp ligament muscle skin fat "
        "cartilage liver lung placenta amnion urine plasma serum spleen thymus tonsil tendon "
        "synovium lymph node sputum saliva milk aspirate biopsy biopsies"
    ).split()
)
# a cell name followed by the generic head: "basophil cells", "monocyte type cells"
_CELL_TAIL = re.compile(
    r"(?:[ \t]+|-)(?:(?:type|like)[ \t]+)?cells?(?:[ \t]+(?:lines?|strains?))?(?![A-Za-z0-9\-])",
    re.I,
)
_ENDS_IN_CELL = re.compile(r"(?i)cells?(?:\s+(?:lines?|strains?))?$")
_LINE_HEAD = re.compile(r"(?i)(?:lines?|strains?)$")
# a route prefix written apart: "intra myocardial cells" is intramyocardial (the route)
_ROUTE_PREFIX = re.compile(r"(?i)(?<![A-Za-z])(?:intra|trans|sub|peri)[ \t]$")
# 周细胞 (pericytes) never right after a count of weeks: "培养1周细胞", "每周细胞"
_WEEK_COUNT = re.compile(r"[0-9０-９零〇一二两兩三四五六七八九十百千几幾数數每第]\s?$")
# simplified -> traditional for the characters of the Chinese grammar words below
_TRAD = str.maketrans(
    "间干质细单纤维软内经脐盘树状红杀伤调节辅记忆环卫岛胶韧带来浆体诱导华顿肤减贫无评数问碱万终个",
    "間幹質細單纖維軟內經臍盤樹狀紅殺傷調節輔記憶環衛島膠韌帶來漿體誘導華頓膚減貧無評數問鹼萬終個",
)


def _both_scripts(words: list[str]) -> list[str]:
    """Words plus their traditional-script forms (deduplicated, longest first)."""
    return sorted(
        {w for word in words for w in (word, word.translate(_TRAD))}, key=len, reverse=True
    )


# ----------------------------------------------------------------------------- SCALE
_SCALE_HEADS = {
    "scale",
    "scales",
    "score",
    "index",
    "questionnaire",
    "inventory",
    "survey",
    "evaluation",
    "assessment",
    "instrument",
    "profile",
    "measure",
    "rating",
}
_SCALE_HEADS_TITLE = (
    r"Scale|Questionnaire|Inventory|Index|Survey|Score|Instrument|Profile|Measure|Battery"
    r"|Checklist"
)
_TITLE_HEADS = tuple(_SCALE_HEADS_TITLE.split("|"))
_TITLE_WORD = r"(?:[A-Z][A-Za-z0-9'’\-]*(?:/[A-Z][A-Za-z0-9'’\-]*)*|\d+(?:-[A-Za-z]+)*)"
_TITLE_SCALE = re.compile(
    rf"(?<![A-Za-z0-9\-])({_TITLE_WORD}(?:[ \t]+(?:(?:of|for|and|the|in|on|to)[ \t]+)?"
    rf"{_TITLE_WORD})*)[ \t]+({_SCALE_HEADS_TITLE})(?![A-Za-z0-9])"
)
_INTERNAL_HEAD = re.compile(
    rf"(?<![A-Za-z])({_SCALE_HEADS_TITLE})(?:[ \t]*,[ \t]*|[ \t]+)(?:(?:and|or)[ \t]+)?(?=[A-Z])"
)
_SCALE_STRIP = re.compile(
    r"^(?:(?:The|A|An|Modified|Preoperative|Postoperative|Baseline|Total|Mean|Average|"
    r"Validated|Our|Their|Using|Both|Each|Chinese|English|Version|Revised|Short)[ \t]+)+"
)
# "SF (Short Form) -36": an acronym broken by its Title Case expansion (a lower-case one is
# a trial's name: "LEAD (liraglutide effect and action in diabetes)-3")
_BROKEN_ACRONYM = re.compile(
    r"(?<![A-Za-z0-9])([A-Z]{2,6})\s*\(([A-Z][A-Za-z\-]*(?:[ \-]+[A-Z][A-Za-z\-]*)*)\)\s*-\s*\d+"
)
_ZH_SCALE_END = re.compile(
    "(?:"
    + "|".join(_both_scripts("评分 量表 指数 问卷 评估 评分法 量表评分 评分表 问卷调查".split()))
    + ")$"
)
_ACRONYM_SUFFIX = re.compile(r"(?:-[0-9][0-9A-Za-z]*)+(?![A-Za-z0-9])")
#: guideline "Not SCALE" / "Not CELL_TYPE" terms (folded), in addition to stoplist.tsv
_NEVER = frozenset(
    fold_name(t)
    for t in (
        "MCID",
        "minimal clinically important difference",
        "minimal clinically important differences",
        "minimum clinically important difference",
        "MRI",
        "CT",
        "BMI",
        "body mass index",
        "ABI",
        "ankle-brachial index",
        "ankle brachial index",
        "T-score",
        "Pfirrmann",
        "Meyerding",
        "Cobb",
        "Cobb angle",
        "Wagner",
        "Fontaine",
        "Rutherford",
        "International Staging System",
        "ISS",
        "p-value",
        "Level",
        "BMAC",
        "PRP",
        "bone marrow aspirate concentrate",
        "platelet-rich plasma",
        "platelet lysate",
        "CFU-F",
        "colony forming units-fibroblast",
        "magnetic resonance imaging",
        "quality of life index",
        "pain scores",
        "functional status",
        "cells",
        "cell",
        "Glycemic Index",
        "Apnea-Hypopnea Index",
    )
)


@dataclass(slots=True)
class _Cand:
    start: int
    end: int
    label: str
    source: str
    norm: dict[str, Any] | None = field(default=None)


def _extend_cell_left_en(
    text: str,
    start: int,
    *,
    required: bool,
    cell_abbrs: Collection[str] = (),
    line_head: bool = False,
) -> int | None:
    """Start of the cell span after taking contiguous modifiers to the left of ``start``.

    ``required``: the head alone is not a cell type (``cells``), so at least one modifier
    must be found (else ``None``). ``line_head``: the head is ``cell line(s)``/``strain``,
    which also takes the words of a constructed line (stable, monoclonal, knockout).
    """
    stack: list[tuple[int, str]] = []  # (start, token) of each modifier taken, right to left
    pos = start
    paren: tuple[int, int, str] | None = None  # "bone marrow (bm) MSCs": (start, stack size, sf)
    while True:
        p = _PAREN_ABBR_BEFORE.search(text, max(0, pos - 16), pos)
        if p is not None and p.end() == pos and paren is None and p.group(1) not in cell_abbrs:
            # a cell acronym in parentheses is a definition: "natural killer (NK) cells"
            paren = (p.start(), len(stack), p.group(1))
            pos = p.start()
            continue
        m = _EN_TOKEN_BEFORE.search(text, max(0, pos - 60), pos)
        if m is None or m.end() != pos:
            break
        tok, sep = m.group(1), m.group(2)
        donor = _DONOR_HYPHEN.match(tok)
        if donor is not None:  # "Allogenic-Adipose-derived": the donor word stays outside
            rest = tok[donor.end() :]
            if _is_en_modifier(rest) and not _EN_TRANSIENT.search(rest) and not sep.strip():
                stack.append((m.start(1) + donor.end(), rest))
            break
        line_mod = line_head and tok in _LINE_MODS
        if re.fullmatch(r"(?i)cells?|and|or", tok) or not (line_mod or _is_en_modifier(tok)):
            break
        if tok.lower() in _MODEL_SPECIES and _MODEL_BEFORE.search(
            text, max(0, m.start(1) - 16), m.start(1)
        ):
            break  # "ITP mice", "model rats": the animals of the experiment
        if _EN_TRANSIENT.search(tok):
            break  # "GC-mediated cell", "LPS-stimulated cells": a state, not a cell type
        if not caps_code_is_modifier(tok, cell_abbrs):
            break  # "KOA stem cell therapy": a disease acronym, not a cell modifier
        if sep == "/":  # "CD34+/CD38- cells", "stromal/stem cells": like with like
            if not stack or tok.islower() != stack[-1][1].islower() or _tissue_word(tok):
                break
        elif (
            sep.strip()
            and stack
            and _COORD_CODE.fullmatch(tok)
            and _COORD_CODE.fullmatch(stack[-1][1])
            and not tok.islower()
        ):
            pass  # "Saos-2 and MG-63 cells": coordinated codes share the head
        elif sep.strip() and (
            not stack
            or not tok.islower()
            or (
                (_tissue_word(tok) or _tissue_word(stack[-1][1]))
                and not any(_DERIVED.search(t) for _, t in stack)
            )
        ):
            # coordination only between lower-case cell modifiers after a first modifier:
            # "bronchoalveolar lavage and blood mononuclear cells" coordinates tissues, but
            # "adipose and bone marrow-derived MSCs" shares "-derived": one span
            break
        pos = m.start(1)
        stack.append((pos, tok))
    while stack and _EN_BAD_WORDS.match(stack[-1][1]):
        stack.pop()  # "derived"/"lineage" need a tissue word before them
    if paren is not None:
        p_start, n_before, sf = paren
        words = text[stack[-1][0] : p_start] if len(stack) > n_before else ""
        if not words or schwartz_hearst_start(sf, words) is None:
            del stack[n_before:]  # the parenthesis abbreviates nothing before it: stop there
    if not stack or (required and all(t.lower() in _WEAK_MODS for _, t in stack)):
        return None if required else start
    return stack[-1][0]


#: modifiers that narrow a named cell but do not make a bare "cells" a cell type
#: ("primary megakaryocytes", "mature adipocytes"; "primary cells" gives nothing)
_WEAK_MODS = frozenset("primary mature immature mice rats".split())


_DONOR_HYPHEN = re.compile(
    r"(?i)(?:autologous|allogeneic|allogenic|xenogeneic|syngeneic|allo|auto|xeno)-(?=[a-z])"
)


def _is_en_modifier(tok: str) -> bool:
    """A cell modifier token; hyphen compounds of modifier and tissue words count too
    (``adipose-tissue``, ``bone-marrow``, ``cord-blood``)."""
    if _EN_MOD.match(tok) or (_TUMOUR_NOUN.fullmatch(tok) and tok.lower() not in _NOT_TUMOURS):
        return True
    parts = tok.lower().split("-")
    return len(parts) > 1 and all(
        p in _EN_MOD_SET or p in _TISSUE_NOUNS or p.rstrip("s") in _TISSUE_NOUNS for p in parts
    )


_DERIVED = re.compile(r"(?i)derived|origin")
# a tumour noun names a tumour line's origin ("rat pheochromocytoma PC12 cells")
_TUMOUR_NOUN = re.compile(r"(?i)[a-z]{3,}(?:omas?|blastomas?)")
_NOT_TUMOURS = frozenset("stroma stromas diploma aroma chroma trachoma glaucoma".split())


def _tissue_word(tok: str) -> bool:
    return tok.lower().rstrip("s") in _TISSUE_NOUNS or tok.lower() in _TISSUE_NOUNS


def _cell_tail(text: str, start: int, end: int) -> int:
    """End after a generic head that follows a cell name: "basophil cell" keeps ``cell``."""
    if _ENDS_IN_CELL.search(text, start, end) or not text[end - 1 : end].isalpha():
        return end
    m = _CELL_TAIL.match(text, end)
    if m is None or _bad_cell_context(text, start, m.end()):
        return end
    return m.end()


_ACRONYM_LIKE = re.compile(r"[A-Za-z0-9\-'’]*[A-Z][A-Za-z0-9\-'’]*")


def _cell_candidates(text: str, lex_cells: list[_Cand], lex: Lexicon) -> list[_Cand]:
    abbrs = lex.cell_abbrs
    out: list[_Cand] = []
    for c in lex_cells:
        if _bad_cell_context(text, c.start, c.end):
            continue
        end = _cell_tail(text, c.start, c.end)
        line = _LINE_HEAD.search(text, c.start, end) is not None
        s = _extend_cell(text, c.start, required=False, cell_abbrs=abbrs, line_head=line)
        if text[end : end + 2] in ("'s", "’s") and text[end - 1].isupper():
            end += 2  # apostrophe plural: MSC's
        out.append(_Cand(s if s is not None else c.start, end, "CELL_TYPE", c.source, c.norm))
    for m in _EN_GENERIC_HEAD.finditer(text):
        if _bad_cell_context(text, m.start(), m.end()):
            continue
        needs = _HEAD_NEEDS_MOD.fullmatch(m.group()) is not None
        line = _LINE_HEAD.search(m.group()) is not None
        s = _extend_cell(text, m.start(), required=needs, cell_abbrs=abbrs, line_head=line)
        if s is None:
            continue
        out.append(_Cand(s, _cell_tail(text, m.start(), m.end()), "CELL_TYPE", CELL_SOURCE))
    heads = _acronym_heads(text)
    heads += acronym_variants(text, lex.cell_abbr_bases)  # bmMSCs, hAdMSCs, Allo-hMSCs
    for a, b in heads:
        if _bad_cell_context(text, a, b):
            continue
        s = _extend_cell(text, a, required=False, cell_abbrs=abbrs)
        out.append(_Cand(s if s is not None else a, b, "CELL_TYPE", CELL_SOURCE))
    out = [
        c
        for c in out
        if text[c.start - 1 : c.start] != "-"
        and text[c.end : c.end + 1] != "/"
        or not _ACRONYM_LIKE.fullmatch(text, c.start, c.end)
        or not product_designation(text, c.start, c.end, abbrs)
    ]
    for m in ZH_CELL_HEAD.finditer(text):
        start = zh_cell_start(text, m.start(), required=True, head_word=m.group())
        if start is None or _bad_cell_context(text, m.start(), m.end()):
            continue
        out.append(_Cand(start, m.end(), "CELL_TYPE", CELL_SOURCE))
    out = [
        c
        for c in out
        if (
            text[c.start] not in "周週"
            or not _WEEK_COUNT.search(text, max(0, c.start - 2), c.start)
        )
        and not (
            text[c.start - 1 : c.start] in " \t"
            and _ROUTE_PREFIX.search(text, max(0, c.start - 7), c.start)
        )
    ]
    return _join_slashed_cells(text, out)


def _join_slashed_cells(text: str, cands: list[_Cand]) -> list[_Cand]:
    """ "macrophage/monocyte type cells": a cell name joined by a slash to a cell name with a
    generic head shares that head (coordinated modifiers); without a head both stay apart."""
    starts_by_end: dict[int, int] = {}
    for c in cands:
        if not _ENDS_IN_CELL.search(text, c.start, c.end):  # "T cell/B cell": two names
            starts_by_end[c.end] = min(c.start, starts_by_end.get(c.end, c.start))
    out = list(cands)
    for c in cands:
        if (
            c.start < 1
            or text[c.start - 1] != "/"
            or not _ENDS_IN_CELL.search(text, c.start, c.end)
        ):
            continue
        left = starts_by_end.get(c.start - 1)
        if left is not None:
            out.append(_Cand(left, c.end, "CELL_TYPE", c.source, None))
    return out


def _extend_cell(
    text: str,
    start: int,
    *,
    required: bool,
    cell_abbrs: Collection[str] = (),
    line_head: bool = False,
) -> int | None:
    s = _extend_cell_left_en(
        text, start, required=required, cell_abbrs=cell_abbrs, line_head=line_head
    )
    if s is None:
        return None
    if s == start and start > 0:
        head = start - 1 if text[start - 1] in " \t" and start > 1 else start
        if "\u3400" <= text[head - 1] <= "\u9fff":  # Chinese modifiers: 骨髓来源的 MSCs
            z = zh_cell_start(text, head, required=True)
            if z is not None:
                return z
    return s


def _bad_cell_context(text: str, start: int, end: int) -> bool:
    bad = _EN_BAD_AFTER.match(text, end)
    if bad is not None and re.search(r"[A-Za-z]", text[end - 1]):
        # guidelines (December): cells named before a product head are still cells
        # ("marrow MSCs concentrate"); a platelet concentrate is the product
        acronym = sum(c.isupper() for c in text[max(start, end - 8) : end]) >= 2
        return not (acronym and _PRODUCT_HEAD.fullmatch(bad.group().strip()))
    if (
        start >= 2
        and text[start - 1] in "-‐"
        and text[start - 2].isalpha()
        and text[start:end].islower()
    ):
        return True  # second half of a compound: "units-fibroblast", "anti-platelet"
    return zh_bad_context(text, start, end)


_PRODUCT_HEAD = re.compile(r"(?i)concentrates?|lysates?")


def _scale_candidates(text: str, lex_scales: list[_Cand], lex: Lexicon) -> list[_Cand]:
    out: list[_Cand] = []
    titled = any(h in text for h in _TITLE_HEADS)  # a cheap test before the regex
    for m in _TITLE_SCALE.finditer(text) if titled else ():
        words = m.group(1)
        stripped = _SCALE_STRIP.sub("", words)
        s = m.start(1) + (len(words) - len(stripped))
        if not stripped or s >= m.start(2):
            continue
        name_words = stripped.split()
        if m.group(2) == "Score" and (len(name_words) < 2 or all(w.isupper() for w in name_words)):
            continue
        if all(w.isupper() and len(w) > 1 for w in name_words):
            continue  # "NRS Index": an acronym plus a generic word
        # "Visual Analogue Scale and Oswestry Disability Index": two coordinated names
        for cut in _INTERNAL_HEAD.finditer(text, s, m.start(2)):
            out.append(_Cand(s, cut.end(1), "SCALE", SCALE_SOURCE))
            s = cut.end()
        out.append(_Cand(s, m.end(), "SCALE", SCALE_SOURCE))
    for m in _ZH_USED_INSTRUMENT.finditer(text):  # 采用家庭关怀度量表评估
        name = m.group("name")
        if len(_HAN_CHARS.findall(name)) < 3 or _ZH_GENERIC_INSTRUMENT.search(name):
            continue
        s = m.start("name") + len(_ZH_VERSION.match(name)[0])  # type: ignore[index]
        if text[s : m.start("name") + len(name)] in _ZH_GENERIC_CONSTRUCTS:
            continue  # 生活质量量表: a construct, not a named instrument
        out.append(_Cand(s, _zh_scale_end(text, s, m.end()), "SCALE", SCALE_SOURCE))
    nouns = any(w in text for w in _INSTRUMENT_NOUNS)
    for m in _ACRONYM_INSTRUMENT.finditer(text) if nouns else ():  # "the PSQ questionnaire"
        if m.group(1) not in _NOT_INSTRUMENT_ACRONYMS:
            out.append(_Cand(m.start(1), m.end(1), "SCALE", SCALE_SOURCE))
    for m in _BROKEN_ACRONYM.finditer(text):  # "SF (Short Form) -36"
        if schwartz_hearst_start(m.group(1), m.group(2)) == 0:
            out.append(_Cand(m.start(), m.end(), "SCALE", SCALE_SOURCE))
    out.extend(_spaced_version(text, c, lex) for c in lex_scales)
    return [_scale_edges(text, c) for c in out]


_SPACED_NUMBER = re.compile(r"[ \t](\d{1,2})(?![0-9A-Za-z.,:/%])")


def _spaced_version(text: str, c: _Cand, lex: Lexicon) -> _Cand:
    """A version or item number written apart after an acronym stays in (guidelines,
    December: ``HAMD 24``) when the lexicon knows that version (``HAMD-24``); a number
    the lexicon does not know may be a score (``VAS 5``)."""
    m = _SPACED_NUMBER.match(text, c.end)
    if m is None:
        return c
    acronym = text[c.start : c.end]
    hit = lex.lookup(f"{acronym}-{m.group(1)}") or lex.lookup(f"{acronym}{m.group(1)}")
    if hit is None or hit[0] != "SCALE":
        return c
    return _Cand(c.start, m.end(), c.label, c.source, {"id": hit[1]})


# an ambiguous scale acronym (scales_ambiguous.tsv) counts without a definition where the
# context names an instrument: a score/scale word after it ("SDS score", "SAS 评分",
# "SDS标准分"), or a list it shares with a scale ("SSRS、SDS和SAS")
_SCALE_CONTEXT = re.compile(
    r"[ \t]?(?:(?:total|standard|mean|summary)[ \t]+)?"
    r"(?:(?i:(?:scores?|scales?|subscales?|questionnaires?|inventory)(?![A-Za-z]))"
    r"|评分|評分|量表|总分|總分|得分|标准分|標準分|积分|積分|分值|问卷|問卷)"
)
_LIST_SEP = re.compile(
    r"\s*[,，、/;；]\s*(?:(?:and|or)\s+)?|\s+(?:and|or)\s+|\s*(?:和|及|与|與|或)\s*"
)


def _scales_in_context(
    text: str, ambiguous: list[LexiconMatch], scales: list[_Cand]
) -> list[_Cand]:
    """The ambiguous scale acronyms (``Lexicon.scan_all``) that the context shows to be
    instruments (see above)."""
    if not ambiguous:
        return []
    out: list[_Cand] = []
    by_start = {a.start: a for a in ambiguous}
    todo: list[tuple[int, int]] = []
    for a in ambiguous:
        if _SCALE_CONTEXT.match(text, a.end):
            todo.append((a.start, a.end))
    todo += [(c.start, c.end) for c in scales]
    seen = set(todo)
    found = [t for t in todo if t[0] in by_start]
    while todo:
        start, end = todo.pop()
        sep = _LIST_SEP.match(text, end)
        nexts: list[LexiconMatch | None] = [by_start.get(sep.end())] if sep else []
        nexts += [
            a
            for a in ambiguous
            if start - 24 <= a.end < start
            and (g := _LIST_SEP.match(text, a.end))
            and g.end() == start
        ]
        for n in nexts:
            if n is not None and (n.start, n.end) not in seen:
                seen.add((n.start, n.end))
                todo.append((n.start, n.end))
                found.append((n.start, n.end))
    for s, e in found:
        cid = by_start[s].concept_id
        out.append(_Cand(s, e, "SCALE", LEXICON_SOURCE, {"id": cid} if cid else None))
    return out


_PAIN_BEFORE = re.compile(r"(?i)(?<![A-Za-z])pain[ \t]+$")
# a Chinese instrument named after a verb of use: 采用/使用/应用… + name + 量表/问卷 (the
# name holds no punctuation; an unnamed or self-made questionnaire is generic: Not SCALE)
_ZH_USED_INSTRUMENT = re.compile(
    r"(?:采用|採用|使用|应用|應用|运用|運用|选用|選用|利用|借助|通过|通過)"
    r"(?P<name>[\u4e00-\u9fffA-Za-z0-9\-]{2,16}?)(?:量表|问卷|問卷)"
)
_ZH_GENERIC_INSTRUMENT = re.compile(
    r"自制|自編|自编|自行|自拟|自擬|调查|調查|相关|相關|统一|統一|有关|有關|一般|问卷|問卷|量表|专门|專門"
    r"|^(?:该|該|此|本|上述|同一|相同|标准化|標準化)"
)
_ZH_VERSION = re.compile(
    r"(?:简体中文版|簡體中文版|中文版|改良版|改良|修订版|修訂版|简化版|簡化版)?"
)
_HAN_CHARS = re.compile(r"[\u4e00-\u9fff]")
# an acronym followed by an instrument noun names the instrument, the noun stays outside
# (guidelines: "ODI scores" -> ODI): "the PSQ questionnaire", "KMS量表"
_ACRONYM_INSTRUMENT = re.compile(
    r"(?<![A-Za-z0-9\-])([A-Z][A-Z0-9]*[A-Z][A-Z0-9]*(?:-[A-Z0-9]{1,4})?)"
    r"(?:[ \t](?:scales?|questionnaires?|inventory|checklist)(?![A-Za-z])"  # lower case: a
    # Title Case noun may belong to the name ("ABC Scale"), left to the model
    r"|[ \t]?(?:量表|问卷|問卷))"
)
_INSTRUMENT_NOUNS = ("scale", "questionnaire", "inventory", "checklist", "量表", "问卷", "問卷")
#: organisations, languages and generic words that come before "questionnaire"
_NOT_INSTRUMENT_ACRONYMS = frozenset(
    "WHO NIH CDC FDA EORTC NCI NCCN USA US UK EU CHINA ONLINE WEB QOL HRQOL HRQL MRI CT "
    "ICU ED OR IT GP DNA RNA HIV AIDS COVID SARS COPD IBS IBD PTSD ADHD ASD MS AD PD".split()
)
_ZH_GENERIC_CONSTRUCTS = frozenset(
    _both_scripts(
        "生活质量 生存质量 生命质量 满意度 护理满意度 患者满意度 睡眠质量 疼痛程度 "
        "心理状态 焦虑抑郁 抑郁焦虑 自我效能 依从性 健康状况 营养状况 认知功能 心理健康 "
        "健康素养 知识水平 知信行".split()
    )
)


def _scale_edges(text: str, c: _Cand) -> _Cand:
    """``pain``/``疼痛`` before a scale *name* joins it; an acronym takes its version suffix."""
    start, end = c.start, c.end
    surface = text[start:end]
    is_name = surface != surface.upper() or not re.search(r"[A-Za-z]", surface)
    pain = _PAIN_BEFORE.search(text, max(0, start - 6), start)
    if is_name and pain is not None and not surface.lower().startswith("pain"):
        start = pain.start()
    elif is_name and text[max(0, start - 2) : start] == "疼痛" and not surface.startswith("疼痛"):
        start -= 2
    m = _ACRONYM_SUFFIX.match(text, end)
    last = surface.split()[-1] if surface.split() else ""
    if (
        m is not None
        and re.fullmatch(r"[A-Z][A-Za-z0-9\-]*", last)
        and sum(map(str.isupper, last)) > 1
    ):
        end = m.end()
    return _Cand(start, end, c.label, c.source, c.norm)


def _join_slash(text: str, cands: list[_Cand]) -> list[_Cand]:
    """``KOOS/HOOS``: two scale names joined by a slash stay one span."""
    scales = sorted((c for c in cands if c.label == "SCALE"), key=lambda c: c.start)
    out = [c for c in cands if c.label != "SCALE"]
    i = 0
    while i < len(scales):
        cur = scales[i]
        while i + 1 < len(scales) and text[cur.end : scales[i + 1].start] == "/":
            nxt = scales[i + 1]
            cur = _Cand(cur.start, nxt.end, "SCALE", cur.source, cur.norm)
            i += 1
        out.append(cur)
        i += 1
    return out


def _label_of_long_form(lf: str) -> str | None:
    words = re.findall(r"[A-Za-z]+", lf.lower())
    if words:
        last = words[-1]
        if last in _SCALE_HEADS:
            return "SCALE"
        if re.fullmatch(r"cells?|[a-z]+(?:cytes?|blasts?|phages?|phils?)|platelets?", last):
            return "CELL_TYPE"
        return None
    if _ZH_SCALE_END.search(lf):
        return "SCALE"
    if lf.endswith(("细胞", "細胞")):
        return "CELL_TYPE"
    return None


def _select(cands: Iterable[_Cand]) -> list[_Cand]:
    """Longest first, then DOSE > CELL_TYPE > SCALE, then leftmost, then the candidate that
    carries a normalised value (a lexicon id: the grammar may rebuild the same span);
    sorted by start."""
    ordered = sorted(
        cands, key=lambda c: (c.start - c.end, _PRIORITY[c.label], c.start, c.norm is None)
    )
    if not ordered:
        return []
    occupied = bytearray(max(c.end for c in ordered))
    taken: list[_Cand] = []
    for c in ordered:
        if c.end <= c.start or occupied.find(1, c.start, c.end) != -1:
            continue
        occupied[c.start : c.end] = b"\x01" * (c.end - c.start)
        taken.append(c)
    taken.sort(key=lambda c: (c.start, c.end))
    return taken


def _trim(text: str, c: _Cand) -> _Cand | None:
    s, e = c.start, c.end
    while s < e and (text[s].isspace() or text[s] in ",;:.，、；：(（"):
        s += 1
    while e > s and (text[e - 1].isspace() or text[e - 1] in ",;:.，、；：)）"):
        e -= 1
    if e <= s:
        return None
    return _Cand(s, e, c.label, c.source, c.norm)


_COORD_GAP = re.compile(r"[)）]\s*(?:[,;，、；]\s*)?(?:(?:and|or|as well as|和|及|与|以及)\s*)?$")


def _label_coordinated(
    text: str, defs: list[Any], labels: list[str | None], usable: list[bool]
) -> None:
    """ "A (a), B (b), and C (c)": an unlabelled definition coordinated with labelled
    neighbours of one label takes that label (same kind of thing in one enumeration)."""
    changed = True
    while changed:
        changed = False
        for i, d in enumerate(defs):
            if labels[i] is not None or not usable[i]:
                continue
            near: set[str] = set()
            for j in (i - 1, i + 1):
                if not 0 <= j < len(defs) or labels[j] is None:
                    continue
                a, b = (defs[j], d) if j < i else (d, defs[j])
                gap = text[a.sf_end : b.lf_start]
                if len(gap) <= 16 and _COORD_GAP.search(gap):
                    near.add(labels[j])  # type: ignore[arg-type]
            if len(near) == 1:
                labels[i] = near.pop()
                changed = True


_ZH_DOUBLE_HEAD = re.compile(
    "(?:" + "|".join(_both_scripts("评估 评分 评定 测评 指数 问卷".split())) + ")(?:量表)$"
)


def _zh_scale_end(text: str, start: int, end: int) -> int:
    """A Chinese instrument name that already ends in its own head word keeps 量表 outside
    (系统性临床结果和日常评估量表: "… Evaluation"; the guidelines keep 量表 only where it
    translates "Scale")."""
    if _ZH_DOUBLE_HEAD.search(text, start, end):
        return end - 2
    return end


_DONOR_SF = re.compile(r"^(?:[Aa]llo|ALLO|[Aa]uto|AUTO|[Xx]eno|XENO)-?(?=[A-Za-z])")
_DONOR_PROCESSING = re.compile(
    r"(?i)autologous|allogeneic|allogenic|xenogeneic|syngeneic|expanded|culture-expanded"
    r"|cultured|cryopreserved|fresh|freshly|purified|isolated|and|the"
)


def _only_modifiers_between(text: str, a: int, b: int) -> bool:
    """``text[a:b]`` holds only donor, processing and cell-modifier words: the long form of
    "expanded adipose-derived allogeneic adult stem cells (eASCs)" names the cells."""
    words = re.findall(r"[A-Za-z0-9'’+]+(?:-[A-Za-z0-9'’+]+)*", text[a:b])
    return bool(words) and all(_DONOR_PROCESSING.fullmatch(w) or _is_en_modifier(w) for w in words)


def _apply_abbreviations(text: str, lex: Lexicon, cands: list[_Cand]) -> list[_Cand]:
    defs = find_definitions(text)
    if not defs:
        return cands
    chosen = _select(cands)
    by_end: dict[int, _Cand] = {c.end: c for c in chosen}
    by_span: dict[tuple[int, int], _Cand] = {(c.start, c.end): c for c in chosen}
    sf_labels: dict[str, str] = {}
    extra: list[_Cand] = []
    labels: list[str | None] = []
    usable: list[bool] = []
    blocked: set[str] = set()  # short forms of a never-tagged long form, in this document
    for d in defs:
        sf = text[d.sf_start : d.sf_end]
        lf_text = text[d.lf_start : d.lf_end]
        lf_stopped = fold_name(lf_text) in _NEVER or lex.is_stopped(lf_text)
        ok = not (fold_name(sf) in _NEVER or lex.is_stopped(sf) or lf_stopped)
        if lf_stopped and _initials(lf_text) == sf.lower():
            blocked.add(sf)  # "oxygen desaturation index (ODI)": not the Oswestry ODI here
        usable.append(ok)
        ent = by_end.get(d.lf_end)
        sf_ent = by_span.get((d.sf_start, d.sf_end))
        label = None
        if not ok:
            pass
        elif ent is not None and ent.label != "DOSE" and ent.start >= d.lf_start - 60:
            # the entity must be the whole long form: in "nuclear factor of activated T cells
            # (NFAT)" the short form names a protein, not the cells at its end
            covers = (
                d.script == "cjk"
                or ent.start <= d.lf_start + 1
                or _only_modifiers_between(text, d.lf_start, ent.start)
            )
            hit = lex.lookup_defined(sf)
            label = ent.label if covers else (hit[0] if hit else None)
            if (
                label == "CELL_TYPE"
                and any(c.isdigit() for c in sf)
                and _LINE_LIST_HEAD.search(text, ent.start, ent.end)
            ):
                label = None  # "人骨肉瘤细胞系(Saos-2，MG-63)": the lines' codes, no name
        elif sf_ent is not None and sf_ent.label != "DOSE":
            label = sf_ent.label
        else:
            # the long form decides: an ambiguous short form ("TAM") is a cell type only
            # when its definition names one ("tamoxifen (TAM)" does not)
            hit = lex.lookup_defined(lf_text)
            label = hit[0] if hit else _label_of_long_form(lf_text)
        labels.append(label)
    _label_coordinated(text, defs, labels, usable)
    sf_norms: dict[str, dict[str, Any] | None] = {}
    for d, label in zip(defs, labels, strict=True):
        if label is None:
            continue
        sf = text[d.sf_start : d.sf_end]
        sf_labels.setdefault(sf, label)
        ent = by_end.get(d.lf_end)
        if ent is not None and ent.label == label and ent.norm and sf not in sf_norms:
            sf_norms[sf] = dict(ent.norm)  # the concept the document itself spelled out
        if ent is None or ent.label != label:
            hit = lex.lookup_defined(text[d.lf_start : d.lf_end])
            lf_norm = {"id": hit[1]} if hit and hit[0] == label else None
            lf_end = _zh_scale_end(text, d.lf_start, d.lf_end) if label == "SCALE" else d.lf_end
            extra.append(_Cand(d.lf_start, lf_end, label, ABBREV_SOURCE, lf_norm))
            if lf_norm and sf not in sf_norms:
                sf_norms[sf] = lf_norm
    cores = {sf: _DONOR_SF.sub("", sf) for sf in sf_labels}
    donor = {
        sf: core
        for sf, core in cores.items()
        if core != sf and len(core) >= 2 and sum(c.isupper() for c in core) >= 2
    }
    occurrences = short_form_occurrences_many(text, [*sf_labels, *donor.values()])
    for sf, label in sorted(sf_labels.items()):
        core = donor.get(sf)
        if core is not None:
            # "(ALLO-ASC)": the short form names the cells, the donor prefix stays outside
            # (guidelines: Allo-hMSCs -> hMSCs), so label the core wherever it occurs
            cut = len(sf) - len(core)
            for s, e in occurrences[core]:
                extra.append(_Cand(s, e, label, ABBREV_SOURCE, sf_norms.get(sf)))
            for s, e in occurrences[sf]:
                extra.append(_Cand(s + cut, e, label, ABBREV_SOURCE, sf_norms.get(sf)))
            continue
        norm = sf_norms.get(sf)
        if norm is None:
            hit = lex.lookup_defined(sf)
            norm = {"id": hit[1]} if hit and hit[0] == label else None
        for s, e in occurrences[sf]:
            extra.append(_Cand(s, e, label, ABBREV_SOURCE, norm))
    fixed = [_scale_edges(text, c) if c.label == "SCALE" else c for c in extra]
    if blocked:
        cands = [c for c in cands if text[c.start : c.end] not in blocked]
    return fixed + cands  # on equal spans the definition-based reading wins


def _initials(words: str) -> str:
    """First letters of the words (``oxygen desaturation index`` -> ``odi``)."""
    return "".join(w[0] for w in re.findall(r"[A-Za-z]+", words)).lower()


_LINE_LIST_HEAD = re.compile(r"(?:细胞系|細胞系|细胞株|細胞株|cell lines?)$", re.I)


_INSTRUMENT_HEADS = frozenset(
    (
        "scale scales score scores index questionnaire questionnaires inventory survey test "
        "tool profile measure checklist evaluation examination instrument subscale battery "
        "assessment schedule form rating system classification criteria grade version"
    ).split()
)


def _generic_use(surface: str, lex: Lexicon) -> bool:
    """A Title Case instrument name written in lower case without an instrument word at its
    end is a generic phrase ("for assessment of quality of life"; guidelines: Not SCALE)."""
    if not surface.islower() or not re.search(r"[a-z]", surface):
        return False
    term = lex.name_terms.get(fold_name(surface), "")
    if not any(c.isupper() for c in term):
        return False
    last = re.findall(r"[a-z]+", surface)[-1]
    return last not in _INSTRUMENT_HEADS


def _inside_stop(c: _Cand, stops: list[tuple[int, int]], ends: list[int]) -> bool:
    """A candidate inside a stoplist term, or crossing its edge (containing one is fine:
    ``bone marrow MSCs`` contains the stop term ``bone marrow``).

    ``stops`` are non-overlapping and sorted (so are their ``ends``): only the terms from the
    first one ending after ``c.start`` are looked at, which keeps long documents linear.
    """
    for k in range(bisect_right(ends, c.start), len(stops)):
        s, e = stops[k]
        if s >= c.end:
            break
        if not (c.start <= s and e <= c.end):
            return True
    return False


def annotate_text(text: str, *, lexicon: Lexicon | None = None) -> tuple[Span, ...]:
    """Rule-based spans for one text: sorted, non-overlapping, ``text[s:e]`` trimmed.

    EXAMPLE:
        >>> [(s.label, "87 million MSCs"[s.start:s.end]) for s in annotate_text("87 million MSCs")]
        [('DOSE', '87 million'), ('CELL_TYPE', 'MSCs')]
    """
    lex = lexicon if lexicon is not None else load_lexicon()
    lex_cells: list[_Cand] = []
    lex_scales: list[_Cand] = []
    matches, stops, ambiguous = lex.scan_all(text)
    for m in matches:
        if fold_name(text[m.start : m.end]) in _NEVER:
            continue
        if m.label == "SCALE" and m.kind == "name" and _generic_use(text[m.start : m.end], lex):
            continue
        cand = _Cand(m.start, m.end, m.label, LEXICON_SOURCE, {"id": m.concept_id})
        (lex_cells if m.label == "CELL_TYPE" else lex_scales).append(cand)
    cands = _cell_candidates(text, lex_cells, lex)
    scales = _scale_candidates(text, lex_scales, lex)
    in_context = _scales_in_context(text, ambiguous, scales)
    cands += scales + [_scale_edges(text, c) for c in in_context]
    cands = _apply_abbreviations(text, lex, cands)
    cands = _join_slash(text, cands)
    trimmed = [t for c in cands if (t := _trim(text, c)) is not None]
    trimmed = [
        c
        for c in trimmed
        if fold_name(text[c.start : c.end]) not in _NEVER
        and not lex.is_stopped(text[c.start : c.end])
    ]
    if stops:
        stops = sorted(stops)
        ends = [e for _, e in stops]
        trimmed = [c for c in trimmed if not _inside_stop(c, stops, ends)]
    cells = _select(trimmed)
    cell_starts = {c.start for c in cells if c.label == "CELL_TYPE"}
    doses = [
        _Cand(d.start, d.end, "DOSE", DOSE_SOURCE, d.norm)
        for d in find_doses(text, cell_starts=cell_starts)
    ]
    final = _select(doses + trimmed)
    return tuple(
        Span(c.start, c.end, c.label, source=c.source, score=1.0, norm=c.norm) for c in final
    )
