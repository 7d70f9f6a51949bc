"""Select the second blind NER test set from wmt-biomed-pairs (no annotkit code involved).

    python bench/blind2_select.py ../shared/data/align/wmt-biomed-pairs

The rule (documented in ``bench/blind2/README.md``): the candidates and cue words are those of
the first set (``bench/blind_select.py``: ``candidates``, ``EN_CUES``, ``ZH_CUES``). Every
candidate the first set selected (``blind_select.select``) is removed. Of the rest, every cue
pair is taken, and ``random.Random(SEED).sample`` draws ``N_NEG`` pairs without any cue
(negatives) from the remaining non-cue candidates listed in file/line order.
Prints one ``file<TAB>line<TAB>stratum`` row per selected pair, in file/line order.
Like the first script it uses only the standard library: the selection must not depend on
annotkit.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from blind_select import candidates, run  # noqa: E402
from blind_select import select as select_first  # noqa: E402

SEED = 20252
N_NEG = 25


def select(folder: Path) -> list[tuple[str, int, str]]:
    """The second set's pairs as ``(stem, line, stratum)`` in file/line order.

    ``stratum`` is ``cue`` (every cue pair the first set did not take) or ``negative``
    (drawn among the pairs without a cue that the first set did not take).
    """
    used = {(stem, line) for stem, line, _ in select_first(folder)}
    pool = [p for p in candidates(folder) if (p[0], p[1]) not in used]
    chosen = {(p[0], p[1]): "cue" for p in pool if p[2]}
    neg = random.Random(SEED).sample([p for p in pool if not p[2]], N_NEG)
    chosen.update({(p[0], p[1]): "negative" for p in neg})
    return sorted((stem, line, stratum) for (stem, line), stratum in chosen.items())


def main(argv: list[str] | None = None) -> int:
    return run(select, __doc__.split("\n")[0], argv)


if __name__ == "__main__":
    raise SystemExit(main())
