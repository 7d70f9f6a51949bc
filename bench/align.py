"""Sentence-alignment benchmark: MAC-Dev, Bible en-zh, Text+Berg de-fr, biomedical documents.

Data paths are arguments (the data is never copied into the repository)::

    .venv/bin/python bench/align.py --mac ../shared/data/align/mac-dev \\
        --bible ../shared/data/align/bible-en-zh --textberg ../shared/data/align/textberg-de-fr \\
        --biomed ../shared/data/align/wmt-biomed-pairs --seed seeds/004_2ac9ad6098cbbf61.txt

Scores are vecalign's strict/lax P/R/F1 (``bench/vecalign_score.py``); times are wall-clock
seconds in this process (the CC-CEDICT/jieba load is counted in the first benchmark run).
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from annotkit.align import align_sentences  # noqa: E402
from annotkit.doc import Document  # noqa: E402
from vecalign_score import Alignment, read_alignments, score_multiple  # noqa: E402


def _lines(path: Path) -> list[str]:
    """Lines split on newline only (as vecalign reads them; U+2028 etc. stay inside a line)."""
    lines = [x.removesuffix("\r") for x in path.read_text(encoding="utf-8").split("\n")]
    return lines[:-1] if lines and lines[-1] == "" else lines


def _as_alignment(beads: list) -> Alignment:
    return [(b.src, b.tgt) for b in beads]


def _row(name: str, res: dict, seconds: float, extra: str = "") -> dict:
    s, lx = res["strict"], res["lax"]
    print(
        f"{name:<22} strict P/R/F1 {s['precision']:.3f}/{s['recall']:.3f}/{s['f1']:.3f}  "
        f"lax F1 {lx['f1']:.3f}  {seconds:6.1f}s {extra}",
        flush=True,
    )
    return {"name": name, **res, "seconds": round(seconds, 2)}


def bench_mac(folder: Path) -> dict:
    gold, test = [], []
    t0 = time.perf_counter()
    for zh in sorted(folder.glob("*.zh")):
        beads = align_sentences(
            _lines(zh), _lines(zh.with_suffix(".en")), src_lang="zh", tgt_lang="en"
        )
        test.append(_as_alignment(beads))
        gold.append(read_alignments(zh.with_suffix(".align")))
    return _row("MAC-Dev zh-en", score_multiple(gold, test), time.perf_counter() - t0)


def merge_in_verse(beads: Alignment, src_verse: list[str], tgt_verse: list[str]) -> Alignment:
    """Merge consecutive output beads that fall inside one verse (the published protocol)."""
    out: Alignment = []
    for s, t in beads:
        verses = {src_verse[i] for i in s} | {tgt_verse[j] for j in t}
        if out and len(verses) == 1:
            ps, pt = out[-1]
            prev = {src_verse[i] for i in ps} | {tgt_verse[j] for j in pt}
            if prev == verses:
                out[-1] = (ps + s, pt + t)
                continue
        out.append((s, t))
    return out


def bench_bible(folder: Path) -> dict:
    en, zh = _lines(folder / "en" / "001"), _lines(folder / "zh" / "001")
    t0 = time.perf_counter()
    beads = _as_alignment(align_sentences(en, zh, src_lang="en", tgt_lang="zh"))
    seconds = time.perf_counter() - t0
    merged = merge_in_verse(beads, _lines(folder / "en.verse"), _lines(folder / "zh.verse"))
    gold = read_alignments(folder / "gold" / "001.align")
    return _row("Bible en-zh (merged)", score_multiple([gold], [merged]), seconds)


def bench_textberg(folder: Path, names: list[str]) -> dict:
    gold, test = [], []
    t0 = time.perf_counter()
    for name in names:
        de, fr = _lines(folder / f"{name}.de"), _lines(folder / f"{name}.fr")
        test.append(_as_alignment(align_sentences(de, fr, src_lang="de", tgt_lang="fr")))
        gold.append(read_alignments(folder / f"{name}.defr"))
    label = "Text+Berg de-fr " + ("dev" if names == ["dev"] else "test")
    return _row(label, score_multiple(gold, test), time.perf_counter() - t0)


#: a line that ends like a sentence (WMT18/19 Medline lines are sometimes cut, e.g. at "(P<")
_SENTENCE_END = re.compile(r"[.!?。！？…;；:：\"”’')）\]】]$")


def _complete(line: str) -> bool:
    return bool(_SENTENCE_END.search(line))


def _mixed_documents(
    folder: Path, per_doc: int, complete_only: bool = False
) -> list[tuple[Document, list, list]]:
    """Mixed EN+ZH documents from line-parallel pairs: header, paragraph, translation, refs.

    English-original files put English first, Chinese-original files Chinese first. Returns
    (document, English line spans, Chinese line spans); line k of one side translates line k
    of the other. ``complete_only`` leaves out line pairs where a side does not end like a
    sentence (truncated WMT lines: glued to the next line in a paragraph they are not a
    sentence pair any more, and they also take the next pair down with them).
    """
    docs = []
    for en_path in sorted(folder.glob("*.en")):
        zh_path = en_path.with_suffix(".zh")
        pairs = [
            (e.strip(), z.strip())
            for e, z in zip(_lines(en_path), _lines(zh_path), strict=True)
            if e.strip() and z.strip()
        ]
        if complete_only:
            pairs = [(e, z) for e, z in pairs if _complete(e) and _complete(z)]
        zh_first = ".zh-en." in en_path.name
        for k in range(0, len(pairs), per_doc):
            chunk = pairs[k : k + per_doc]
            parts: dict[str, list[tuple[int, int]]] = {"en": [], "zh": []}
            text = f"Medline abstract {en_path.stem} #{k // per_doc}. doi: 10.0/{k}\n"
            for lang in ("zh", "en") if zh_first else ("en", "zh"):
                for line in (e if lang == "en" else z for e, z in chunk):
                    parts[lang].append((len(text), len(text) + len(line)))
                    text += line + (" " if lang == "en" else "")
                text = text.rstrip() + "\n"
            text += "Front Bioeng Biotechnol. 2025-8-14\nPain Physician. 2023-3\n"
            docs.append((Document(f"{en_path.stem}-{k}", text), parts["en"], parts["zh"]))
    return docs


def _recovered(pair_beads: list, en_lines: list, zh_lines: list) -> int:
    """Gold line pairs whose component in the output bead graph is exactly {en k, zh k}."""

    def line_of(span: tuple[int, int], lines: list) -> set[int]:
        return {k for k, (s, e) in enumerate(lines) if span[0] < e and s < span[1]}

    parent: dict[tuple[str, int], tuple[str, int]] = {}

    def find(x: tuple[str, int]) -> tuple[str, int]:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for src_lang, beads in pair_beads:
        for sp in beads:
            nodes = []
            for side, spans in ((src_lang, sp.src), ("zh" if src_lang == "en" else "en", sp.tgt)):
                lines = en_lines if side == "en" else zh_lines
                nodes += [(side, k) for span in spans for k in line_of(span, lines)]
            for a, b in zip(nodes, nodes[1:], strict=False):
                parent[find(a)] = find(b)
    comps: dict[tuple[str, int], set[tuple[str, int]]] = {}
    for node in list(parent):
        comps.setdefault(find(node), set()).add(node)
    return sum(
        1
        for k in range(len(en_lines))
        if ("en", k) in parent and comps[find(("en", k))] == {("en", k), ("zh", k)}
    )


def bench_biomed(folder: Path, per_doc: int, complete_only: bool = False) -> dict:
    from annotkit.align import align_document

    docs = _mixed_documents(folder, per_doc, complete_only)
    t0 = time.perf_counter()
    gold = found = paired_docs = 0
    for doc, en_lines, zh_lines in docs:
        pairs = align_document(doc)
        paired_docs += bool(pairs)
        gold += len(en_lines)
        found += _recovered([(p.src_lang, p.sentences) for p in pairs], en_lines, zh_lines)
    seconds = time.perf_counter() - t0
    share = found / max(gold, 1)
    label = "WMT biomed, complete" if complete_only else "WMT biomed mixed docs"
    print(
        f"{label:<22} pairs recovered {found}/{gold} = {share:.4f}  "
        f"docs paired {paired_docs}/{len(docs)}  {seconds:6.1f}s",
        flush=True,
    )
    return {"name": "biomed-complete" if complete_only else "biomed", "recovered": found,
            "gold": gold, "share": share, "docs": len(docs), "docs_paired": paired_docs,
            "seconds": round(seconds, 2)}  # fmt: skip


def bench_seed(path: Path) -> dict:
    from annotkit.align import align_document, heading_of
    from annotkit.io import read_documents

    doc = next(iter(read_documents([str(path)])))
    pairs = align_document(doc)
    heads = []
    for p in pairs:
        for sp in p.sentences:
            src = " ".join(doc.text[s:e] for s, e in sp.src)
            tgt = "".join(doc.text[s:e] for s, e in sp.tgt)
            if heading_of(src) and heading_of(src) == heading_of(tgt):
                heads.append(heading_of(src))
    beads = [sp for p in pairs for sp in p.sentences]
    print(f"{'seed 004':<22} passages {len(pairs)}  sections paired {heads}  beads {len(beads)} "
          f"({sum(1 for b in beads if len(b.src) == len(b.tgt) == 1)} 1-1)")  # fmt: skip
    return {"name": "seed004", "passages": len(pairs), "sections": heads, "beads": len(beads)}


_SYNTH = """
import json, random, sys, time
from annotkit.align import align_sentences
def hwm():
    # peak RSS of this process (VmHWM restarts at exec; ru_maxrss would include the parent's)
    with open("/proc/self/status") as fh:
        return next(int(x.split()[1]) for x in fh if x.startswith("VmHWM")) / 1024
