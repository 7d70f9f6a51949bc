"""Big and bad input: how annotkit scales with document length, and the bad-input corpus.

Sections (each can be skipped with ``--skip a,b,...``):

(a) scaling: one long document per size (``--sizes``, MB of text) built from the text files
    in ``TEXTS`` (the seed corpus), each copy with its own abbreviations (every all-caps
    acronym gets a copy tag, so a long document defines ever more short forms, as a book
    or a concatenated corpus does). ``annotkit annotate`` end to end (it detects and aligns
    first) in a child process: wall seconds, peak RSS; and the rules engine alone
    (``annotate_text``) in this process. The target: 4 MB / 1 MB time ratio <= 5.
(b) detect memory: ``annotkit detect`` on a ``--detect-mb`` (20) MB document: peak RSS
    (target <= 2 GB).
(c) one huge record: a ``--huge-mb`` (1000) MB single-field JSONL line through
    ``annotkit convert``: refused by the ``max_document_chars`` limit while read, with the
    peak RSS of the refusal (it used to grow to 6 GB).
(d) the bad-input corpus (``--corpus``, default ``tests/data/bad_corpus.json``): every case
    through the console script, classified as a clear error (exit 1, ``error: <where>:``,
    no traceback, nothing written), a documented result (its expected exit code and
    output), or a failure.

Usage:
    .venv/bin/python bench/stress.py seeds --sizes 1,2,4 --detect-mb 20 --huge-mb 1000

Results: a summary on stdout (markdown tables) and ``--out`` (JSON, default
``/tmp/annotkit-stress/stress.json``). Runs on one core per child; note the machine load.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import string
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ANNOTKIT = str(Path(sys.executable).with_name("annotkit"))
_ACRONYM = re.compile(r"\b([A-Z]{2,5})(s?)\b")


# --------------------------------------------------------------------------- documents
def _tag(k: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA, ...: a copy's acronym suffix."""
    out, k = "", k + 1
    while k:
        k, r = divmod(k - 1, 26)
        out = string.ascii_uppercase[r] + out
    return out


def long_text(texts: Path, chars: int) -> str:
    """``chars`` characters of the files in ``texts``, repeated, each copy's acronyms tagged."""
    base = "\n\n".join(p.read_text("utf-8") for p in sorted(texts.glob("*.txt")))
    if not base:
        sys.exit(f"error: {texts}: no .txt files; pass the seed folder")
    parts, n, k = [], 0, 0
    while n < chars:
        tag = _tag(k)
        copy = _ACRONYM.sub(lambda m, t=tag: m.group(1) + t + m.group(2), base)
        parts.append(copy)
        n += len(copy) + 2
        k += 1
    return "\n\n".join(parts)[:chars]


def write_doc(path: Path, doc_id: str, text: str) -> None:
    path.write_text(json.dumps({"id": doc_id, "text": text}, ensure_ascii=False) + "\n", "utf-8")


# --------------------------------------------------------------------------- children
def run_child(argv: list[str], *, env: dict[str, str] | None = None, **kw: Any) -> dict[str, Any]:
    """Run ``argv``; RETURNS exit code, wall and CPU seconds, peak RSS (MB) and stderr.
    The ``-o`` file is removed first (no backup to keep, and older annotkit runs too)."""
    if "-o" in argv:
        Path(argv[argv.index("-o") + 1]).unlink(missing_ok=True)
    start = time.monotonic()
    proc = subprocess.Popen(argv, stderr=subprocess.PIPE, env=env, **kw)
    err = b""

    def drain() -> None:
        nonlocal err
        assert proc.stderr is not None
        err = proc.stderr.read()

    reader = threading.Thread(target=drain)
    reader.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    reader.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {
        "rc": proc.returncode,
        "seconds": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "rss_mb": round(usage.ru_maxrss / 1024, 1),
        "stderr": err.decode("utf-8", "replace"),
    }


def _env(**extra: str) -> dict[str, str]:
    return dict(os.environ, PYTHONIOENCODING="utf-8", **extra)


