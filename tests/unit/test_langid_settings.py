"""Language-ID settings (corpus languages, prior) and the hard cases of issue 13.

Fixtures are written here; nothing is copied from the benchmark data.
"""

from __future__ import annotations

import pytest

from annotkit.doc import Document
from annotkit.errors import ConfigError
from annotkit.langid import CORPUS_LANGS, DEFAULT_PRIOR, detect, detect_language


def _line_langs(doc: Document, line: str) -> set[str]:
    start = doc.text.index(line)
    end = start + len(line)
    return {s.lang or "und" for s in doc.segments if s.start < end and start < s.end}


def test_langid_settings_defaults() -> None:
    assert CORPUS_LANGS == ("en", "zh")
    assert DEFAULT_PRIOR > 0


@pytest.mark.parametrize(
    "text",
    [
        "Cell dose",
        "Sample size",
        "Visual analogue scale",
        "Bone marrow concentrate",
        "Arm B: saline",
        "in vitro",
        "3.2 Statistical analysis",
    ],
)
def test_langid_short_ambiguous_latin_text_is_english(text: str) -> None:
    assert detect_language(text)[0] == "en"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Les résultats sont encourageants.", "fr"),  # function words and accents
        ("Ergebnisse und Diskussion", "de"),
        ("Materiales y métodos", "es"),
        ("I risultati della terapia sono stati buoni.", "it"),
        ("De resultaten van de behandeling waren goed.", "nl"),
    ],
)
def test_langid_other_latin_languages_win_with_clear_evidence(text: str, lang: str) -> None:
    assert detect_language(text)[0] == lang


def test_langid_prior_is_a_setting() -> None:
    text = "Bone marrow concentrate"
    assert detect_language(text, prior=0)[0] != "en"  # n-grams alone: an Italian look
    assert detect_language(text)[0] == "en"
    # another corpus: Italian first, English needs the evidence now
    assert detect_language(text, langs=("it", "zh"))[0] == "it"
    assert detect_language("The patients were treated with stem cells.", langs=("it",))[0] == "en"


def test_langid_han_only_text_follows_the_corpus_languages() -> None:
    assert detect_language("幹細胞治療") == detect_language("幹細胞治療", langs=("en", "zh"))
    assert detect_language("幹細胞治療")[0] == "zh"
    assert detect_language("幹細胞治療", langs=("ja",))[0] == "ja"


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_langid_bad_prior_is_a_config_error(bad: float) -> None:
    with pytest.raises(ConfigError):
        detect_language("text", prior=bad)


def test_langid_bad_langs_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        detect_language("text", langs="en")  # a string, not a sequence of codes
    with pytest.raises(ConfigError):
        detect(Document("d", "text"), langs=("en", ""))


@pytest.mark.parametrize(
    "text",
    [
        "5 mg/kg, 10 mL",
        "120 / 80 mmHg (1 mmHg = 0.133 kPa)",
        "0.25 μg bid",
        "40 mg qd。",
        "2.5 ± 0.4 mmol/L",
        "1 × 10^6 IU",
    ],
)
def test_langid_numbers_and_units_only_are_undetermined(text: str) -> None:
    assert detect_language(text)[0] == "und"


@pytest.mark.parametrize(
    "text",
    [
        "本试验由Acme Biotech Inc.和Globex Pharma Ltd资助。",
        "细胞购自American Type Culture Collection，",
        "数据采用Prism Software 9.0和Excel Office分析。",
        "每日口服0.5 mg/kg，qd",
        "STAR-2研",
    ],
)
def test_langid_chinese_with_latin_names_units_and_codes_is_chinese(text: str) -> None:
    assert detect_language(text)[0] == "zh"


def test_langid_chinese_sentence_with_names_is_not_cut_in_a_document() -> None:
    line = "所有试剂购自Acme Biotech Corporation和Globex Scientific Systems。"
    doc = detect(Document("d", "研究背景如下。\n" + line + "\n其余方法见前文。"))
    assert _line_langs(doc, line) == {"zh"}


def test_langid_english_with_chinese_terms_is_english() -> None:
    for text in (
        "Patients received 黄芪注射液 daily for two weeks.",
        "The decoction of 当归 (Angelica sinensis) was given twice a day.",
    ):
        assert detect_language(text)[0] == "en"


def test_langid_short_lines_take_the_documents_language() -> None:
    # a German document: its short headings are German, not English
    text = (
        "Ergebnis\n"
        "Die Patienten wurden über zwölf Monate mit Stammzellen behandelt und regelmäßig "
        "untersucht.\n"
        "Die Schmerzen nahmen bei den meisten Patienten deutlich ab, die Funktion besserte sich.\n"
        "Zellzahl pro Kilogramm"
    )
    doc = detect(Document("d", text))
    assert _line_langs(doc, "Zellzahl pro Kilogramm") == {"de"}
    # an English document: its short lines stay English
    text = (
        "Cell dose\nThe patients were treated with stem cells and followed for one year.\n"
        "Sample size"
    )
    doc = detect(Document("e", text))
    assert _line_langs(doc, "Cell dose") == {"en"} and _line_langs(doc, "Sample size") == {"en"}


def test_langid_number_line_in_a_document_is_undetermined() -> None:
    text = "治疗方案如下：\n0.5 mg/kg bid\n患者耐受良好。"
    doc = detect(Document("d", text))
    assert _line_langs(doc, "0.5 mg/kg bid") == {"und"}
