"""Scale-out benchmark: `annotkit run` in one process and on local Dask workers.

Measures, in one run of this script, with the real console script:

(a) speed-up: `annotkit run CORPUS -o OUT` in one process and with ``--workers N`` on the
    largest corpus (default 50 MB); the outputs must be byte-identical (sha256 compared);
(b) linearity: the ``--workers N`` run on growing prefixes of the corpus (default 10, 20,
    30, 40, 50 MB): least-squares slope (seconds per MB), intercept (start-up) and R²;
(c) memory: peak resident memory of every worker (the CLI's own report, taken from each
    worker process by Dask) and of the client, sampled every 0.1 s with psutil;
(d) the stanza model engine: `annotkit annotate --engine model` on a smaller corpus (default
    2 MB) in one process and on the workers, with throughput per worker. Without
    ``--model`` a model of the default architecture is trained briefly on the seed gold
    (``annotations/gold/seeds.jsonl``): its speed is that of any model of that
    architecture, its accuracy is irrelevant here.

The corpus is the seed documents replicated into one JSONL file (one record per line,
``{"id", "text"}``), or ``--corpus FILE`` (any JSONL corpus; prefixes are taken from it).
Wall time, CPU time of the whole process tree (client + workers) and the load average
before and after each run are recorded: the machine may be shared.

Usage:
    .venv/bin/python bench/scale.py --workers 2 --sizes 10,20,30,40,50 --model-mb 2

Results: ``OUT/scale.json`` and a Markdown summary on stdout.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ANNOTKIT = str(Path(sys.executable).with_name("annotkit"))
RUN_FILES = ("detect.jsonl", "align.jsonl", "annotate.jsonl", "summary.json")


# --------------------------------------------------------------------------- corpus
def build_corpus(seeds: Path, target: Path, megabytes: float) -> int:
    """The seed texts replicated into one JSONL file of >= ``megabytes`` MB of text."""
    texts = [(f.stem, f.read_text("utf-8")) for f in sorted(seeds.glob("*.txt"))]
    total = 0
    copy = 0
    with open(target, "w", encoding="utf-8") as out:
        while total < megabytes * 1e6:
            for stem, text in texts:
                rec = {"id": f"{copy:06d}_{stem}", "text": text}
                out.write(json.dumps(rec, ensure_ascii=False) + "\n")
                total += len(text.encode("utf-8"))
            copy += 1
    return total


def prefix(corpus: Path, target: Path, megabytes: float) -> dict[str, Any]:
    """The first records of ``corpus`` holding >= ``megabytes`` MB of text."""
    text_bytes = docs = 0
    with open(corpus, encoding="utf-8") as src, open(target, "w", encoding="utf-8") as out:
        for line in src:
            if text_bytes >= megabytes * 1e6:
                break
            out.write(line)
            text_bytes += len(json.loads(line)["text"].encode("utf-8"))
            docs += 1
    return {"path": str(target), "mb": round(text_bytes / 1e6, 2), "documents": docs}


# --------------------------------------------------------------------------- timing
class Sampler(threading.Thread):
    """Peak RSS of a process and of each of its descendants, sampled every 0.1 s."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peaks: dict[int, int] = {}
        self.cpu: dict[int, float] = {}
        self.names: dict[int, str] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self.stop.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            for proc in procs:
                try:
                    rss = proc.memory_info().rss
                    times = proc.cpu_times()
                    self.cpu[proc.pid] = times.user + times.system
                    if proc.pid not in self.names:
                        self.names[proc.pid] = " ".join(proc.cmdline())[-60:]
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                self.peaks[proc.pid] = max(self.peaks.get(proc.pid, 0), rss)
            time.sleep(0.1)