# --------------------------------------------------------------------------- sections
def scaling(texts: Path, sizes: list[float], work: Path) -> dict[str, Any]:
    from annotkit.annotate.rules import annotate_text

    annotate_text("warm up: 5 mL MSCs")
    rows = []
    for mb in sizes:
        text = long_text(texts, int(mb * 1_000_000))
        path = work / f"doc{mb:g}.jsonl"
        write_doc(path, f"doc{mb:g}", text)
        t0 = time.process_time()  # CPU time: the machine may be shared
        spans = annotate_text(text)
        rules_s = time.process_time() - t0
        cli = run_child(
            [ANNOTKIT, "annotate", str(path), "-o", str(work / "out.jsonl"), "-q"],
            env=_env(),
        )
        if cli["rc"] != 0:
            sys.exit(f"annotate failed on {mb} MB: {cli['stderr'][-2000:]}")
        rows.append(
            {
                "mb": mb,
                "chars": len(text),
                "spans": len(spans),
                "rules_s": round(rules_s, 2),
                "annotate_s": cli["seconds"],
                "annotate_cpu_s": cli["cpu_s"],
                "annotate_rss_mb": cli["rss_mb"],
            }
        )
        print(
            f"  (a) {mb:g} MB: rules {rules_s:.2f} s, annotate {cli['seconds']} s "
            f"({cli['cpu_s']} CPU s), {cli['rss_mb']} MB RSS",
            file=sys.stderr,
            flush=True,
        )
    small, big = rows[0], rows[-1]
    scale = big["mb"] / small["mb"]
    return {
        "rows": rows,
        "size_ratio": scale,
        "annotate_ratio": round(big["annotate_s"] / small["annotate_s"], 2),
        "annotate_cpu_ratio": round(big["annotate_cpu_s"] / small["annotate_cpu_s"], 2),
        "rules_ratio": round(big["rules_s"] / max(small["rules_s"], 1e-9), 2),
    }


def detect_memory(texts: Path, mb: float, work: Path) -> dict[str, Any]:
    path = work / "detect.jsonl"
    write_doc(path, "detect", long_text(texts, int(mb * 1_000_000)))
    out = run_child(
        [ANNOTKIT, "detect", str(path), "-o", str(work / "detected.jsonl"), "-q"],
        env=_env(),
    )
    if out["rc"] != 0:
        sys.exit(f"detect failed: {out['stderr'][-2000:]}")
    return {"mb": mb, "seconds": out["seconds"], "cpu_s": out["cpu_s"], "rss_mb": out["rss_mb"]}


def huge_record(mb: int, work: Path) -> dict[str, Any]:
    path = work / "huge.jsonl"
    chunk = "MSCs were injected at 5 mL. " * 37_000  # ~1 MB
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('{"id": "huge", "text": "')
        for _ in range(mb):
            fh.write(chunk)
        fh.write('"}\n{"id": "small", "text": "5 mL MSCs"}\n')
    size = path.stat().st_size
    argv = [ANNOTKIT, "convert", str(path), "-o", str(work / "huge-out.jsonl")]
    refused = run_child(argv, env=_env())
    skipped = run_child([*argv, "--skip-errors"], env=_env())
    path.unlink()
    first = next((x for x in refused["stderr"].splitlines() if x.startswith("error: ")), "")
    return {
        "bytes": size,
        "refused_rc": refused["rc"],
        "refused_rss_mb": refused["rss_mb"],
        "refused_seconds": refused["seconds"],
        "message": first,
        "skip_rc": skipped["rc"],
        "skip_rss_mb": skipped["rss_mb"],
    }


def corpus(path: Path, work: Path) -> dict[str, Any]:
    """Every bad-input case through the console script, classified."""
    sys.path.insert(0, str(ROOT / "tests" / "cli"))
    import importlib.util

    spec = importlib.util.spec_from_file_location("bad_input", ROOT / "tests/cli/test_bad_input.py")
    assert spec is not None and spec.loader is not None
    runner = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(runner)
    cases = json.loads(path.read_text("utf-8"))["cases"]
    rows = []
    for case in cases:
        folder = Path(tempfile.mkdtemp(dir=work))
        result = runner.run_case(case, folder)
        stderr = result.stderr.decode("utf-8", "replace")
        errors = [x for x in stderr.splitlines() if x.startswith("error: ")]
        traceback = "Traceback" in stderr
        if case["rc"] == 1:
            ok = (
                result.returncode == 1
                and bool(errors)
                and case["where"] in errors[0]
                and not (folder / "out.jsonl").exists()
            )
            kind = "clear error" if ok and not traceback else "FAILED"
        else:
            ok = result.returncode == case["rc"]
            if "out_lines" in case and ok:
                lines = (folder / "out.jsonl").read_text("utf-8").split("\n")
                ok = len([x for x in lines if x]) == case["out_lines"]
            kind = "documented result" if ok and not traceback else "FAILED"
        tail = stderr.strip().splitlines()
        message = errors[0] if errors else (tail[-1] if tail else "")
        rows.append(
            {
                "id": case["id"],
                "why": case["why"],
                "rc": result.returncode,
                "kind": kind,
                "traceback": traceback,
                "message": message,
            }
        )
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["kind"]] = counts.get(r["kind"], 0) + 1
    return {"cases": len(rows), "counts": counts, "rows": rows}


