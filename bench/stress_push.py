"""Concurrent pushes of one file to one doccano project (issue 11): do they duplicate?

Starts a local doccano server with annotkit's own code in a temporary home (or uses the one
running in ``--home``), writes ``--docs`` synthetic documents (bench/doccano.py's generator,
fixed seed) to a JSONL file, then for each count in ``--pushers`` and each trial starts that
many ``annotkit doccano push FILE --project NEW --create`` processes at once (real console
scripts, as cron jobs and laptops would) and counts the project's examples afterwards.
Odd-numbered pushers use a second doccano home (their own ledger and lock journal, the
server's admin from ANNOTKIT_DOCCANO_*: a second machine), so only doccano is shared::

    .venv/bin/python bench/stress_push.py --docs 2000 --pushers 2,4 --trials 3

Prints one JSON object: per pusher count, the example counts per trial, whether every
trial ended with exactly ``--docs`` examples (one per document id), and the wall times.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import requests

from annotkit.io import document_to_record, write_jsonl
from annotkit.sync.accounts import load_suggester, save_suggester
from annotkit.sync.server import load_credentials, start_server, stop_server


def _synthetic_docs(n: int) -> list[Any]:
    spec = importlib.util.spec_from_file_location(
        "bench_doccano", Path(__file__).with_name("doccano.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.synthetic_docs(n))


def _examples(url: str, user: str, password: str, project: str) -> tuple[int, int, int]:
    """(projects named ``project``, examples, distinct annotkit ids) on the server."""
    s = requests.Session()
    s.headers["referer"] = url
    s.post(
        f"{url}/v1/auth/login/", json={"username": user, "password": password}, timeout=60
    ).raise_for_status()
    found = [
        p
        for p in s.get(f"{url}/v1/projects", params={"limit": 1000}, timeout=60).json()["results"]
        if p["name"] == project
    ]
    examples = []
    for p in found:
        examples += s.get(
            f"{url}/v1/projects/{p['id']}/examples", params={"limit": 100000}, timeout=600
        ).json()["results"]
    return len(found), len(examples), len({e["meta"].get("annotkit_id") for e in examples})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--pushers", default="2,4", help="comma-separated numbers of pushers")
    ap.add_argument("--trials", type=int, default=3)
    ap.add_argument("--chunk-size", type=int, default=500)
    ap.add_argument("--home", default=None, help="use the server running in this home")
    ap.add_argument(
        "--annotkit",
        default=str(Path(sys.executable).with_name("annotkit")),
        help="the console script to run",
    )
    ap.add_argument("--json", default=None, help="also write the results here")
    args = ap.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="annotkit-stress-push-"))
    home = Path(args.home) if args.home else work / "home-a"
    if args.home is None:
        start_server(home, progress=lambda m: print(m, file=sys.stderr))
    try:
        creds = load_credentials(home)
        other = work / "home-b"
        suggester = load_suggester(home, creds["url"])
        if suggester is not None:
            save_suggester(other, creds["url"], *suggester)
        src = work / "docs.jsonl"
        write_jsonl([document_to_record(d) for d in _synthetic_docs(args.docs)], src)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ANNOTKIT_DOCCANO_")}
        env.update(
            ANNOTKIT_DOCCANO_URL=creds["url"],
            ANNOTKIT_DOCCANO_USERNAME=creds["username"],
            ANNOTKIT_DOCCANO_PASSWORD=creds["password"],
        )
        results: dict[str, Any] = {"docs": args.docs, "trials": args.trials, "runs": {}}
        for n in (int(x) for x in args.pushers.split(",")):
            runs = []
            for _ in range(args.trials):
                name = f"stress-{n}-{uuid.uuid4().hex[:8]}"
                cmd = [
                    args.annotkit,
                    "doccano",
                    "push",
                    str(src),
                    "--project",
                    name,
                    "--create",
                    "--chunk-size",
                    str(args.chunk_size),
                    "-q",
                ]
                t0 = time.monotonic()
                procs = [
                    subprocess.Popen(
                        [*cmd, "--home", str(home if k % 2 == 0 else other)],
                        env=env,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.PIPE,
                        text=True,
                    )
                    for k in range(n)
                ]
                codes = []
                for p in procs:
                    _, err = p.communicate(timeout=1800)
                    codes.append(p.returncode)
                    if p.returncode:
                        print(err[-2000:], file=sys.stderr)
                wall = time.monotonic() - t0
                projects, examples, distinct = _examples(
                    creds["url"], creds["username"], creds["password"], name
                )
                runs.append(
                    {
                        "exit_codes": codes,
                        "projects": projects,
                        "examples": examples,
                        "distinct_ids": distinct,
                        "wall_s": round(wall, 1),
                    }
                )
                print(json.dumps({"pushers": n, **runs[-1]}), file=sys.stderr)
            results["runs"][str(n)] = {
                "examples": [r["examples"] for r in runs],
                "exact": all(
                    r["examples"] == args.docs == r["distinct_ids"]
                    and r["projects"] == 1
                    and not any(r["exit_codes"])
                    for r in runs
                ),
                "wall_s": [r["wall_s"] for r in runs],
            }
        print(json.dumps(results, indent=2))
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    finally:
        if args.home is None:
            stop_server(home)
    return 0


if __name__ == "__main__":
    sys.exit(main())