def _cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(args: list[str], *, env: dict[str, str]) -> dict[str, Any]:
    """Run the CLI; wall and tree CPU seconds, peak memory, its stderr notes."""
    load0 = os.getloadavg()
    cpu0 = _cpu_children()
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [ANNOTKIT, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    sampler = Sampler(proc.pid)
    sampler.start()
    _, stderr = proc.communicate()
    wall = time.perf_counter() - t0
    sampler.stop.set()
    sampler.join()
    cpu = _cpu_children() - cpu0
    if proc.returncode != 0:
        raise SystemExit(f"annotkit {' '.join(args)} failed:\n{stderr}")
    workers = re.search(r"peak memory of the (\d+) Dask worker\(s\): (.*)", stderr)
    reported = [float(x) for x in re.findall(r"(\d+) MB", workers.group(2))] if workers else []
    sampled_workers = [
        v
        for pid, v in sampler.peaks.items()
        if pid != proc.pid and "spawn_main" in sampler.names.get(pid, "")
    ]
    return {
        "args": args,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "load_before": [round(x, 2) for x in load0],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "client_peak_rss_mb": round(sampler.peaks.get(proc.pid, 0) / 2**20, 1),
        "client_cpu_s": round(sampler.cpu.get(proc.pid, 0.0), 2),  # last sample before exit
        "worker_peak_rss_mb": reported,
        "worker_peak_rss_mb_sampled": sorted(round(v / 2**20, 1) for v in sampled_workers),
    }


def digests(folder: Path, names: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for name in names:
        h = hashlib.sha256()
        with open(folder / name, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                h.update(block)
        out[name] = h.hexdigest()
    return out


def fit(xs: list[float], ys: list[float]) -> dict[str, float]:
    """Least squares y = a + b x; RETURNS slope b, intercept a, R²."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    slope = sxy / sxx
    intercept = my - slope * mx
    ss_res = sum((y - intercept - slope * x) ** 2 for x, y in zip(xs, ys, strict=True))
    ss_tot = sum((y - my) ** 2 for y in ys) or 1.0
    return {
        "slope_s_per_mb": round(slope, 3),
        "intercept_s": round(intercept, 2),
        "r2": round(1 - ss_res / ss_tot, 4),
    }


# --------------------------------------------------------------------------- model
def train_bench_model(models_dir: Path, steps: int) -> str:
    from annotkit.io import read_documents
    from annotkit.train import train_model

    docs = list(read_documents([str(ROOT / "annotations" / "gold" / "seeds.jsonl")]))
    card = train_model(docs, name="bench-scale", models_dir=models_dir, max_steps=steps, seed=1)
    return str(card.path)


def bench_model(corpus: Path, tmp: Path, args: argparse.Namespace, env: dict[str, str]) -> dict:
    model = args.model or train_bench_model(tmp / "models", args.train_steps)
    part = prefix(corpus, tmp / "model-corpus.jsonl", args.model_mb)
    res: dict[str, Any] = {"model": model, "corpus": part}
    base = ["annotate", part["path"], "--engine", "model", "--model", model]
    res["single"] = timed([*base, "-o", str(tmp / "m1.jsonl")], env=env)
    res["workers"] = timed(
        [
            *base,
            "-o",
            str(tmp / "mw.jsonl"),
            "--workers",
            str(args.workers),
            "--partition-size",
            str(args.model_partition),
        ],
        env=env,
    )
    res["identical"] = (tmp / "m1.jsonl").read_bytes() == (tmp / "mw.jsonl").read_bytes()
    mb = part["mb"]
    for key in ("single", "workers"):
        run = res[key]
        n = 1 if key == "single" else args.workers
        run["mb_per_s"] = round(mb / run["wall_s"], 4)
        run["mb_per_s_per_worker"] = round(mb / run["wall_s"] / n, 4)
        run["mb_per_cpu_s"] = round(mb / run["cpu_s"], 4)
    res["speedup"] = round(res["single"]["wall_s"] / res["workers"]["wall_s"], 2)
    return res


# --------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=Path, default=ROOT / "seeds")
    ap.add_argument("--corpus", type=Path, default=None, help="a JSONL corpus instead")
    ap.add_argument("--sizes", default="10,20,30,40,50", help="MB of text, comma-separated")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--model", default=None, help="model folder for (d)")
    ap.add_argument("--train-steps", type=int, default=60, help="steps of the bench model")
    ap.add_argument("--model-mb", type=float, default=2.0, help="corpus for (d); 0 skips")
    ap.add_argument("--model-partition", type=int, default=20, help="documents per partition")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = ap.parse_args(argv)
    sizes = [float(x) for x in args.sizes.split(",")]
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    results: dict[str, Any] = {
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "uptime": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
    }
    with tempfile.TemporaryDirectory(prefix="annotkit-scale-") as name:
        tmp = Path(name)
        corpus = args.corpus
        if corpus is None:
            corpus = tmp / "corpus.jsonl"
            build_corpus(args.seeds, corpus, max(sizes))
        parts = {s: prefix(corpus, tmp / f"c{s:g}.jsonl", s) for s in sizes}
        big = max(sizes)
        results["corpora"] = {f"{s:g}": p for s, p in parts.items()}

        def run(size: float, workers: int | None, out: str) -> dict[str, Any]:
            extra = ["--workers", str(workers)] if workers else []
            res = timed(["run", parts[size]["path"], "-o", str(tmp / out), *extra], env=env)
            res["mb"] = parts[size]["mb"]
            res["mb_per_s"] = round(res["mb"] / res["wall_s"], 3)
            return res

        single = run(big, None, "single")
        many = run(big, args.workers, "workers")
        same = digests(tmp / "single", RUN_FILES) == digests(tmp / "workers", RUN_FILES)
        results["speedup"] = {
            "single": single,
            "workers": many,
            "identical": same,
            "speedup": round(single["wall_s"] / many["wall_s"], 3),
        }
        line = []
        for size in sizes:
            res = many if size == big else run(size, args.workers, f"w{size:g}")
            line.append(res)
        results["linearity"] = {
            "runs": line,
            **fit([r["mb"] for r in line], [r["wall_s"] for r in line]),
        }
        if args.model_mb > 0:
            results["model"] = bench_model(corpus, tmp, args, env)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "scale.json").write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    report(results)
    return 0


def report(res: dict[str, Any]) -> None:
    sp = res["speedup"]
    print(f"machine: {res['cpus']} CPUs; {res['uptime']}\n")
    print("| run | MB | wall s | CPU s (tree) | MB/s | client peak MB | worker peak MB | load |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for key, label in (("single", "1 process"), ("workers", f"--workers {res['workers']}")):
        r = sp[key]
        peaks = ", ".join(f"{x:g}" for x in r["worker_peak_rss_mb"]) or "(= client)"
        load = f"{r['load_before'][0]}→{r['load_after'][0]}"
        print(
            f"| {label} | {r['mb']} | {r['wall_s']} | {r['cpu_s']} | {r['mb_per_s']} | "
            f"{r['client_peak_rss_mb']} | {peaks} | {load} |"
        )
    print(f"\nspeed-up {sp['speedup']}x; outputs identical: {sp['identical']}\n")
    lin = res["linearity"]
    print("| MB | wall s | MB/s | worker peak MB |\n|---:|---:|---:|---:|")
    for r in lin["runs"]:
        print(
            f"| {r['mb']} | {r['wall_s']} | {r['mb_per_s']} | "
            f"{', '.join(f'{x:g}' for x in r['worker_peak_rss_mb'])} |"
        )
    print(
        f"\nslope {lin['slope_s_per_mb']} s/MB, intercept {lin['intercept_s']} s, R² {lin['r2']}\n"
    )
    if "model" in res:
        m = res["model"]
        print(
            f"model engine on {m['corpus']['mb']} MB ({m['corpus']['documents']} docs): "
            f"identical {m['identical']}, speed-up {m['speedup']}x"
        )
        for key in ("single", "workers"):
            r = m[key]
            print(
                f"  {key}: {r['wall_s']} s wall, {r['cpu_s']} s CPU, {r['mb_per_s']} MB/s, "
                f"{r['mb_per_s_per_worker']} MB/s per worker, worker peak "
                f"{r['worker_peak_rss_mb'] or r['client_peak_rss_mb']} MB"
            )


if __name__ == "__main__":
    raise SystemExit(main())