# --------------------------------------------------------------------------- report
def report(res: dict[str, Any]) -> str:
    out = []
    if "scaling" in res:
        s = res["scaling"]
        out += [
            "### (a) Scaling with document length",
            "",
            "| text MB | characters | spans | rules engine CPU s | `annotate` wall s | "
            "`annotate` CPU s | `annotate` peak RSS MB |",
            "|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in s["rows"]:
            out.append(
                f"| {r['mb']:g} | {r['chars']:,} | {r['spans']:,} | {r['rules_s']} | "
                f"{r['annotate_s']} | {r['annotate_cpu_s']} | {r['annotate_rss_mb']} |"
            )
        out += [
            "",
            f"Ratio largest/smallest ({s['size_ratio']:g}x the text): `annotate` "
            f"{s['annotate_ratio']}x wall, {s['annotate_cpu_ratio']}x CPU; rules engine "
            f"{s['rules_ratio']}x CPU.",
            "",
        ]
    if "detect" in res:
        d = res["detect"]
        out += [
            "### (b) detect memory",
            "",
            f"`annotkit detect` on {d['mb']:g} MB of text: "
            f"{d['seconds']} s ({d['cpu_s']} CPU s), peak RSS {d['rss_mb']} MB.",
            "",
        ]
    if "huge" in res:
        h = res["huge"]
        out += [
            "### (c) One huge record",
            "",
            f"A {h['bytes'] / 1e6:,.0f} MB single-field JSONL line: `convert` exit "
            f"{h['refused_rc']} in {h['refused_seconds']} s, peak RSS {h['refused_rss_mb']} "
            f"MB; with `--skip-errors` exit {h['skip_rc']}, peak RSS {h['skip_rss_mb']} MB.",
            "",
            f"`{h['message']}`",
            "",
        ]
    if "corpus" in res:
        c = res["corpus"]
        summary = ", ".join(f"{v} {k}" for k, v in sorted(c["counts"].items()))
        out += [
            "### (d) Bad-input corpus",
            "",
            f"{c['cases']} cases: {summary}.",
            "",
            "| case | input | exit | result |",
            "|---|---|---:|---|",
        ]
        for r in c["rows"]:
            msg = r["message"].replace("|", "\\|")
            if len(msg) > 110:
                msg = msg[:107] + "..."
            out.append(f"| {r['id']} | {r['why']} | {r['rc']} | {r['kind']}: `{msg}` |")
        out.append("")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("texts", type=Path, help="folder of .txt files (the seeds) to build documents")
    ap.add_argument("--sizes", default="1,2,4", help="MB of text for (a), comma-separated")
    ap.add_argument("--detect-mb", type=float, default=20.0)
    ap.add_argument("--huge-mb", type=int, default=1000)
    ap.add_argument("--corpus", type=Path, default=ROOT / "tests" / "data" / "bad_corpus.json")
    ap.add_argument("--skip", default="", help="sections to skip, e.g. a,c")
    ap.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temp)")
    ap.add_argument("--out", type=Path, default=Path("/tmp/annotkit-stress/stress.json"))
    args = ap.parse_args()
    skip = set(args.skip.split(",")) - {""}
    work = args.work or Path(tempfile.mkdtemp(prefix="annotkit-stress-"))
    work.mkdir(parents=True, exist_ok=True)
    res: dict[str, Any] = {"load": os.getloadavg()}
    if "a" not in skip:
        res["scaling"] = scaling(args.texts, [float(x) for x in args.sizes.split(",")], work)
    if "b" not in skip:
        res["detect"] = detect_memory(args.texts, args.detect_mb, work)
    if "c" not in skip:
        res["huge"] = huge_record(args.huge_mb, work)
    if "d" not in skip:
        res["corpus"] = corpus(args.corpus, work)
    res["load_after"] = os.getloadavg()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=1, ensure_ascii=False) + "\n", "utf-8")
    print(report(res))
    print(f"load average before {res['load']}, after {res['load_after']}")


if __name__ == "__main__":
    main()
