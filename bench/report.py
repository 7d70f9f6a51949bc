"""HTML report benchmark: render time and file size for a large corpus, page speed in Chromium.

The corpus is synthesised from the seeds (no shared data needed): the pipeline runs once on
``seeds/`` (rules engine), then each of the five records is copied with a new id, a random
fifth of its spans dropped, scores drawn from [0.3, 1] and, for every third copy, a pulled
review (spans kept/changed/added by an annotator, ``review.changes`` counts). Gold is the
seeds gold copied under the same ids. Everything is seeded: the same corpus every run.

(a) render: ``annotkit report CORPUS --gold GOLD -o report.html [--max-mb MB]`` in a child
    process: wall time, peak RSS, file size, documents with a view, highlights.
(b) page (``--browser``): the written page in headless Chromium: load time (navigation start
    to the load event), time to filter all views by a search term, console errors.

Usage:
    .venv/bin/python bench/report.py --docs 5000 --browser

Results: ``OUT/report.json`` and a summary on stdout (OUT defaults to bench/out/report).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from annotkit.doc import Document, Review
from annotkit.io import document_to_record, read_documents, write_jsonl
from annotkit.pipeline import run_document

ROOT = Path(__file__).resolve().parents[1]
ANNOTKIT = str(Path(sys.executable).with_name("annotkit"))


def synthesise(seeds: list[Document], n: int, rng: random.Random) -> list[Document]:
    """``n`` copies of the seed records with new ids, shuffled spans, scores and reviews."""
    out = []
    for i in range(n):
        base = seeds[i % len(seeds)]
        spans = []
        for s in base.spans:
            if rng.random() < 0.2:
                continue  # a random fifth dropped
            spans.append(replace(s, score=round(rng.uniform(0.3, 1.0), 3)))
        review = None
        if i % 3 == 0:
            statuses = ("kept", "kept", "kept", "changed", "added")
            spans = [replace(s, status=rng.choice(statuses), by="alice") for s in spans]
            changes = {"kept": sum(s.status == "kept" for s in spans), "removed": rng.randint(0, 3),
                       "added": sum(s.status == "added" for s in spans), "relabelled": 0,
                       "boundary_changed": sum(s.status == "changed" for s in spans)}  # fmt: skip
            review = Review("confirmed", project="bench", example=i, annotators=("alice",),
                            confirmed_by=("alice",), changes=changes)  # fmt: skip
        out.append(replace(base, id=f"{base.id}-{i:05d}", spans=tuple(spans), review=review))
    return out


def render(corpus: Path, gold: Path, page: Path, max_mb: float | None) -> dict[str, Any]:
    cmd = [ANNOTKIT, "report", str(corpus), "--gold", str(gold), "-o", str(page)]
    if max_mb is not None:
        cmd += ["--max-mb", str(max_mb)]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"annotkit report failed: {proc.stderr}")
    html = page.read_text(encoding="utf-8")
    return {
        "command": " ".join(["annotkit", *cmd[1:]]),
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        "bytes": page.stat().st_size,
        "views": html.count('<section class="doc" id="d'),
        "highlights": html.count(" data-label="),
        "stderr": proc.stderr.strip(),
    }


def browse(page: Path, term: str) -> dict[str, Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    with tempfile.TemporaryDirectory() as profile:
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,1000", f"--user-data-dir={profile}"):  # fmt: skip
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver")
        driver = webdriver.Chrome(service=service, options=options)
        driver.set_page_load_timeout(300)
        driver.set_script_timeout(120)
        try:
            driver.get(page.resolve().as_uri())
            load_ms = driver.execute_script(
                "const t = performance.getEntriesByType('navigation')[0];"
                "return Math.round(t.loadEventEnd - t.startTime);"
            )
            search_ms = driver.execute_async_script(
                """
                const done = arguments[arguments.length - 1];
                const box = document.getElementById('q');
                const status = document.getElementById('status');
                const before = status.textContent;
                const t0 = performance.now();
                box.value = arguments[0];
                box.dispatchEvent(new Event('input'));
                (function wait() {
                  if (status.textContent !== before) { done(Math.round(performance.now() - t0)); }
                  else { setTimeout(wait, 5); }
                })();
                """,
                term,
            )
            status = driver.find_element("id", "status").text
            severe = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        finally:
            driver.quit()
    return {
        "load_ms": load_ms,
        "search_ms_with_150ms_debounce": search_ms,
        "search_term": term,
        "search_status": status,
        "console_errors": severe,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=5000)
    parser.add_argument("--seeds", type=Path, default=ROOT / "seeds")
    parser.add_argument("--gold", type=Path, default=ROOT / "annotations" / "gold" / "seeds.jsonl")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "report")
    parser.add_argument("--browser", action="store_true", help="also time the page in Chromium")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--max-mb", type=float, default=None, help="passed to annotkit report")
    args = parser.parse_args(argv)

    args.out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    seeds = [run_document(d).doc for d in read_documents([str(args.seeds)])]
    corpus = synthesise(seeds, args.docs, rng)
    gold_seeds = {d.id: d for d in read_documents([str(args.gold)])}
    gold = [replace(gold_seeds[d.id.rsplit("-", 1)[0]], id=d.id) for d in corpus]
    corpus_path, gold_path = args.out / "corpus.jsonl", args.out / "gold.jsonl"
    write_jsonl((document_to_record(d) for d in corpus), corpus_path)
    write_jsonl((document_to_record(d) for d in gold), gold_path)
    result: dict[str, Any] = {
        "documents": len(corpus),
        "spans": sum(len(d.spans) for d in corpus),
        "corpus_bytes": corpus_path.stat().st_size,
        "render": render(corpus_path, gold_path, args.out / "report.html", args.max_mb),
    }
    if args.browser:
        result["page"] = browse(args.out / "report.html", "bone marrow")
    (args.out / "report.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    r = result["render"]
    print(f"{result['documents']} documents, {result['spans']} spans, corpus "
          f"{result['corpus_bytes'] / 1e6:.1f} MB")  # fmt: skip
    print(f"render: {r['seconds']} s, {r['bytes'] / 1e6:.2f} MB, {r['views']} views, "
          f"{r['highlights']} highlights, peak RSS {r['peak_rss_mb']} MB")  # fmt: skip
    if "page" in result:
        p = result["page"]
        print(f"page: load {p['load_ms']} ms, search {p['search_ms_with_150ms_debounce']} ms "
              f"({p['search_status']}), console errors {len(p['console_errors'])}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
