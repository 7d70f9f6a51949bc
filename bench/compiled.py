"""Does compiling the Python make the rules path faster? (issue 13's throughput target)

Copies ``src/annotkit`` into a scratch folder, compiles the language-ID, segmentation and
rules modules there with mypyc (it ships with mypy, a dev dependency; a C compiler and the
Python headers are needed), then times the stages ``annotkit annotate`` runs (detect, align,
annotate, read and write: ``bench/ner.py``'s speed child, the throughput target's own
measurement) on replicated seeds, alternating the pure and the compiled package run by run,
each in a fresh process on one core. Prints one JSON line per run and a summary; the output
files of both builds are compared byte for byte.

The aligner's modules are left out: they compile but stop on a run-time type check
(``--align`` tries them anyway).

USAGE:
    .venv/bin/python bench/compiled.py --seeds seeds --mb 6 --runs 3
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MODULES = [
    "annotkit/langid.py",
    "annotkit/segment.py",
    "annotkit/annotate/rules.py",
    "annotkit/annotate/dose.py",
    "annotkit/annotate/lexicon.py",
    "annotkit/annotate/zh_cells.py",
    "annotkit/annotate/abbrev.py",
    "annotkit/annotate/acronyms.py",
]
ALIGN = ["annotkit/align/dp.py", "annotkit/align/lexicon.py", "annotkit/align/passages.py"]

NER = ROOT / "bench" / "ner.py"
# which build a run imports (the same environment as the timed child)
WHICH = "import annotkit.langid as m; print(m.__file__)"


def build(scratch: Path, modules: list[str]) -> Path:
    """Compile ``modules`` of a copy of the package; return the folder to put on the path."""
    src = scratch / "src"
    shutil.copytree(ROOT / "src" / "annotkit", src / "annotkit")
    proc = subprocess.run(
        [sys.executable, "-m", "mypyc", "--config-file", str(ROOT / "pyproject.toml"), *modules],
        cwd=src,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        sys.exit(f"mypyc failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    built = next((src / "build").glob("lib.*"))
    for so in built.rglob("*.so"):
        target = src / so.relative_to(built)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(so, target)
    return src


def time_once(corpus: Path, out: Path, path: Path | None) -> dict[str, Any]:
    """``bench/ner.py``'s speed child (the throughput target's own measurement) on ``corpus``,
    importing the compiled package from ``path`` (None: the pure one)."""
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    if path is not None:
        env["PYTHONPATH"] = str(path)
    which = subprocess.run([sys.executable, "-c", WHICH], capture_output=True, text=True,
                           env=env, check=True).stdout.strip()  # fmt: skip
    proc = subprocess.run(
        [sys.executable, str(NER), "--_speed-child", str(corpus), str(out), "rules"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    row: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    return {"compiled": which.endswith(".so"), "langid": which, "output_sha256": digest, **row}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=Path, default=ROOT / "seeds")
    ap.add_argument("--mb", type=float, default=6.0, help="corpus size (replicated seeds)")
    ap.add_argument("--runs", type=int, default=3, help="runs of each build, alternating")
    ap.add_argument("--align", action="store_true", help="compile the aligner's modules too")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT / "bench"))
    from ner import replicate_seeds

    with tempfile.TemporaryDirectory(prefix="annotkit-compiled-") as tmp:
        scratch = Path(tmp)
        corpus = scratch / "corpus"
        replicate_seeds(args.seeds, corpus, args.mb)
        compiled = build(scratch, MODULES + (ALIGN if args.align else []))
        rows: dict[str, list[dict[str, Any]]] = {"pure": [], "compiled": []}
        for _ in range(args.runs):
            for name, path in (("pure", None), ("compiled", compiled)):
                row = time_once(corpus, scratch / f"{name}.jsonl", path)
                if row["compiled"] != (name == "compiled"):
                    sys.exit(f"the {name} run imported the wrong build: {row['langid']}")
                print(json.dumps({"build": name, **row}), flush=True)
                rows[name].append(row)
    same = {r["output_sha256"] for rs in rows.values() for r in rs}
    summary = {name: [r["mb_per_cpu_s"] for r in rs] for name, rs in rows.items()} | {
        "identical_output": len(same) == 1
    }
    print(json.dumps(summary))
    return 0 if len(same) == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