n = int(sys.argv[1])
rng = random.Random(7)
vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9)))
         for _ in range(3000)]
src, tgt = [], []
for i in range(n):
    words = [rng.choice(vocab) for _ in range(rng.randint(4, 25))]
    num = rng.randint(1, 999)
    src.append(" ".join(words) + f" {num}.")
    tgt.append(" ".join(w[::-1] + "x" for w in words) + f" {num}.")
t0 = time.perf_counter()
beads = align_sentences(src, tgt, src_lang="xx", tgt_lang="yy")
seconds = time.perf_counter() - t0
ok = sum(1 for b in beads if len(b.src) == 1 and b.src == b.tgt)
peak = hwm()
print(json.dumps({"n": n, "seconds": seconds, "peak_mib": peak, "correct": ok / n}))
"""


def bench_synthetic(sizes: list[int]) -> dict:
    """Time and peak memory on synthetic n x n inputs (random words, cipher translation)."""
    import subprocess

    rows = []
    for n in sizes:
        out = subprocess.run(
            [sys.executable, "-c", _SYNTH, str(n)], capture_output=True, text=True, check=True
        )
        row = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(
            f"synthetic {n:>6} x {n:<6} {row['seconds']:6.1f}s  peak RSS {row['peak_mib']:.0f} MiB"
            f"  1-1 recovered {row['correct']:.4f}",
            flush=True,
        )
    return {"name": "synthetic", "rows": rows}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mac", type=Path, help="mac-dev folder (NNN.zh, NNN.en, NNN.align)")
    ap.add_argument("--bible", type=Path, help="bible-en-zh folder")
    ap.add_argument("--textberg", type=Path, help="textberg-de-fr folder")
    ap.add_argument("--textberg-test", action="store_true", help="also score test0..6")
    ap.add_argument("--biomed", type=Path, help="wmt-biomed-pairs folder (mixed documents)")
    ap.add_argument("--lines-per-doc", type=int, default=8, help="pairs per mixed document")
    ap.add_argument("--seed", type=Path, help="seed 004 text file (document pairing check)")
    ap.add_argument("--synthetic", default="", help="comma-separated sizes, e.g. 2500,5000,10000")
    ap.add_argument("--json", type=Path, help="write all results here as JSON")
    args = ap.parse_args(argv)
    results = []
    if args.mac:
        results.append(bench_mac(args.mac))
    if args.bible:
        results.append(bench_bible(args.bible))
    if args.textberg:
        results.append(bench_textberg(args.textberg, ["dev"]))
        if args.textberg_test:
            results.append(bench_textberg(args.textberg, [f"test{k}" for k in range(7)]))
    if args.biomed:
        results.append(bench_biomed(args.biomed, args.lines_per_doc))
        results.append(bench_biomed(args.biomed, args.lines_per_doc, complete_only=True))
    if args.seed:
        results.append(bench_seed(args.seed))
    if args.synthetic:
        results.append(bench_synthetic([int(x) for x in args.synthetic.split(",")]))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MiB")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
