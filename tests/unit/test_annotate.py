"""annotkit.annotate: API, lexicon matcher, abbreviations, projection, merge, seed invariants."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotkit.annotate import annotate_documents, preannotate
from annotkit.annotate.abbrev import find_definitions, schwartz_hearst_start
from annotkit.annotate.lexicon import Lexicon, fold_abbr, fold_name, load_lexicon
from annotkit.annotate.merge import merge_spans
from annotkit.annotate.project import could_project, project_spans
from annotkit.doc import Document, PassagePair, SentencePair, Span, check_spans
from annotkit.errors import ConfigError, InputError
from annotkit.io import read_documents

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "lexicon"


@pytest.fixture(scope="module")
def lex() -> Lexicon:
    return load_lexicon([DATA / "mini.tsv"], stoplist=DATA / "stoplist.tsv")


@pytest.fixture(scope="module")
def seeds() -> list[Document]:
    return list(read_documents([str(ROOT / "seeds")]))


def surfaces(doc: Document) -> list[tuple[str, str]]:
    return [(doc.text_of(s), s.label) for s in doc.spans]


# ----------------------------------------------------------------------------- lexicon
def test_annotate_fold_is_length_preserving() -> None:
    for text in ["Bone Marrow-Derived", "İstanbul – x", "骨髓 MSCs\u00a0x", "a\u2013b\u3000c"]:
        assert len(fold_name(text)) == len(text)
        assert len(fold_abbr(text)) == len(text)
    assert fold_name("Bone Marrow‐Derived") == "bone marrow derived"
    assert fold_abbr("NRS–11") == "NRS-11"


def test_annotate_lexicon_names_fold_abbrs_keep_case(lex: Lexicon) -> None:
    text = "Bone marrow derived mesenchymal stem cells, bm-mscs, BM-MSCs and nrs"
    got = [(text[m.start : m.end], m.concept_id) for m in lex.match(text)]
    assert got == [
        ("Bone marrow derived mesenchymal stem cells", "cell:bm-msc"),
        ("BM-MSCs", "cell:bm-msc"),
    ]


def test_annotate_lexicon_token_boundaries_and_longest_match(lex: Lexicon) -> None:
    text = "VASCULAR VAS, NRS-11, 视觉模拟评分和间充质干细胞"
    got = [text[m.start : m.end] for m in lex.match(text)]
    assert got == ["VAS", "NRS-11", "视觉模拟评分", "间充质干细胞"]


def test_annotate_lexicon_singular_plural_variants(lex: Lexicon) -> None:
    text = "one mesenchymal stem cell and a MSC"
    assert [text[m.start : m.end] for m in lex.match(text)] == ["mesenchymal stem cell", "MSC"]


def test_annotate_lexicon_is_cached(lex: Lexicon) -> None:
    assert load_lexicon([DATA / "mini.tsv"], stoplist=DATA / "stoplist.tsv") is lex
    assert lex.lookup("BM-MSCs") == ("CELL_TYPE", "cell:bm-msc")
    assert lex.is_stopped("mri")


def test_annotate_lexicon_bad_row_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("concept_id\tlabel\tlang\tterm\tkind\ncell:x\tCELL_TYPE\ten\n", "utf-8")
    with pytest.raises(InputError, match="line 2"):
        load_lexicon([bad])


def test_annotate_packaged_lexicon_loads() -> None:
    lex = load_lexicon()
    assert lex.lookup("VAS") is not None and lex.lookup("VAS")[0] == "SCALE"  # type: ignore[index]
    assert lex.lookup("MSCs") is not None


# ----------------------------------------------------------------------------- abbreviations
def test_annotate_schwartz_hearst() -> None:
    lf = "allogeneic bone marrow-derived mesenchymal stem cells"
    assert lf[schwartz_hearst_start("BM-MSCs", lf) or 0 :] == (
        "bone marrow-derived mesenchymal stem cells"
    )
    assert schwartz_hearst_start("XYZ", "numeric pain score") is None


def test_annotate_definitions_latin_chinese_bilingual() -> None:
    text = (
        "功能评分指数（FRI）与 Oswestry 功能障碍指数(ODI)；"
        "脂肪来源干细胞（adipose-derived stem cells，ADSCs）"
    )
    got = [
        (text[d.lf_start : d.lf_end], text[d.sf_start : d.sf_end]) for d in find_definitions(text)
    ]
    assert got == [
        ("功能评分指数", "FRI"),
        ("Oswestry 功能障碍指数", "ODI"),
        ("脂肪来源干细胞", "ADSCs"),
        ("adipose-derived stem cells", "ADSCs"),
    ]


def test_annotate_reverse_definition() -> None:
    text = "We injected MSCs (mesenchymal stem cells) twice."
    got = [
        (text[d.lf_start : d.lf_end], text[d.sf_start : d.sf_end]) for d in find_definitions(text)
    ]
    assert got == [("mesenchymal stem cells", "MSCs")]


def test_annotate_abbreviation_propagates_short_form_everywhere(lex: Lexicon) -> None:
    text = "Pain on the foo bar rating index (FBRI) fell. FBRI fell again; 结果FBRI下降。"
    doc = preannotate(Document("a", text), lexicon=lex, project=False)
    assert surfaces(doc) == [
        ("foo bar rating index", "SCALE"),
        ("FBRI", "SCALE"),
        ("FBRI", "SCALE"),
        ("FBRI", "SCALE"),
    ]


def test_annotate_abbreviation_short_form_labels_long_form(lex: Lexicon) -> None:
    text = "Patients completed the Knee Osteo Outcomes Set (KOOS) at baseline."
    doc = preannotate(Document("a", text), lexicon=lex, project=False)
    assert surfaces(doc) == [("Knee Osteo Outcomes Set", "SCALE"), ("KOOS", "SCALE")]


def test_annotate_short_form_of_a_bigger_name_is_not_a_cell(lex: Lexicon) -> None:
    text = "nuclear factor of activated T cells (NFAT) binds DNA; NFAT is a protein."
    doc = preannotate(Document("a", text), lexicon=lex, project=False)
    assert "NFAT" not in [s for s, _ in surfaces(doc)]


def test_annotate_short_form_takes_the_defined_concept() -> None:
    text = "numeric pain score (NPS) fell; NPS rose."
    doc = preannotate(Document("a", text), project=False)
    ids = {(doc.text_of(s), (s.norm or {}).get("id")) for s in doc.spans}
    concept = {i for t, i in ids if t == "numeric pain score"}
    assert {i for t, i in ids if t == "NPS"} == concept


def test_annotate_coordinated_definitions_share_label(lex: Lexicon) -> None:
    text = (
        "We used the Oswestry Disability Index (ODI), Global Foo Health (GFH), "
        "and Global Bar Health (GBH)."
    )
    doc = preannotate(Document("a", text), lexicon=lex, project=False)
    assert [s for s, _ in surfaces(doc)] == [
        "Oswestry Disability Index",
        "ODI",
        "Global Foo Health",
        "GFH",
        "Global Bar Health",
        "GBH",
    ]


def test_annotate_parentheses_never_inside_spans(seeds: list[Document]) -> None:
    for doc in annotate_documents(seeds):
        for s in doc.spans:
            text = doc.text_of(s)
            assert text[0] not in "(（" and text[-1] not in ")）", (doc.id, text)


# ----------------------------------------------------------------------------- API
def test_annotate_preannotate_replaces_spans_and_keeps_document(lex: Lexicon) -> None:
    doc = Document("d", "87 million MSCs", spans=(Span(0, 2, "DOSE"),), meta={"k": "v"})
    out = preannotate(doc, lexicon=lex)
    assert (out.id, out.text, dict(out.meta)) == ("d", doc.text, {"k": "v"})
    assert [(s.label, s.source) for s in out.spans] == [
        ("DOSE", "rule:dose.v1"),
        ("CELL_TYPE", "rule:lexicon.v1"),
    ]
    assert out.spans[1].norm == {"id": "cell:msc"}
    assert out.spans[0].norm == {"value": 8.7e7, "unit": "cells"}


def test_annotate_unknown_engine_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="rules, model, ensemble"):
        preannotate(Document("d", "x"), engine="magic")


class _FixedModel:
    """A stand-in NER model with fixed predictions (the real one needs a trained stanza)."""

    def __init__(self, spans: tuple[Span, ...]) -> None:
        self.spans = spans

    def predict(self, doc: Document) -> tuple[Span, ...]:
        return self.spans


def test_annotate_ensemble_merges_without_overlaps(lex: Lexicon) -> None:
    text = "5 mL of MSCs; the ABC Scale"
    model = _FixedModel(
        (
            Span(0, 12, "CELL_TYPE", "stanza:t", 0.9),  # overlaps the rule DOSE: DOSE wins
            Span(18, 27, "SCALE", "stanza:t", 0.8),  # nothing from the rules here: kept
        )
    )
    doc = preannotate(Document("d", text), engine="ensemble", model=model, lexicon=lex)
    assert [(doc.text_of(s), s.label, s.source) for s in doc.spans] == [
        ("5 mL", "DOSE", "rule:dose.v1"),
        ("MSCs", "CELL_TYPE", "rule:lexicon.v1"),
        ("ABC Scale", "SCALE", "stanza:t"),
    ]
    only = preannotate(Document("d", text), engine="model", model=model)
    assert [s.source for s in only.spans] == ["stanza:t", "stanza:t"]


def test_annotate_ensemble_drops_shapeless_and_stoplisted_model_spans() -> None:
    text = "治疗用 60 份; MRI showed natural killer cells."
    model = _FixedModel(
        (
            Span(0, 1, "CELL_TYPE", "stanza:t"),  # a one-character fragment
            Span(4, 6, "CELL_TYPE", "stanza:t"),  # a number is no cell type
            Span(10, 13, "CELL_TYPE", "stanza:t"),  # MRI is stoplisted
            Span(21, 41, "CELL_TYPE", "stanza:t"),  # "natural killer cells": kept
        )
    )
    doc = preannotate(Document("d", text), engine="ensemble", model=model)
    assert ("natural killer cells", "CELL_TYPE") in [(doc.text_of(s), s.label) for s in doc.spans]
    assert not {doc.text_of(s) for s in doc.spans} & {"治", "60", "MRI"}


def test_annotate_ensemble_rules_win_every_overlap(lex: Lexicon) -> None:
    text = "5 mL of MSCs; the ABC Scale"
    # a longer, confident model span over the rules' MSCs must not replace it
    model = _FixedModel((Span(5, 12, "CELL_TYPE", "stanza:t", 0.99),))
    doc = preannotate(Document("d", text), engine="ensemble", model=model, lexicon=lex)
    rules = preannotate(Document("d", text), engine="rules", lexicon=lex)
    assert doc.spans == rules.spans


def test_annotate_merge_precedence() -> None:
    rules = (Span(0, 4, "DOSE", "rule:dose.v1", 1.0), Span(10, 14, "CELL_TYPE", "rule:x", 1.0))
    model = (
        Span(2, 8, "CELL_TYPE", "stanza:t", 0.99),
        Span(6, 14, "CELL_TYPE", "stanza:t", 0.7),
        Span(20, 25, "SCALE", "stanza:t", 0.4),
    )
    got = [(s.start, s.end, s.source) for s in merge_spans(rules, model)]
    assert got == [(0, 4, "rule:dose.v1"), (6, 14, "stanza:t"), (20, 25, "stanza:t")]


# ----------------------------------------------------------------------------- projection
def test_annotate_projection_surface_and_concept(lex: Lexicon) -> None:
    en = "Pain fell on the VAS after MSCs."
    zh = "注射间充质干细胞后视觉模拟评分下降，MSCs 有效。"
    text = f"{en} {zh}"
    off = len(en) + 1
    spans = (
        Span(17, 20, "SCALE", "rule:lexicon.v1", 1.0, {"id": "scale:vas"}),
        Span(27, 31, "CELL_TYPE", "rule:lexicon.v1", 1.0, {"id": "cell:msc"}),
    )
    pair = PassagePair(
        (0, len(en)),
        (off, len(text)),
        "en",
        "zh",
        1.0,
        (SentencePair(((0, len(en)),), ((off, len(text)),)),),
    )
    got = [
        (text[s.start : s.end], s.label, s.source)
        for s in project_spans(text, spans, [pair], lexicon=lex)
    ]
    assert got == [
        ("间充质干细胞", "CELL_TYPE", "projection"),
        ("视觉模拟评分", "SCALE", "projection"),
        ("MSCs", "CELL_TYPE", "projection"),
    ]
    assert could_project(text, spans)
    assert not could_project(en, spans[:1])


def test_annotate_projection_on_seed_004(seeds: list[Document]) -> None:
    align = pytest.importorskip("annotkit.align")
    from annotkit.langid import detect

    doc = detect(next(d for d in seeds if d.id.startswith("004")))
    pairs = align.align_document(doc)
    assert pairs, "seed 004 holds an English passage and its Chinese translation"
    zh_start = pairs[0].tgt[0]
    full = preannotate(doc, project=False)
    english_only = tuple(s for s in full.spans if s.end <= zh_start)
    projected = project_spans(doc.text, english_only, pairs, lexicon=load_lexicon())
    zh = {doc.text_of(s) for s in projected if s.start >= zh_start}
    assert {"MSCs", "NPS", "SANE", "FRI"} <= zh
    assert all(s.source == "projection" for s in projected)


def test_annotate_seed_004_chinese_side_consistent(seeds: list[Document]) -> None:
    doc = preannotate(next(d for d in seeds if d.id.startswith("004")))
    zh_start = doc.text.index("背景")
    zh = [(doc.text_of(s), s.label) for s in doc.spans if s.start >= zh_start]
    for name, label in [
        ("MSCs", "CELL_TYPE"),
        ("NPS", "SCALE"),
        ("SANE", "SCALE"),
        ("FRI", "SCALE"),
    ]:
        assert (name, label) in zh
    assert ("数字疼痛评分", "SCALE") in zh and ("骨髓来源的 MSCs", "CELL_TYPE") in zh


# ----------------------------------------------------------------------------- invariants
def test_annotate_seed_outputs_are_valid_and_deterministic(seeds: list[Document]) -> None:
    first = list(annotate_documents(seeds))
    second = list(annotate_documents(seeds))
    assert [d.spans for d in first] == [d.spans for d in second]
    for doc in first:
        check_spans(doc.text, doc.spans, doc_id=doc.id)
        assert doc.spans, doc.id
        for s in doc.spans:
            surface = doc.text_of(s)
            assert surface and surface == surface.strip(), (doc.id, surface)
            assert s.label in {"CELL_TYPE", "DOSE", "SCALE"}
            assert s.source.startswith(("rule:", "projection"))
        assert pickle.loads(pickle.dumps(doc)) == doc


def test_annotate_documents_is_lazy() -> None:
    def gen() -> object:
        yield Document("a", "5 mL")
        raise AssertionError("read too far")

    it = annotate_documents(gen())  # type: ignore[arg-type]
    assert next(it).spans[0].label == "DOSE"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1×10^6个/kg", [("1×10^6个/kg", "DOSE")]),
        ("3个月后", []),
        ("自體骨髓間充質幹細胞", [("骨髓間充質幹細胞", "CELL_TYPE")]),
        ("1000萬個細胞", [("1000萬個細胞", "DOSE")]),
        ("免疫性血小板減少症", []),
        ("臍帶來源的 MSCs", [("臍帶來源的 MSCs", "CELL_TYPE")]),
        ("每次注射 1×10^7 个 MSCs", [("1×10^7 个", "DOSE"), ("MSCs", "CELL_TYPE")]),
        ("2.5 × 10^7 autologous BM-MSCs", [("2.5 × 10^7", "DOSE"), ("BM-MSCs", "CELL_TYPE")]),
        ("0.5 mg/kg/d", [("0.5 mg/kg/d", "DOSE")]),
        ("87 million people with MSCs", [("MSCs", "CELL_TYPE")]),
        ("bone marrow derived MSCs", [("bone marrow derived MSCs", "CELL_TYPE")]),
        ("derived cells", []),
        ("3个/月", []),
        ("platelet-rich fibrin", []),
        (
            "mesenchymal and hematopoietic stem cells",
            [("mesenchymal and hematopoietic stem cells", "CELL_TYPE")],
        ),
        ("MSCs and T cells", [("MSCs", "CELL_TYPE"), ("T cells", "CELL_TYPE")]),
        (
            "human umbilical cord MSCs (hUC-MSCs)",
            [("human umbilical cord MSCs", "CELL_TYPE"), ("hUC-MSCs", "CELL_TYPE")],
        ),
        ("人脐带间充质干细胞", [("人脐带间充质干细胞", "CELL_TYPE")]),
        ("病人骨髓细胞", [("骨髓细胞", "CELL_TYPE")]),
        ("Lysholm 评分", []),
        ("采用视觉模拟评分法（VAS）评估疼痛", [("视觉模拟评分法", "SCALE"), ("VAS", "SCALE")]),
        ("the Glasgow Coma Scale (GCS) score", [("Glasgow Coma Scale", "SCALE"), ("GCS", "SCALE")]),
    ],
)
def test_annotate_grammar_cases(text: str, expected: list[tuple[str, str]], lex: Lexicon) -> None:
    doc = preannotate(Document("g", text), lexicon=lex, project=False)
    assert surfaces(doc) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a cell name followed by the generic head keeps the head
        ("eosinophil cell counts rose", [("eosinophil cell", "CELL_TYPE")]),
        ("human neutrophil cells", [("human neutrophil cells", "CELL_TYPE")]),
        ("B cell lymphoma", []),
        # slash-coordinated cell names share a following head; without a head they stay apart
        ("lymphocyte/monocyte type cells", [("lymphocyte/monocyte type cells", "CELL_TYPE")]),
        ("macrophage/monocyte ratio", [("macrophage", "CELL_TYPE"), ("monocyte", "CELL_TYPE")]),
        # tissues coordinated before a shared head are not cell modifiers: the span is cut
        (
            "synovial fluid and peripheral blood mononuclear cells",
            [("peripheral blood mononuclear cells", "CELL_TYPE")],
        ),
        ("fetal and adult liver cells", [("fetal and adult liver cells", "CELL_TYPE")]),
        # guideline: parentheses around an acronym are in neither span, so the long form of
        # "natural killer (NK) cells" is `natural killer` and the head cannot join it
        (
            "lymphokine-activated natural killer (NK) cells",
            [("natural killer", "CELL_TYPE"), ("NK", "CELL_TYPE")],
        ),
        # marker phenotypes written without a hyphen, "-bearing"/"-containing" phenotypes
        ("PR positive cells", [("PR positive cells", "CELL_TYPE")]),
        ("the positive cells", []),
        ("IgM-bearing cells", [("IgM-bearing cells", "CELL_TYPE")]),
        ("spleen lymphocytic cells", [("spleen lymphocytic cells", "CELL_TYPE")]),
        # marker combinations and slash-joined markers or modifiers before one head
        ("CD4+CD25+ cells", [("CD4+CD25+ cells", "CELL_TYPE")]),
        ("CD133+/CD45- cells", [("CD133+/CD45- cells", "CELL_TYPE")]),
        ("marrow/blood cells", [("blood cells", "CELL_TYPE")]),
        ("lymph node cells", [("lymph node cells", "CELL_TYPE")]),
        ("node cells", []),
        # a treatment or transient state in a hyphen compound is not a modifier
        ("LPS-stimulated monocytes", [("monocytes", "CELL_TYPE")]),
        ("ConA-activated T cells", [("T cells", "CELL_TYPE")]),
        ("receptor-mediated cell death", []),
        # an ambiguous short form is a cell type only when its definition names one
        ("tamoxifen (TAM) was given; TAM levels fell", []),
        (
            "tumour-associated macrophages (TAM); TAM density",
            [
                ("tumour-associated macrophages", "CELL_TYPE"),
                ("TAM", "CELL_TYPE"),
                ("TAM", "CELL_TYPE"),
            ],
        ),
        # 周细胞 (pericytes) never right after a count of weeks
        ("培养2周细胞数量增加", []),
        ("治疗三周细胞活性下降", []),
        ("血管周细胞", [("血管周细胞", "CELL_TYPE")]),
        ("周细胞与内皮细胞", [("周细胞", "CELL_TYPE"), ("内皮细胞", "CELL_TYPE")]),
    ],
)
def test_annotate_cell_boundaries_with_packaged_lexicon(
    text: str, expected: list[tuple[str, str]]
) -> None:
    doc = preannotate(Document("c", text), project=False)
    assert surfaces(doc) == expected


def test_annotate_given_pairs_are_used_instead_of_aligning(seeds: list[Document]) -> None:
    doc = next(d for d in seeds if d.id.startswith("004"))
    assert preannotate(doc, pairs=()).spans == preannotate(doc, project=False).spans


def test_annotate_tricky_text_offsets(tricky_doc: Document) -> None:
    """Emoji, astral CJK, combining marks and CRLF: offsets stay code points."""
    bare = Document(tricky_doc.id, tricky_doc.text)
    out = preannotate(bare)
    assert [(s.start, s.end, s.label) for s in out.spans] == [
        (s.start, s.end, s.label) for s in tricky_doc.spans
    ]


_FRAGMENTS = [
    "5 mL",
    "87 million",
    "MSCs",
    "bone marrow-derived",
    "cells",
    "(",
    ")",
    "（",
    "）",
    "VAS",
    "Visual Analogue Scale",
    "自体",
    "骨髓来源的",
    "间充质干细胞",
    "1×10⁶",
    "个细胞",
    "-",
    ",",
    " ",
    "\n",
    "and",
    "autologous",
    "pain",
    "score",
    "ODI",
    "/kg",
    "mg",
    "1-2",
    "万",
    "x 10^7",
    "platelet-rich plasma",
    "血小板",
    "减少症",
    "😀",
    "𠀀",
    "CD34-positive",
    "L4",
]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=25), st.sampled_from(["", " "]))
def test_annotate_random_texts_keep_invariants(parts: list[str], glue: str) -> None:
    text = glue.join(parts)
    doc = preannotate(Document("h", text or "x"))
    check_spans(doc.text, doc.spans, doc_id="h")
    for s in doc.spans:
        surface = doc.text_of(s)
        assert surface and surface == surface.strip()
        assert surface[0] not in "(（,;" and surface[-1] not in ")）,;"


@pytest.mark.parametrize(
    ("text", "span"),
    [
        (
            "We compared adipose and bone marrow-derived MSCs.",
            "adipose and bone marrow-derived MSCs",
        ),
        (
            "Samples of bronchoalveolar lavage and blood mononuclear cells.",
            "blood mononuclear cells",
        ),
    ],
)
def test_annotate_tissue_coordination_needs_a_shared_derivation(text: str, span: str) -> None:
    doc = preannotate(Document("d", text))
    assert [doc.text_of(s) for s in doc.spans if s.label == "CELL_TYPE"] == [span]


# ----------------------------------------------------------------------------- issue 13
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # an abbreviation in parentheses inside a name belongs to the name
        ("umbilical cord (UC) MSCs were thawed", [("umbilical cord (UC) MSCs", "CELL_TYPE")]),
        ("adipose tissue (at) stem cells", [("adipose tissue (at) stem cells", "CELL_TYPE")]),
        # ... but a cell acronym in parentheses is a definition
        (
            "natural killer (NK) cells",
            [("natural killer", "CELL_TYPE"), ("NK", "CELL_TYPE")],
        ),
        ("MSCs (n=3) were used", [("MSCs", "CELL_TYPE")]),
        # hyphen compounds of tissue and modifier words
        ("adipose-tissue stromal cells", [("adipose-tissue stromal cells", "CELL_TYPE")]),
        ("cord-blood stem cells", [("cord-blood stem cells", "CELL_TYPE")]),
        # the plural names the cells; the singular before "lesion" is a finding
        ("sparing the lower motor neurons", [("lower motor neurons", "CELL_TYPE")]),
        ("an upper motor neuron lesion", []),
    ],
)
def test_annotate_issue13_cell_names(text: str, expected: list[tuple[str, str]]) -> None:
    doc = preannotate(Document("c", text), project=False)
    assert surfaces(doc) == expected


def test_annotate_definition_through_donor_and_processing_words() -> None:
    text = "We gave expanded allogeneic adipose stem cells (eADSCs). The eADSCs were safe."
    doc = preannotate(Document("d", text), project=False)
    assert surfaces(doc) == [
        ("adipose stem cells", "CELL_TYPE"),
        ("eADSCs", "CELL_TYPE"),
        ("eADSCs", "CELL_TYPE"),
    ]
    text = "nuclear factor of activated T cells (NFAT) rose; NFAT fell"
    doc = preannotate(Document("d", text), project=False)
    assert surfaces(doc) == [("T cells", "CELL_TYPE")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # coordinated title-case names are two spans
        (
            "the Visual Analogue Scale and Oswestry Disability Index at 6 months",
            [("Visual Analogue Scale", "SCALE"), ("Oswestry Disability Index", "SCALE")],
        ),
        (
            "the Hamilton Depression Rating Scale or Beck Anxiety Inventory",
            [("Hamilton Depression Rating Scale", "SCALE"), ("Beck Anxiety Inventory", "SCALE")],
        ),
        # a name with "and" inside and no inner head stays one
        (
            "the Knee Injury and Osteoarthritis Outcome Score",
            [("Knee Injury and Osteoarthritis Outcome Score", "SCALE")],
        ),
        # a Title Case name used as a lower-case phrase is generic; its capitalised use is not
        ("a tool for assessment of quality of life in adults", []),
        (
            "the Assessment of Quality of Life was given",
            [("Assessment of Quality of Life", "SCALE")],
        ),
        # the elliptic VAS
        ("scored on a 100 mm visual analogue", [("visual analogue", "SCALE")]),
    ],
)
def test_annotate_issue13_scales(text: str, expected: list[tuple[str, str]]) -> None:
    doc = preannotate(Document("s", text), project=False)
    assert surfaces(doc) == expected


def test_annotate_chinese_reverse_definition_labels_the_short_form() -> None:
    text = "采用FAD-12（家庭功能评估量表）评价，FAD-12 得分越高越好。"
    doc = preannotate(Document("z", text), project=False)
    # 评估量表: the name already ends in its head (评估), 量表 stays outside
    assert surfaces(doc) == [
        ("FAD-12", "SCALE"),
        ("家庭功能评估", "SCALE"),
        ("FAD-12", "SCALE"),
    ]
    defs = find_definitions(text)
    assert [(text[d.sf_start : d.sf_end], text[d.lf_start : d.lf_end]) for d in defs] == [
        ("FAD-12", "家庭功能评估量表")
    ]
    text = "HAMA（汉密尔顿焦虑量表）"
    doc = preannotate(Document("z", text), project=False)
    assert surfaces(doc) == [("HAMA", "SCALE"), ("汉密尔顿焦虑量表", "SCALE")]


def test_annotate_donor_prefix_glued_to_a_name_or_short_form_stays_out() -> None:
    text = (
        "Injection of allogenic-umbilical cord-derived stromal cells (ALLO-UCSC) was safe; "
        "ALLO-UCSC and allogenic UCSCs were compared."
    )
    doc = preannotate(Document("d", text), project=False)
    assert surfaces(doc) == [
        ("umbilical cord-derived stromal cells", "CELL_TYPE"),
        ("UCSC", "CELL_TYPE"),
        ("UCSC", "CELL_TYPE"),
        ("UCSCs", "CELL_TYPE"),
    ]


def test_annotate_grammar_span_equal_to_a_lexicon_term_keeps_its_id() -> None:
    doc = preannotate(Document("z", "患者接受了骨髓间充质干细胞治疗。"))
    (span,) = [s for s in doc.spans if s.label == "CELL_TYPE"]
    assert doc.text_of(span) == "骨髓间充质干细胞"
    assert span.norm == {"id": "cell:bm-msc"} and span.source == "rule:lexicon.v1"


# ----------------------------------------------------------------------------- issue 13, round 2
def test_annotate_lexicon_names_span_whitespace_between_han_characters(lex: Lexicon) -> None:
    # a PDF/OCR line break or stray space inside a Chinese name does not break it
    text = "两组的视觉模拟\n评分与视觉 模拟评分"
    matches = [(text[m.start : m.end], m.label) for m in lex.match(text)]
    assert matches == [("视觉模拟\n评分", "SCALE"), ("视觉 模拟评分", "SCALE")]
    # Latin words keep their spaces: no gap-free match across them
    other = "VAS 评分"
    assert [other[m.start : m.end] for m in lex.match(other)] == ["VAS"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # an ambiguous short form counts where the context names an instrument
        ("the PCS score improved", [("PCS", "SCALE")]),
        ("患者的PCS评分较高", [("PCS", "SCALE")]),
        ("its PCS total score", [("PCS", "SCALE")]),
        # ... or where it shares a list with a scale
        (
            "SF-36, PCS and ODI were recorded",
            [("SF-36", "SCALE"), ("PCS", "SCALE"), ("ODI", "SCALE")],
        ),
        ("采用ODI、PCS和VAS评价", [("ODI", "SCALE"), ("PCS", "SCALE"), ("VAS", "SCALE")]),
        # elsewhere it stays untagged (PCS also names a polycystic syndrome, a vessel …)
        ("PCS was diagnosed in 3 patients", []),
        ("the PCS group and the control group", []),
    ],
)
def test_annotate_ambiguous_scale_short_form_in_context(
    text: str, expected: list[tuple[str, str]]
) -> None:
    doc = preannotate(Document("s", text), project=False)
    assert surfaces(doc) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # tumour and tissue words before a cell-line code narrow which cells
        ("breast carcinoma MCF-7 cells were", [("breast carcinoma MCF-7 cells", "CELL_TYPE")]),
        # codes starting with a digit, or a word and a number
        (
            "3T3-L1 cells and Caco-2 cells",
            [("3T3-L1 cells", "CELL_TYPE"), ("Caco-2 cells", "CELL_TYPE")],
        ),
        # coordinated codes share the head (guidelines: coordinated modifiers, one span)
        ("HepG2 and Huh-7 cells were used", [("HepG2 and Huh-7 cells", "CELL_TYPE")]),
        # a marker glued to T; the maturation state is kept
        ("naïve CD8+T cells", [("naïve CD8+T cells", "CELL_TYPE")]),
        # the head "cell line" / "cell strain" stays whole, with a constructed line's words
        ("a fibroblast cell line was", [("fibroblast cell line", "CELL_TYPE")]),
        (
            "a TP53 knockout HCT116 stable cell line",
            [("TP53 knockout HCT116 stable cell line", "CELL_TYPE")],
        ),
        ("stable cells were", []),
        # a treatment or knockdown before the line is transient
        ("siRNA-based Snail1-silencing A549 cells", [("A549 cells", "CELL_TYPE")]),
        ("in third-generation CAR-T cells", [("third-generation CAR-T cells", "CELL_TYPE")]),
        # the experiment's animals are not the source of the cells
        ("platelets of the ITP mice", [("platelets", "CELL_TYPE")]),
        ("MDS model rats bone marrow cells", [("bone marrow cells", "CELL_TYPE")]),
    ],
)
def test_annotate_round2_cell_names(text: str, expected: list[tuple[str, str]]) -> None:
    doc = preannotate(Document("c", text), project=False)
    assert surfaces(doc) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a verb before a Chinese long form is not part of it
        ("研究利用社区融入问卷(CPQ)评估", [("社区融入问卷", "SCALE"), ("CPQ", "SCALE")]),
        ("面访时包含家庭关怀问卷(FCQ)", [("家庭关怀问卷", "SCALE"), ("FCQ", "SCALE")]),
        # a line break inside the long form
        ("采用家庭关 怀问卷(FCQ)评估", [("家庭关 怀问卷", "SCALE"), ("FCQ", "SCALE")]),
        # an acronym broken by a Title Case expansion; a lower-case one names a trial
        ("the MOS (Medical Outcomes) -12 form", [("MOS (Medical Outcomes) -12", "SCALE")]),
        ("the SEED (sitagliptin efficacy in early diabetes)-2 trial", []),
        # a never-tagged long form keeps its acronym untagged in that document
        ("the oxygen desaturation index (ODI) was 12 and ODI fell", []),
        # Battery and Checklist end title-case instrument names
        ("the Cognitive Screening Battery was given", [("Cognitive Screening Battery", "SCALE")]),
        ("the Trauma Symptom Checklist", [("Trauma Symptom Checklist", "SCALE")]),
    ],
)
def test_annotate_round2_scales(text: str, expected: list[tuple[str, str]]) -> None:
    doc = preannotate(Document("s", text), project=False)
    assert surfaces(doc) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # codes listed after a cell-line name are codes, not its short form
        ("人肝癌细胞系(HepG2，Huh-7)中", [("人肝癌细胞系", "CELL_TYPE")]),
        # ... but an acronym of the line's name is
        (
            "lymphoblastoid cell lines (LCLs) and LCLs",
            [
                ("lymphoblastoid cell lines", "CELL_TYPE"),
                ("LCLs", "CELL_TYPE"),
                ("LCLs", "CELL_TYPE"),
            ],
        ),
        # a route prefix written apart belongs to the route
        ("administration of intra myocardial cells", []),
    ],
)
def test_annotate_round2_cell_definitions(text: str, expected: list[tuple[str, str]]) -> None:
    doc = preannotate(Document("c", text), project=False)
    assert surfaces(doc) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a tumour type's acronym names the line's origin
        ("in NSCLC H1299 cells", [("NSCLC H1299 cells", "CELL_TYPE")]),
        ("the KOA stem cell therapy", [("stem cell", "CELL_TYPE")]),
        # a maturation or primary state narrows a named cell, not a bare "cells"
        ("primary hepatocytes were", [("primary hepatocytes", "CELL_TYPE")]),
        ("primary cells were", []),
        ("mature cells and mature neutrophils", [("mature neutrophils", "CELL_TYPE")]),
    ],
)
def test_annotate_round2_weak_and_tumour_modifiers(
    text: str, expected: list[tuple[str, str]]
) -> None:
    doc = preannotate(Document("c", text), project=False)
    assert surfaces(doc) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a Chinese instrument named after a verb of use
        ("采用社区融入量表评估患者", [("社区融入量表", "SCALE")]),
        ("使用中文版照护负担问卷进行调查", [("照护负担问卷", "SCALE")]),
        # unnamed, self-made or generic ones are not instruments (guidelines: Not SCALE)
        ("采用自制问卷调查", []),
        ("采用统一的调查问卷", []),
        ("采用生活质量量表评估", []),
        ("采用疼痛量表评估", []),
        # an acronym before 量表 keeps the generic word outside (the acronym row matches)
        ("采用SF-36量表评价", [("SF-36", "SCALE")]),
    ],
)
def test_annotate_round2_chinese_instrument_after_a_verb(
    text: str, expected: list[tuple[str, str]]
) -> None:
    doc = preannotate(Document("s", text), project=False)
    assert surfaces(doc) == expected


def test_annotate_lexicon_scan_all_reports_free_ambiguous_scale_forms() -> None:
    lex = load_lexicon()
    text = "PCS and ODI; the ISS"
    matches, _, ambiguous = lex.scan_all(text)
    assert [text[m.start : m.end] for m in matches] == ["ODI"]
    # PCS has two SCALE readings (no concept id); ISS has one in the file (the staging
    # system it also names is on the guideline "Not" list, which drops it later)
    assert [(text[a.start : a.end], a.concept_id) for a in ambiguous] == [
        ("PCS", ""),
        ("ISS", "scale:iss"),
    ]
    assert lex.scan(text) == lex.scan_all(text)[:2]


@pytest.mark.parametrize(
    "text",
    [
        "the Child-Pugh score was B",
        "Child-Pugh class A",
        "Child-Pugh分级为A级",
        "a Child-Pugh classification",
    ],
)
def test_annotate_child_pugh_is_a_scale(text: str) -> None:
    # guidelines (December): severity scores that rate a patient are SCALE, the generic word outside
    doc = preannotate(Document("s", text), project=False)
    assert surfaces(doc) == [("Child-Pugh", "SCALE")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # guidelines (December): a version or item number right after the name stays in
        ("HAMD 24 scores fell", [("HAMD 24", "SCALE")]),
        ("RAPID 3 was recorded", [("RAPID 3", "SCALE")]),
        # ... where the lexicon knows the version; any other number may be a score value
        ("VAS 5 at baseline", [("VAS", "SCALE")]),
        # staging classifications and responder thresholds are not SCALE
        ("Hoehn-Yahr staging 2 to 3", []),
        ("an ACR20 response at week 12", []),
    ],
)
def test_annotate_round2_december_scale_decisions(
    text: str, expected: list[tuple[str, str]]
) -> None:
    doc = preannotate(Document("s", text), project=False)
    assert surfaces(doc) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # guidelines (December): cells named before a product head are still cells ...
        ("injected marrow MSCs concentrate", [("marrow MSCs", "CELL_TYPE")]),
        # ... the product itself is not
        ("a platelet concentrate", []),
        # Greek letters name cells like codes; 胰岛细胞 and β 细胞 are CELL_TYPE
        (
            "pancreatic β cells and γδ T cells",
            [("pancreatic β cells", "CELL_TYPE"), ("γδ T cells", "CELL_TYPE")],
        ),
        ("胰岛细胞和β 细胞", [("胰岛细胞", "CELL_TYPE"), ("β 细胞", "CELL_TYPE")]),
    ],
)
def test_annotate_round2_december_cell_decisions(
    text: str, expected: list[tuple[str, str]]
) -> None:
    doc = preannotate(Document("c", text), project=False)
    assert surfaces(doc) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # an acronym before an instrument noun names the instrument; the noun stays out
        ("assessed with the PSQ questionnaire", [("PSQ", "SCALE")]),
        ("采用KMS量表评估", [("KMS", "SCALE")]),
        # organisations, diseases and molecules before "questionnaire" are no instruments
        ("the WHO questionnaire", []),
        ("a DNA questionnaire", []),
    ],
)
def test_annotate_round2_acronym_before_an_instrument_noun(
    text: str, expected: list[tuple[str, str]]
) -> None:
    doc = preannotate(Document("s", text), project=False)
    assert surfaces(doc) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rat pheochromocytoma PC12 cells", [("rat pheochromocytoma PC12 cells", "CELL_TYPE")]),
        ("mouse melanoma B16F10 cells", [("mouse melanoma B16F10 cells", "CELL_TYPE")]),
        ("stroma cells", []),  # -oma that names no tumour
    ],
)
def test_annotate_round2_tumour_nouns(text: str, expected: list[tuple[str, str]]) -> None:
    doc = preannotate(Document("c", text), project=False)
    assert surfaces(doc) == expected
