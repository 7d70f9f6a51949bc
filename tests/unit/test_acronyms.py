"""Cell acronym variants, product designations and capital codes (annotkit.annotate.acronyms)."""

from __future__ import annotations

import pytest

from annotkit.annotate import preannotate
from annotkit.annotate.acronyms import (
    acronym_variants,
    caps_code_is_modifier,
    product_designation,
)
from annotkit.doc import Document

BASES = frozenset({"MSC", "ADSC", "HSC"})


def _cells(text: str) -> list[str]:
    doc = preannotate(Document("a", text), project=False)
    return [doc.text_of(s) for s in doc.spans if s.label == "CELL_TYPE"]


def test_acronyms_variants_keep_species_and_tissue_prefixes() -> None:
    text = "hMSCs, bmMSCs, hAdMSCs, hUC-MSC's, PL-MSCs and rADSCs; MSCs; SMSC; DNA"
    got = [text[s:e] for s, e in acronym_variants(text, BASES)]
    assert got == ["hMSCs", "bmMSCs", "hAdMSCs", "hUC-MSC's", "PL-MSCs", "rADSCs", "SMSC"]


def test_acronyms_donor_prefix_is_cut() -> None:
    text = "Allo-hMSCs and autoMSCs and XENO-HSCs"
    got = [text[s:e] for s, e in acronym_variants(text, BASES)]
    assert got == ["hMSCs", "MSCs", "HSCs"]


def test_acronyms_unknown_prefixes_are_not_variants() -> None:
    assert list(acronym_variants("CCT-MSC, Exo-MSCs, abcdMSC", BASES)) == []


@pytest.mark.parametrize(
    ("text", "cells"),
    [
        ("patients received bmMSCs or placebo", ["bmMSCs"]),
        ("intravenous hAdMSCs were safe", ["hAdMSCs"]),
        ("Allo-hMSCs were infused", ["hMSCs"]),
        ("ALLO-MSC were infused", ["MSC"]),
        # a product code around a cell acronym: a product designation, not a cell type
        ("XYZ-BMMSC will be infused", []),
        ("TRIAL MSC/IBD is a product", []),
        ("MSC/HSC co-transplantation", ["MSC", "HSC"]),
        # a disease or trial acronym before a head is no modifier; cell-naming codes are
        ("the KOA stem cell injection", ["stem cell"]),
        ("CAR T cells expanded", ["CAR T cells"]),
        ("GMP MSCs", ["MSCs"]),
        # a passage number or a labelling step is processing
        ("P4 MSCs were thawed", ["MSCs"]),
        ("DiI-labeled MSCs", ["MSCs"]),
    ],
)
def test_acronyms_through_the_engine(text: str, cells: list[str]) -> None:
    assert _cells(text) == cells


def test_acronyms_helpers() -> None:
    assert product_designation("ABC-MSC x", 4, 7, BASES)
    assert not product_designation("ALLO-MSC x", 5, 8, BASES)
    assert product_designation("MSC/IBD", 0, 3, BASES)
    assert not product_designation("MSC/HSCs", 0, 3, BASES)
    assert caps_code_is_modifier("CAR", BASES) and caps_code_is_modifier("CD34+", BASES)
    assert caps_code_is_modifier("MSC", BASES) and not caps_code_is_modifier("KOA", BASES)
