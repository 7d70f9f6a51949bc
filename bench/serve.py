"""``annotkit serve`` latency benchmark: POST /annotate with one abstract, 10 concurrent clients.

Starts ``annotkit serve`` (a real process, loopback, free port, temporary doccano home and
models folder, so the rules engine answers unless ``--models-dir`` holds a promoted model),
warms it up, then runs ``--clients`` threads that each send ``--requests`` requests one
after the other, each holding one abstract (round robin over the inputs) in the body, the
way doccano's auto-labelling sends one example. Reports latency p50/p95/p99/max of the
whole HTTP round trip and requests per second over the run; the clients run on the same
machine as the service (2 cores here), so they take CPU from it.

Usage:
    .venv/bin/python bench/serve.py ../shared/data/ner/gold-dev/en.jsonl \
        ../shared/data/ner/gold-dev/zh.jsonl --clients 10 --requests 40

Results: a JSON object on stdout, a summary on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import requests

from annotkit.io import read_documents
from annotkit.sync.server import free_port


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[k]


def _start(home: Path, models: Path, engine: str) -> tuple[subprocess.Popen[bytes], str, str]:
    port = free_port()
    env = dict(os.environ, ANNOTKIT_MODELS_DIR=str(models))
    log = open(home.parent / "serve.log", "wb")  # noqa: SIM115 - handed to the child
    proc = subprocess.Popen(
        [sys.executable, "-m", "annotkit", "serve", "--home", str(home), "--port", str(port),
         "--engine", engine],
        env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"annotkit serve exited: {(home.parent / 'serve.log').read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2):
                return proc, url, (home / "serve.token").read_text().strip()
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("annotkit serve did not come up within 120 s")


def run(texts: list[str], *, clients: int, per_client: int, engine: str,
        models: Path | None) -> dict[str, Any]:  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        home = Path(tmp) / "home"
        proc, url, token = _start(home, models or Path(tmp) / "models", engine)
        try:
            headers = {"Authorization": f"Bearer {token}"}
            with requests.Session() as warm:
                for text in texts:  # each abstract once: lexicons, detection caches
                    warm.post(f"{url}/annotate", json={"text": text}, headers=headers,
                              timeout=120).raise_for_status()  # fmt: skip
            latencies: list[float] = []
            errors: list[str] = []
            lock = threading.Lock()
            barrier = threading.Barrier(clients + 1)

            def client(k: int) -> None:
                mine: list[float] = []
                with requests.Session() as s:
                    barrier.wait()
                    for i in range(per_client):
                        text = texts[(k * per_client + i) % len(texts)]
                        t0 = time.perf_counter()
                        r = s.post(f"{url}/annotate", json={"text": text}, headers=headers,
                                   timeout=120)  # fmt: skip
                        mine.append(time.perf_counter() - t0)
                        if r.status_code != 200:
                            with lock:
                                errors.append(f"{r.status_code} {r.text[:100]}")
                with lock:
                    latencies.extend(mine)

            threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
            for t in threads:
                t.start()
            barrier.wait()
            start = time.perf_counter()
            for t in threads:
                t.join()
            wall = time.perf_counter() - start
            health = requests.get(f"{url}/health", timeout=30).json()
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    ms = [x * 1000 for x in latencies]
    return {
        "engine": health["engine"],
        "model": health["model"],
        "clients": clients,
        "requests": len(ms),
        "errors": len(errors),
        "abstracts": len(texts),
        "mean_chars": round(statistics.mean(len(t) for t in texts)),
        "p50_ms": round(_percentile(ms, 0.50), 1),
        "p95_ms": round(_percentile(ms, 0.95), 1),
        "p99_ms": round(_percentile(ms, 0.99), 1),
        "max_ms": round(max(ms), 1),
        "requests_per_s": round(len(ms) / wall, 1),
        "wall_s": round(wall, 2),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("inputs", nargs="+", help="abstracts: JSONL/txt/CSV files or folders")
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--requests", type=int, default=40, help="requests per client")
    ap.add_argument("--engine", default="auto", help="the service's --engine (auto = rules "
                    "unless the models folder has a promoted model)")  # fmt: skip
    ap.add_argument("--models-dir", type=Path, default=None)
    args = ap.parse_args(argv)
    texts = [d.text for d in read_documents(args.inputs) if d.text.strip()]
    if not texts:
        raise SystemExit("no texts in the inputs")
    result = run(texts, clients=args.clients, per_client=args.requests, engine=args.engine,
                 models=args.models_dir)  # fmt: skip
    print(json.dumps(result))
    print(
        f"{result['engine']}: {result['requests']} requests from {result['clients']} clients "
        f"({result['errors']} errors), abstracts of {result['mean_chars']} chars on average: "
        f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, p99 {result['p99_ms']} ms, "
        f"{result['requests_per_s']} requests/s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
