"""Benchmark annotkit's language identification (issue 3).

Usage::

    .venv/bin/python bench/lid.py ../shared/data/lid \\
        --wmt ../shared/data/align/wmt-biomed-pairs --seeds seeds

Measures, in one run:

1. accuracy per language on lingua's test sentences (``DATA_DIR/lingua-testdata/sentences``)
   next to lingua high-accuracy's published figure (``DATA_DIR/lingua-accuracy-reports``),
   for annotkit's default, annotkit with every Latin-script profile as candidates, annotkit
   with the langdetect backend and plain langdetect (all profiles, seed 0);
2. throughput of :func:`annotkit.langid.detect_language` against plain ``langdetect.detect``
   on the same sentences;
3. character-level accuracy of :func:`annotkit.langid.detect` on mixed documents built from
   the WMT biomedical en/zh line pairs: an English paragraph, its Chinese translation and
   citation lines (synthetic, seeded), in several layouts;
4. character-level accuracy on the seed corpus against ``tests/data/lid/seeds.gold.tsv``;
5. hard cases (issue 13), built at run time from the WMT line pairs and generated parts
   (nothing is stored): Chinese sentences carrying Latin company names, software and
   acronyms; English sentences carrying Chinese terms; headings; lines of numbers and units
   only. Each case is scored alone (:func:`detect_language`) and as a line of a document in
   its context language (:func:`detect`), with the default settings and with ``prior=0``;
6. determinism: every measured output is computed twice and compared.

Prints Markdown tables (the "Language identification" section of docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import regex

from annotkit.doc import Document
from annotkit.langid import CORPUS_LANGS, DEFAULT_PRIOR, LATIN_LANGS, detect, detect_language

LANGS = ("en", "de", "fr", "es", "it", "pt", "nl", "zh", "ja", "ko")
NAMES = {
    "en": "English",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "zh": "Chinese",
    "ja": "Japanese",
    "ko": "Korean",
}
ALL_LATIN = (
    "en de fr es it pt nl af ca cs cy da et fi hr hu id lt lv no pl ro sk sl so sq sv sw tl tr vi"
).split()
REPO = Path(__file__).resolve().parent.parent


# --- 1/2: sentences ----------------------------------------------------------------------


def load_sentences(data_dir: Path) -> dict[str, list[str]]:
    base = data_dir / "lingua-testdata" / "sentences"
    out = {}
    for lang in LANGS:
        lines = (base / f"{lang}.txt").read_text(encoding="utf-8").split("\n")
        out[lang] = [x.strip() for x in lines if x.strip()]
    return out


def lingua_figures(data_dir: Path) -> dict[str, float]:
    reports = sorted(
        (data_dir / "lingua-accuracy-reports").glob("v*/sentences-accuracy-values.csv")
    )
    with open(reports[-1], encoding="utf-8") as fh:
        rows = {r["language"]: r for r in csv.DictReader(fh)}
    return {lang: float(rows[NAMES[lang]]["lingua-high-accuracy"]) for lang in LANGS}


def plain_langdetect() -> Callable[[str], str]:
    from langdetect import DetectorFactory
    from langdetect import detect as ld_detect
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0

    def run(text: str) -> str:
        try:
            code = ld_detect(text)
        except LangDetectException:
            return "und"
        return "zh" if code.startswith("zh") else code

    run("warm up the profile factory")
    return run


def accuracy(
    predict: Callable[[str], str], sentences: dict[str, list[str]]
) -> tuple[dict[str, float], list[str], float]:
    t0 = time.perf_counter()
    preds = []
    acc = {}
    for lang, xs in sentences.items():
        got = [predict(x) for x in xs]
        preds.extend(got)
        acc[lang] = 100.0 * sum(g == lang for g in got) / len(xs)
    return acc, preds, time.perf_counter() - t0


# --- 3: mixed documents -------------------------------------------------------------------

JOURNALS = [
    "J Transl Med",
    "Stem Cell Res Ther",
    "Spine (Phila Pa 1976)",
    "Zhonghua Yi Xue Za Zhi",
    "Chin Med J (Engl)",
    "Eur Spine J",
    "Cell Transplant",
    "BMC Musculoskelet Disord",
    "Pain Physician",
    "Front Bioeng Biotechnol",
    "F1000Res",
    "Zhongguo Xiu Fu Chong Jian Wai Ke Za Zhi",
]
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def citation_lines(rng: random.Random) -> list[str]:
    j = rng.choice(JOURNALS)
    y, m, d = rng.randint(1995, 2025), rng.choice(MONTHS), rng.randint(1, 28)
    vol, issue, page = rng.randint(1, 60), rng.randint(1, 12), rng.randint(1, 999)
    doi = f"10.{rng.randint(1000, 9999)}/s{rng.randint(10000, 99999)}-{y % 100:03d}-"
    doi += f"{rng.randint(1000, 9999)}-y"
    pmid = rng.randint(10_000_000, 39_999_999)
    forms = [
        f"{j}. {y} {m} {d};{vol}({issue}):{page}. doi: {doi}.",
        f"{j}. {y}-{rng.randint(1, 12)}-{d}",
        f"PMID: {pmid}",
        f"{y}-{rng.randint(1, 12):02d}-{d:02d}",
        f"doi: {doi}",
        f"{doi}",
        f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/",
    ]
    return rng.sample(forms, rng.randint(1, 3))


def gold_for_line(line: str, lang: str) -> str:
    """Gold label of a citation line: English if it has a real word, else undetermined."""
    if lang != "cite":
        return lang
    cleaned = regex.sub(r"https?://\S+", " ", line)
    words = [
        m.group()
        for m in regex.finditer(r"[\p{L}\p{N}]+", cleaned)
        if not any(c.isdigit() for c in m.group()) and len(m.group()) >= 2
    ]
    return "en" if words else "und"


def read_pairs(wmt: Path) -> list[list[tuple[str, str]]]:
    """Line pairs of each WMT file pair (empty sides dropped)."""
    groups = []
    for en_path in sorted(wmt.glob("*.en")):
        zh_path = en_path.with_suffix(".zh")
        en = en_path.read_text(encoding="utf-8").split("\n")
        zh = zh_path.read_text(encoding="utf-8").split("\n")
        groups.append(
            [(e.strip(), z.strip()) for e, z in zip(en, zh, strict=True) if e.strip() and z.strip()]
        )
    return groups


def mixed_documents(
    wmt: Path, *, lines_per_doc: int = 6, seed: int = 13
) -> Iterator[tuple[Document, list[str]]]:
    """(document, gold language per character) for each pseudo-document."""
    rng = random.Random(seed)
    n = 0
    for pairs in read_pairs(wmt):
        for i in range(0, len(pairs), lines_per_doc):
            chunk = pairs[i : i + lines_per_doc]
            layout = n % 5
            n += 1
            # Each block is one line made of (text, gold) parts joined by a space.
            en_par = " ".join(e for e, _ in chunk)
            if layout in (0, 1):  # one paragraph per language (like seed 004)
                zh_par = (
                    "".join(z for _, z in chunk) if layout == 0 else " ".join(z for _, z in chunk)
                )
                blocks = [[(en_par, "en")], [(zh_par, "zh")]]
            elif layout == 2:  # one sentence per line, English lines then Chinese lines
                blocks = [[(e, "en")] for e, _ in chunk] + [[(z, "zh")] for _, z in chunk]
            elif layout == 3:  # Chinese first, English after, a blank line between
                blocks = [[("".join(z for _, z in chunk), "zh")], [], [(en_par, "en")]]
            else:  # each English sentence followed by its translation on the same line
                blocks = [[(e, "en"), (z, "zh")] for e, z in chunk]
            cites = [[(c, "cite")] for c in citation_lines(rng)]
            blocks = cites + blocks if rng.random() < 0.5 else blocks + cites
            text_parts: list[str] = []
            gold: list[str] = []
            for k, parts in enumerate(blocks):
                if k:
                    text_parts.append("\n")
                    gold.append("")
                for j, (chunk_text, lang) in enumerate(parts):
                    if j:
                        text_parts.append(" ")
                        gold.append("")
                    text_parts.append(chunk_text)
                    g = gold_for_line(chunk_text, lang)
                    gold.extend(g if not ch.isspace() else "" for ch in chunk_text)
            text = "".join(text_parts)
            yield Document(f"wmt-{n:04d}", text), gold


def char_labels(doc: Document) -> list[str]:
    labels = [""] * len(doc.text)
    for s in doc.segments:
        for i in range(s.start, s.end):
            labels[i] = s.lang or ""
    return labels


def char_accuracy(
    docs: list[tuple[Document, list[str]]], run: Callable[[Document], Document]
) -> tuple[Counter[str], Counter[str], list[str], list[tuple[str, str, str]]]:
    total: Counter[str] = Counter()
    right: Counter[str] = Counter()
    records = []
    errors = []
    for doc, gold in docs:
        out = run(doc)
        records.append(repr((out.segments, out.sentences, out.lang, dict(out.meta))))
        labels = char_labels(out)
        for i, ch in enumerate(doc.text):
            if ch.isspace():
                continue
            options = gold[i].split("|")
            total[options[0]] += 1
            if labels[i] in options:
                right[options[0]] += 1
            else:
                errors.append((doc.id, ch, f"{gold[i]}->{labels[i]}"))
    return total, right, records, errors


# --- 5: hard cases -----------------------------------------------------------------------

# generated parts (written for this benchmark: common biomedical vendors, software, acronyms)
COMPANIES = [
    "Pfizer Inc.",
    "Novartis Pharma AG",
    "Johnson & Johnson",
    "Sigma-Aldrich",
    "Thermo Fisher Scientific",
    "Becton Dickinson",
    "Beckman Coulter",
    "Miltenyi Biotec",
    "Merck KGaA",
    "Roche Diagnostics GmbH",
    "Abcam",
    "Cell Signaling Technology",
    "Gibco Life Technologies",
    "Bio-Rad Laboratories",
    "Qiagen",
    "Medtronic Sofamor Danek",
    "Stryker Orthopaedics",
    "Zimmer Biomet",
    "Takeda Pharmaceutical",
    "Eli Lilly and Company",
]
SOFTWARE = [
    "SPSS Statistics 22.0",
    "GraphPad Prism 8.0",
    "SAS 9.4 (SAS Institute Inc., Cary, NC, USA)",
    "Stata 15.1",
    "R version 4.1.2",
    "ImageJ",
    "RevMan 5.3",
]
ACRONYMS = "MSCs BMSCs ADSCs VAS ODI JOA MRI CT PCR qRT-PCR ELISA TNF-α IL-6 HbA1c BMI RCT".split()
ZH_CARRIERS = [
    "本研究由{x}资助。",
    "试剂购自{x}公司，",
    "采用{x}软件进行统计学分析。",
    "所用抗体均购自{x}和{y}。",
    "{x}和{y}提供了技术支持。",
    "检测{a}和{b}的水平，",
    "术后{a}评分及{b}指数均明显改善",
]
ZH_TERMS = (
    "黄芪 当归 丹参 针灸 推拿 中药 气虚 血瘀 黄芪注射液 复方丹参滴丸 阿胶 "
    "间充质干细胞 骨髓 腰椎间盘突出症 骨关节炎 视觉模拟评分"
).split()
EN_HEADINGS = [
    "Background",
    "Methods",
    "Results",
    "Conclusions",
    "Objective",
    "Study Design",
    "Primary Outcome Measures",
    "Secondary Outcome Measures",
    "Inclusion Criteria",
    "Exclusion Criteria",
    "Statistical analysis",
    "Adverse events",
    "Cell dose",
    "Sample size",
    "Visual analogue scale",
    "Patients and methods",
    "Materials and Methods",
    "Data collection",
    "Follow-up",
    "Ethics approval",
    "Bone marrow aspiration",
    "Knee osteoarthritis",
    "Lumbar disc degeneration",
    "Adipose tissue harvest",
    "Arm A: placebo",
    "Estimated enrollment",
    "Keywords",
    "Abstract",
    "Discussion",
    "Limitations",
]
ZH_HEADINGS = (
    "背景 目的 方法 结果 结论 摘要 关键词 讨论 材料与方法 统计学分析 纳入标准 排除标准".split()
)
UNITS = ["mg", "mg/kg", "mL", "ml", "μg", "IU", "U/L", "mmol/L", "mmHg", "kPa", "cm", "mm"]
FREQ = ["qd", "bid", "tid", "", "", ""]


def _number(rng: random.Random) -> str:
    forms = [
        f"{rng.randint(1, 999)}",
        f"{rng.randint(0, 99)}.{rng.randint(0, 99)}",
        f"{rng.randint(1, 9)} × 10^{rng.randint(3, 9)}",
        f"{rng.randint(10, 99)} ± {rng.randint(1, 20)}.{rng.randint(0, 9)}",
    ]
    return rng.choice(forms)


def numbers_line(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 4)):
        unit = rng.choice(UNITS)
        freq = rng.choice(FREQ)
        parts.append(f"{_number(rng)} {unit}{(' ' + freq) if freq else ''}".strip())
    sep = rng.choice([", ", "; ", " / ", "，", " "])
    line = sep.join(parts)
    return rng.choice([line, f"({line})", f"{line}。", f"{line}."])


def hard_cases(
    wmt: Path, *, per_kind: int = 500, seed: int = 13
) -> dict[str, list[tuple[str, str]]]:
    """``{kind: [(text, gold), ...]}`` built from the WMT pairs and the generated parts."""
    rng = random.Random(seed)
    pairs = [p for group in read_pairs(wmt) for p in group]
    rng.shuffle(pairs)
    zh_sents = [z for _, z in pairs if len(z) >= 12][: per_kind * 2]
    en_sents = [e for e, _ in pairs if len(e.split()) >= 6][: per_kind * 2]
    out: dict[str, list[tuple[str, str]]] = {}
    cases = []
    for k in range(per_kind):
        carrier = rng.choice(ZH_CARRIERS)
        x, y = rng.sample(COMPANIES + SOFTWARE, 2)
        a, b = rng.sample(ACRONYMS, 2)
        piece = carrier.format(x=x, y=y, a=a, b=b)
        host = zh_sents[k]
        # the carrier clause alone, or before / after a real sentence
        where = rng.choice(["alone", "before", "after"])
        text = piece if where == "alone" else piece + host if where == "before" else host + piece
        cases.append((text, "zh"))
    out["Chinese with Latin names and acronyms"] = cases
    cases = []
    for k in range(per_kind):
        words = en_sents[k].split()
        pos = rng.randint(1, len(words) - 1)
        term = rng.choice(ZH_TERMS)
        words.insert(pos, rng.choice([term, f"({term})"]))
        cases.append((" ".join(words), "en"))
    out["English with Chinese terms"] = cases
    cases = []
    for k in range(per_kind):
        if k % 3 == 2:
            head = rng.choice(ZH_HEADINGS)
            cases.append((rng.choice([head, f"{head}：", f"{rng.randint(1, 5)} {head}"]), "zh"))
        else:
            head = rng.choice(EN_HEADINGS)
            numbered = f"{rng.randint(1, 5)}.{rng.randint(1, 9)} {head}"
            cases.append((rng.choice([head, f"{head}:", head.upper(), numbered]), "en"))
    out["headings"] = cases
    out["numbers and units only"] = [(numbers_line(rng), "und") for _ in range(per_kind)]
    return out


def hard_case_documents(
    cases: dict[str, list[tuple[str, str]]], wmt: Path, *, seed: int = 17
) -> list[tuple[str, Document, tuple[int, int], str]]:
    """Each case as one line of a document in its own context language: (kind, document,
    span of the case line, gold). A heading or number line goes above (or below) a WMT
    paragraph of the heading's language (numbers: either); the mixed sentences go into a
    paragraph of their own language."""
    rng = random.Random(seed)
    pairs = [p for group in read_pairs(wmt) for p in group]
    out = []
    for kind, items in cases.items():
        for k, (text, gold) in enumerate(items):
            i = rng.randrange(0, len(pairs) - 3)
            lang = gold if gold != "und" else rng.choice(["en", "zh"])
            para = [(e if lang == "en" else z) for e, z in pairs[i : i + 3]]
            body = (" " if lang == "en" else "").join(para)
            if rng.random() < 0.5:
                doc_text, start = f"{text}\n{body}", 0
            else:
                doc_text, start = f"{body}\n{text}", len(body) + 1
            out.append(
                (kind, Document(f"hard-{kind[:3]}-{k}", doc_text), (start, start + len(text)), gold)
            )
    return out


def line_label(doc: Document, span: tuple[int, int]) -> str:
    """The language ``detect`` gave most of the line's non-space characters."""
    counts: Counter[str] = Counter()
    for s in doc.segments:
        a, b = max(s.start, span[0]), min(s.end, span[1])
        if a < b:
            counts[s.lang or "und"] += sum(not ch.isspace() for ch in doc.text[a:b])
    return counts.most_common(1)[0][0] if counts else "und"


