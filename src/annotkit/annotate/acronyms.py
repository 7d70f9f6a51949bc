"""Cell acronyms with a prefix, and product designations built on a cell acronym.

Part of rule set ``cell.v1`` (:mod:`annotkit.annotate.rules` calls it).

* **Variants** (:func:`acronym_variants`): a known cell acronym (``MSC``, ``ADSC``, ``BMSC``
  … from the lexicon) with a prefix glued to it names the cells too: species and tissue
  letters (``hMSCs``, ``bmMSCs``, ``hAdMSCs``, ``hUC-MSCs``, ``PL-MSCs``). Donor prefixes are
  not part of the span (guidelines: ``Allo-hMSCs`` -> ``hMSCs``; ``autoMSCs`` -> ``MSCs``).
* **Product designations** (:func:`product_designation`): a cell acronym glued to a product
  code is a product name, not a cell type: ``CCT-BMMSC`` (a code of three or more capitals
  and a hyphen before it), ``MSC/IBD`` (a slash and a code that is no cell acronym after it).
* **Codes as modifiers** (:func:`caps_code_is_modifier`): an all-capital word of three or more
  letters before a cell head (``KOA stem cell therapy``, ``EPIC MSC``) is a modifier only when
  it is itself a cell acronym or a known cell-naming code (``CAR``, ``LAK``, ``GFP`` …);
  disease and product acronyms are not.

EXAMPLE:
    >>> bases = frozenset({"MSC", "ASC"})
    >>> text = "Allo-hMSCs, bmMSCs and hAdMSCs"
    >>> [text[s:e] for s, e in acronym_variants(text, bases)]
    ['hMSCs', 'bmMSCs', 'hAdMSCs']
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator

__all__ = ["KNOWN_CELL_CODES", "acronym_variants", "caps_code_is_modifier", "product_designation"]

#: all-capital codes that name cells when put before a cell head (not cell acronyms
#: themselves): chimeric antigen receptor, lymphokine-activated killer, reporter proteins …
KNOWN_CELL_CODES = frozenset(
    "CAR LAK GFP EGFP YFP RFP TCR BCR MHC HLA SSEA STRO ALDH NKT TIL CIK ILC MDSC LSK SLAM".split()
    # tumour types naming tumour cells and lines ("NSCLC A549 cells", "HCC cells")
    + "NSCLC SCLC HCC CRC AML CML CLL ESCC OSCC HNSCC TNBC PDAC GBM RCC ccRCC PTC DLBCL".split()
)
# the end of a token that ends in a capital (an acronym), with its plural: the only
# candidates; the token's start is found by walking left
_TOKEN_END = re.compile(r"[A-Z](?:s|'s|’s)?(?![A-Za-z0-9\-+])")
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-")
_DONOR = re.compile(r"(?:[Aa]llo|ALLO|[Aa]uto|AUTO|[Xx]eno|XENO)-?(?=[A-Za-z])")
# species / tissue letters before the acronym: h, hu, bm, e, Ad, hAd, hUC-, BM-, PL-
_PREFIX = re.compile(r"(?:[a-z]{1,3}|[a-z]{0,2}[A-Z][a-z]|[a-z]{0,2}[A-Z]{1,2})-?")
_CODE_BEFORE = re.compile(r"(?<![A-Za-z0-9\-])([A-Z][A-Z0-9]{2,})-$")
_CODE_AFTER = re.compile(r"/([A-Z][A-Z0-9]+)(?![A-Za-z0-9])")


def acronym_variants(text: str, bases: Collection[str]) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of every prefixed form of a cell acronym in ``bases`` (singular
    forms, e.g. ``MSC``): the prefix stays in the span unless it is a donor prefix."""
    for m in _TOKEN_END.finditer(text):
        end = m.end()
        start = m.start()
        while start > 0 and text[start - 1] in _TOKEN_CHARS and m.end() - start < 24:
            start -= 1
        while start < m.start() and not text[start].isalpha():
            start += 1  # a token starts with a letter
        if start > 0 and text[start - 1] in "+" or end - start < 4:
            continue  # a prefix and a base of three or more letters
        tok = text[start:end]
        core = tok[:-2] if tok.endswith(("'s", "’s")) else tok
        if core.endswith("s") and len(core) > 2 and core[-2].isupper():
            core = core[:-1]
        donor = _DONOR.match(core)
        skip = donor.end() if donor else 0
        rest = core[skip:]
        for k in range(min(7, len(rest) - 1)):
            base = rest[k:]
            if base not in bases:
                continue
            if (k == 0 and not skip) or (k and not _PREFIX.fullmatch(rest[:k])):
                break  # the bare acronym (the lexicon has it) or an unknown prefix
            yield start + skip, end
            break


def product_designation(text: str, start: int, end: int, cell_abbrs: Collection[str]) -> bool:
    """A cell acronym ``text[start:end]`` used inside a product code (``CCT-BMMSC``,
    ``EPIC MSC/IBD``)."""
    before = _CODE_BEFORE.search(text, max(0, start - 12), start)
    if before is not None and before.group(1) not in ("ALLO", "AUTO", "XENO"):
        return True
    after = _CODE_AFTER.match(text, end)
    return after is not None and after.group(1).rstrip("s") not in cell_abbrs


def caps_code_is_modifier(tok: str, cell_abbrs: Collection[str]) -> bool:
    """Whether an all-capital word may modify a cell head (``CAR T cells``; not ``KOA``)."""
    if not (len(tok) >= 3 and tok.isalpha() and tok.isupper()):
        return True  # not an all-capital word: the grammar's other rules decide
    return tok in KNOWN_CELL_CODES or tok in cell_abbrs or tok.rstrip("s") in cell_abbrs
