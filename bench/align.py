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
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from annotkit.align import align_sentences  # noqa: E402
from vecalign_score import Alignment, read_alignments, score_multiple  # noqa: E402


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mac", type=Path, help="mac-dev folder (NNN.zh, NNN.en, NNN.align)")
    ap.add_argument("--bible", type=Path, help="bible-en-zh folder")
    ap.add_argument("--textberg", type=Path, help="textberg-de-fr folder")
    ap.add_argument("--textberg-test", action="store_true", help="also score test0..6")
    ap.add_argument("--biomed", type=Path, help="wmt-biomed-pairs folder (mixed documents)")
    ap.add_argument("--seed", type=Path, help="seed 004 text file (document pairing check)")
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
    if args.biomed or args.seed:
        from align_docs import bench_documents  # noqa: PLC0415

        results.append(bench_documents(args.biomed, args.seed))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MiB")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
