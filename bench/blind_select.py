"""Select the blind NER test lines from wmt-biomed-pairs (no annotkit code involved).

    python bench/blind_select.py ../shared/data/align/wmt-biomed-pairs

The rule (documented in ``bench/blind/README.md``): every line pair of the four
``wmt1[89].medline.{en-zh,zh-en}`` file pairs whose two sides are both non-empty is a
candidate; a pair is a *cue* pair when its English side matches ``EN_CUES`` or its Chinese
side matches ``ZH_CUES``. A pair whose English or Chinese side repeats an earlier candidate's
(the wmt18 and wmt19 files share some abstracts) is skipped. With ``random.Random(SEED)``
we draw ``N_CUE`` cue pairs, then ``N_NEG`` pairs without any cue (negatives), from the
candidates listed in file/line order, and add every candidate whose English or Chinese
side has a number followed by a unit of mass, volume or amount (``AMOUNT``): such lines
are rare (about ten in the corpus) and without them DOSE would have almost no spans.
Prints one ``file<TAB>line<TAB>stratum`` row per selected pair, in file/line order.
It deliberately uses only the standard library: the selection must not depend on annotkit.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from collections.abc import Callable
from pathlib import Path

SEED = 20251
N_CUE = 90
N_NEG = 30
STEMS = (
    "wmt18.medline.en-zh",
    "wmt18.medline.zh-en",
    "wmt19.medline.en-zh",
    "wmt19.medline.zh-en",
)
EN_CUES = re.compile(
    r"\b(?:cells?|stem|platelets?|\w+cytes?|neutrophils?|scores?|scales?|index|"
    r"questionnaires?|doses?|dosage|mg|ml|μg|ug|IU|mmol)\b",
    re.IGNORECASE,
)
AMOUNT = re.compile(
    r"\d\s?(?:mg|g|kg|μg|ug|ng|ml|mL|L|IU|U|mmol|μmol|mol|mM|μM|nM|毫克|毫升|克|微克)"
    r"(?:/|\b|(?=[^\x00-\x7f]))"
)
ZH_CUES = re.compile(
    r"细胞|細胞|血小板|量表|评分|評分|指数|指數|问卷|問卷|毫克|毫升|剂量|劑量|mg|ml|mL|μg"
)


def read_lines(path: Path) -> list[str]:
    """The lines of ``path`` as the benchmark uses them (UTF-8, split on ``\\n``)."""
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def candidates(folder: Path) -> list[tuple[str, int, bool, bool]]:
    """Every usable pair as ``(stem, 1-based line, has_cue, has_amount)``, file/line order."""
    out: list[tuple[str, int, bool, bool]] = []
    seen: set[str] = set()
    for stem in STEMS:
        en = read_lines(folder / f"{stem}.en")
        zh = read_lines(folder / f"{stem}.zh")
        if len(en) != len(zh):
            raise SystemExit(f"error: {stem}: {len(en)} en vs {len(zh)} zh lines ; not parallel")
        for n, (e, z) in enumerate(zip(en, zh, strict=True), start=1):
            if not e.strip() or not z.strip():
                continue
            if e.strip() in seen or z.strip() in seen:
                continue
            seen.update((e.strip(), z.strip()))
            cue = bool(EN_CUES.search(e) or ZH_CUES.search(z))
            amount = bool(AMOUNT.search(e) or AMOUNT.search(z))
            out.append((stem, n, cue, amount))
    return out


def select(folder: Path) -> list[tuple[str, int, str]]:
    """The selected pairs as ``(stem, line, stratum)`` in file/line order.

    ``stratum`` is ``cue`` or ``negative`` for the drawn pairs, ``amount`` for the pairs
    added because they state an amount (and were not drawn).
    """
    pool = candidates(folder)
    rng = random.Random(SEED)
    cue = rng.sample([p for p in pool if p[2]], N_CUE)
    neg = rng.sample([p for p in pool if not p[2]], N_NEG)
    chosen = {(p[0], p[1]): "cue" for p in cue}
    chosen.update({(p[0], p[1]): "negative" for p in neg})
    for p in pool:
        if p[3]:
            chosen.setdefault((p[0], p[1]), "amount")
    return sorted((stem, line, stratum) for (stem, line), stratum in chosen.items())


def run(
    selector: Callable[[Path], list[tuple[str, int, str]]],
    description: str,
    argv: list[str] | None = None,
) -> int:
    """The command line of a selection script: ``FOLDER`` in, ``stem<TAB>line<TAB>stratum``
    rows on stdout."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("folder", type=Path, help="../shared/data/align/wmt-biomed-pairs")
    args = ap.parse_args(argv)
    for stem, line, stratum in selector(args.folder):
        sys.stdout.write(f"{stem}\t{line}\t{stratum}\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    return run(select, __doc__.split("\n")[0], argv)


if __name__ == "__main__":
    raise SystemExit(main())