def bench_hard(wmt: Path, show: int) -> list[bool]:
    cases = hard_cases(wmt)
    docs = hard_case_documents(cases, wmt)
    rows = []
    same = []
    for prior in (None, 0.0):
        kw = {} if prior is None else {"prior": prior}
        for kind, items in cases.items():
            got = [detect_language(t, **kw)[0] for t, _ in items]
            again = [detect_language(t, **kw)[0] for t, _ in items]
            same.append(got == again)
            alone = sum(g == gold for g, (_, gold) in zip(got, items, strict=True))
            in_doc = [
                (line_label(detect(d, **kw), span), gold)
                for kd, d, span, gold in docs
                if kd == kind
            ]
            ctx = sum(a == b for a, b in in_doc)
            rows.append((kind, "default" if prior is None else "prior=0", len(items), alone, ctx))
            if prior is None and show:
                bad = [(t, g, gold) for (t, gold), g in zip(items, got, strict=True) if g != gold]
                for t, g, gold in bad[:show]:
                    print(f"    {kind}: {gold}->{g}: {t[:90]}", file=sys.stderr)
    print("### Hard cases (built at run time; each alone and as a line of a document)\n")
    print(
        "| set | settings | cases | alone correct | alone % | in a document correct | "
        "in a document % |\n|---|---|---:|---:|---:|---:|---:|"
    )
    tot: dict[str, list[int]] = {}
    for kind, setting, n, alone, ctx in rows:
        t = tot.setdefault(setting, [0, 0, 0])
        t[0] += n
        t[1] += alone
        t[2] += ctx
        print(
            f"| {kind} | {setting} | {n} | {alone} | {100 * alone / n:.1f} | {ctx} | "
            f"{100 * ctx / n:.1f} |"
        )
    for setting, (n, alone, ctx) in tot.items():
        print(
            f"| **all** | {setting} | {n} | {alone} | **{100 * alone / n:.1f}** | {ctx} | "
            f"**{100 * ctx / n:.1f}** |"
        )
    print()
    return same


# --- 4: seeds -----------------------------------------------------------------------------


def seed_documents(seeds: Path, gold_path: Path) -> list[tuple[Document, list[str]]]:
    from annotkit.io import read_text_file

    special: dict[tuple[str, int], str] = {}
    for line in gold_path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            prefix, n, lang = line.split("\t")
            special[(prefix, int(n))] = lang
    out = []
    for path in sorted(seeds.glob("*.txt")):
        doc = read_text_file(path)
        gold: list[str] = []
        for n, line in enumerate(doc.text.split("\n"), start=1):
            if n > 1:
                gold.append("")
            lang = special.get((path.name[:3], n), "en")
            gold.extend(lang if not ch.isspace() else "" for ch in line)
        out.append((doc, gold))
    return out


# --- main ---------------------------------------------------------------------------------


def fmt_acc(total: Counter[str], right: Counter[str]) -> str:
    rows = ["| gold | characters | correct | accuracy |", "|---|---:|---:|---:|"]
    for lang in sorted(total, key=lambda k: -total[k]):
        rows.append(
            f"| {lang} | {total[lang]} | {right[lang]} | {100 * right[lang] / total[lang]:.3f} % |"
        )
    t, r = sum(total.values()), sum(right.values())
    rows.append(f"| **all** | {t} | {r} | **{100 * r / t:.3f} %** |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data_dir", type=Path, help="../shared/data/lid")
    ap.add_argument("--wmt", type=Path, help="../shared/data/align/wmt-biomed-pairs")
    ap.add_argument("--seeds", type=Path, help="seeds/")
    ap.add_argument(
        "--seeds-gold", type=Path, default=REPO / "tests" / "data" / "lid" / "seeds.gold.tsv"
    )
    ap.add_argument("--show-errors", type=int, default=0, help="print up to N mislabelled items")
    args = ap.parse_args(argv)

    sentences = load_sentences(args.data_dir)
    lingua = lingua_figures(args.data_dir)
    n_sent = sum(len(v) for v in sentences.values())

    def ours(text: str) -> str:
        return detect_language(text)[0]

    ours("warm up")  # load the profiles once, outside the timing
    acc, preds, t_ours = accuracy(ours, sentences)
    plain = plain_langdetect()
    plain_acc, _, t_plain = accuracy(plain, sentences)
    acc2, preds2, t_ours2 = accuracy(ours, sentences)
    wide_acc, _, _ = accuracy(lambda t: detect_language(t, latin_langs=ALL_LATIN)[0], sentences)
    flat_acc, _, _ = accuracy(lambda t: detect_language(t, prior=0)[0], sentences)
    ldb_acc, _, t_ldb = accuracy(lambda t: detect_language(t, backend="langdetect")[0], sentences)
    detect_language("warm up the lingua models", backend="lingua")
    lin_acc, _, t_lin = accuracy(lambda t: detect_language(t, backend="lingua")[0], sentences)

    columns = [
        ("annotkit", acc),
        ("annotkit `prior=0`", flat_acc),
        ("annotkit `--backend lingua`", lin_acc),
        ("annotkit all-Latin", wide_acc),
        ("annotkit `--backend langdetect`", ldb_acc),
        ("plain langdetect", plain_acc),
    ]

    def target(lang: str) -> float:
        hard = {"en": 99.5, "zh": 100.0, "ja": 100.0, "ko": 100.0}.get(lang, 0.0)
        return max(lingua[lang], hard)

    print("### Accuracy on lingua's test sentences\n")
    print(
        f"{n_sent} sentences, accuracy in %. Target = lingua high-accuracy's published figure "
        "(English at least 99.5, Chinese/Japanese/Korean 100). `annotkit` = default "
        f"(`--backend profile`, Latin candidates {', '.join(LATIN_LANGS)}, corpus languages "
        f"{', '.join(CORPUS_LANGS)} with the prior {DEFAULT_PRIOR:g}); `prior=0` = the same "
        "without the corpus prior; `--backend lingua` "
        "= the same plus lingua 2.1 restricted to those candidates (extra `annotkit[lingua]`); "
        "all-Latin = default scorer with every Latin-script langdetect profile as candidate; "
        "`--backend langdetect` = langdetect's own detector on the default candidates; plain "
        "langdetect = langdetect 1.0.9 `detect`, all 55 profiles, seed 0.\n"
    )
    print(
        "| language | sentences | target | "
        + " | ".join(name for name, _ in columns)
        + " |\n|---|---:|---:|"
        + "---:|" * len(columns)
    )
    for lang in LANGS:
        cells = []
        for k, (_, a) in enumerate(columns):
            mark = "" if k > 2 or a[lang] + 1e-9 >= target(lang) else " (miss)"
            cells.append(f"{a[lang]:.1f}{mark}")
        print(
            f"| {lang} | {len(sentences[lang])} | {target(lang):.1f} | " + " | ".join(cells) + " |"
        )
    means = " | ".join(f"{sum(a.values()) / len(a):.2f}" for _, a in columns)
    print(f"| **mean** | {n_sent} | | {means} |")
    n_corpus = sum(len(sentences[x]) for x in CORPUS_LANGS)
    pooled = " | ".join(
        f"{sum(a[x] * len(sentences[x]) for x in CORPUS_LANGS) / n_corpus:.2f}" for _, a in columns
    )
    print(f"| **{'+'.join(CORPUS_LANGS)} pooled** | {n_corpus} | 99.9 | {pooled} |\n")
    if args.show_errors:
        k = 0
        for lang, xs in sentences.items():
            for x in xs:
                got = ours(x)
                if got != lang and k < args.show_errors:
                    print(f"    {lang}->{got}: {x[:100]}", file=sys.stderr)
                    k += 1

    print("### Throughput (same sentences, same process, one core)\n")
    print("| detector | seconds | sentences/s | speed-up vs langdetect |")
    print("|---|---:|---:|---:|")
    rows = (
        ("annotkit `detect_language` (first pass)", t_ours),
        ("annotkit `detect_language` (second pass, warm word cache)", t_ours2),
        ("annotkit `--backend lingua`", t_lin),
        ("annotkit `--backend langdetect`", t_ldb),
    )
    for name, secs in rows:
        print(f"| {name} | {secs:.2f} | {n_sent / secs:,.0f} | {t_plain / secs:.1f}x |")
    print(f"| plain langdetect `detect` | {t_plain:.2f} | {n_sent / t_plain:,.0f} | 1.0x |\n")

    determinism = [preds == preds2]
    if args.wmt:
        docs = list(mixed_documents(args.wmt))
        total, right, rec1, errors = char_accuracy(docs, detect)
        _, _, rec2, _ = char_accuracy(docs, detect)
        determinism.append(rec1 == rec2)
        t0 = time.perf_counter()
        n_hant = sum(1 for d, _ in docs if detect(d).zh_script == "Hant")
        t_docs = time.perf_counter() - t0
        n_chars = sum(len(d.text) for d, _ in docs)
        print(f"### Mixed EN/ZH documents ({len(docs)} built from `wmt-biomed-pairs`)\n")
        print(
            "Each document: 6 consecutive WMT line pairs as an English paragraph + its Chinese "
            "translation (5 layouts: one line per paragraph joined with or without spaces, one "
            "sentence per line, Chinese first with a blank line, each English line followed by "
            "its translation on the same line) and 1-3 synthetic citation "
            "lines (journal/date/volume, PMID, DOI, URL; seeded) above or below. Gold: English "
            "side `en`, Chinese side `zh`, citation lines `en` if they contain a word of 2+ "
            "letters outside identifiers and URLs, else `und`. Non-white-space characters "
            f"labelled by `detect` (segments). {n_hant} documents are detected as Traditional.\n"
        )
        print(fmt_acc(total, right) + "\n")
        print(
            f"`detect` throughput on these documents (third pass): {len(docs) / t_docs:,.0f} "
            f"documents/s, {n_chars / t_docs:,.0f} characters/s.\n"
        )
        for e in errors[: args.show_errors]:
            print("   ", e, file=sys.stderr)
    if args.wmt:
        determinism.extend(bench_hard(args.wmt, args.show_errors))
    if args.seeds:
        docs = seed_documents(args.seeds, args.seeds_gold)
        total, right, rec1, errors = char_accuracy(docs, detect)
        _, _, rec2, _ = char_accuracy(docs, detect)
        determinism.append(rec1 == rec2)
        print(f"### Seed corpus ({len(docs)} documents, gold `tests/data/lid/seeds.gold.tsv`)\n")
        print(fmt_acc(total, right) + "\n")
        for e in errors[: args.show_errors]:
            print("   ", e, file=sys.stderr)
    print(f"Determinism: every output above computed twice -> identical: **{all(determinism)}**.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
