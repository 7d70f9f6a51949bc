"""Batch runs on real Dask: a LocalCluster, and `dask scheduler` + `dask worker` processes.

The module starts its own scheduler and two worker processes on 127.0.0.1 (random ports,
a scheduler file) and stops exactly those processes at the end. Every run is compared
byte for byte with the single-process run of the same command; runs killed with SIGKILL
are resumed and must give the same bytes. Nothing skips: without Dask the tests fail.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cloudpickle
import pytest

import annotkit
from annotkit.batch import Job, run_job
from annotkit.doc import Document
from annotkit.errors import ConfigError
from annotkit.executor import LocalExecutor, open_executor
from annotkit.jobs import annotate_lines
from annotkit.parts import PartStore

pytestmark = pytest.mark.dask

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ANNOTKIT = str(BIN / "annotkit")
DASK = str(BIN / "dask")
SRC = str(Path(annotkit.__file__).resolve().parents[1])  # the annotkit under test
cloudpickle.register_pickle_by_value(sys.modules[__name__])  # test helpers run on workers


def _env() -> dict[str, str]:
    path = os.pathsep.join(p for p in (SRC, os.environ.get("PYTHONPATH")) if p)
    return dict(os.environ, PYTHONPATH=path, PYTHONIOENCODING="utf-8")


def make_corpus(path: Path, n: int) -> Path:
    """n documents: the seed texts, each with its own sentence appended (bilingual ones too)."""
    seeds = sorted((REPO / "seeds").glob("*.txt"))
    with open(path, "w", encoding="utf-8") as out:
        for i in range(n):
            text = seeds[i % len(seeds)].read_text("utf-8")
            text += (
                f"\nCohort {i}: {i + 1} million MSCs were injected.\n队列{i}：注射{i + 1}毫升。\n"
            )
            out.write(json.dumps({"id": f"doc-{i:04d}", "text": text}, ensure_ascii=False) + "\n")
    return path


def cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ANNOTKIT, *args], capture_output=True, text=True, env=_env(), timeout=timeout,
        cwd=REPO, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_corpus(tmp_path_factory.mktemp("corpus") / "corpus.jsonl", 40)


@pytest.fixture(scope="module")
def single(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The single-process outputs everything is compared with."""
    out = tmp_path_factory.mktemp("single")
    res = cli("annotate", str(corpus), "-o", str(out / "annotate.jsonl"), "--quiet")
    assert res.returncode == 0, res.stderr
    table = cli("run", str(corpus), "-o", str(out / "run"))
    assert table.returncode == 0, table.stderr
    files = {f"run/{p.name}": p.read_bytes() for p in (out / "run").iterdir()}
    return {"annotate": (out / "annotate.jsonl").read_bytes(), "table": table.stdout.encode(),
            **files}  # fmt: skip


@dataclass(frozen=True)
class Cluster:
    address: str  # tcp://127.0.0.1:PORT
    file: Path  # the scheduler file it wrote


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A real `dask scheduler` and `dask worker --nworkers 2` on loopback."""
    from distributed import Client

    tmp = tmp_path_factory.mktemp("dask")
    info = tmp / "scheduler.json"
    logs = open(tmp / "dask.log", "wb")  # noqa: SIM115 - closed below
    procs: list[subprocess.Popen[bytes]] = []
    try:
        procs.append(subprocess.Popen(
            [DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--dashboard-address",
             "127.0.0.1:0", "--scheduler-file", str(info), "--idle-timeout", "900"],
            stdout=logs, stderr=subprocess.STDOUT, env=_env(), start_new_session=True,
        ))  # fmt: skip
        deadline = time.monotonic() + 60
        while not info.exists() and time.monotonic() < deadline:
            assert procs[0].poll() is None, (tmp / "dask.log").read_text()
            time.sleep(0.2)
        address = json.loads(info.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        procs.append(subprocess.Popen(
            [DASK, "worker", "--scheduler-file", str(info), "--nworkers", "2", "--nthreads", "1",
             "--host", "127.0.0.1", "--no-dashboard", "--death-timeout", "60",
             "--local-directory", str(tmp / "workers")],
            stdout=logs, stderr=subprocess.STDOUT, env=_env(), start_new_session=True,
        ))  # fmt: skip
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=120)
        yield Cluster(address, info)
    finally:
        for proc in reversed(procs):
            _stop(proc)
        logs.close()


def _lexicon_loads() -> int:
    """Runs on a worker: how often this process built its lexicon."""
    from annotkit.annotate.lexicon import _load

    return int(_load.cache_info().misses)


def _texts(job: Job, docs: list[Document], executor: object, folder: Path) -> str:
    with PartStore.open(folder, job.identity()) as store:
        run_job(job, iter(docs), executor, store)  # type: ignore[arg-type]
        store.write_stream("annotate", folder / "out.jsonl")
    return (folder / "out.jsonl").read_text("utf-8")


def test_dask_local_cluster_gives_the_single_process_output(corpus: Path, tmp_path: Path) -> None:
    from annotkit.io import read_documents

    docs = list(read_documents([str(corpus)]))
    job = Job("annotate", annotate_lines, ("annotate",), max_docs=3)
    expected = _texts(job, docs, LocalExecutor(), tmp_path / "local")
    with open_executor(workers=2) as executor:
        assert executor.dashboard and executor.dashboard.startswith("http://127.0.0.1:")
        assert _texts(job, docs, executor, tmp_path / "dask") == expected
        client = executor.client  # type: ignore[attr-defined]
        loads = client.run(_lexicon_loads)
        peaks = executor.peak_memory()
    assert len(loads) == 2 and set(loads.values()) == {1}  # 14 partitions, one load each
    assert len(peaks) == 2 and all(50 * 2**20 < p < 2**30 for p in peaks.values())


def test_dask_open_executor_errors() -> None:
    with pytest.raises(ConfigError, match="not both"):
        with open_executor(workers=2, scheduler="tcp://127.0.0.1:1"):
            pass
    started = time.monotonic()
    with pytest.raises(ConfigError, match="cannot reach the Dask scheduler"):
        with open_executor(scheduler="tcp://127.0.0.1:9", connect_timeout=2):
            pass
    assert time.monotonic() - started < 30


def test_dask_scheduler_cli_annotate_and_run_are_identical(
    scheduler: Cluster, corpus: Path, single: dict[str, bytes], tmp_path: Path
) -> None:
    out = tmp_path / "pre.jsonl"
    res = cli("annotate", str(corpus), "-o", str(out), "--scheduler", scheduler.address,
              "--partition-size", "3")  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert out.read_bytes() == single["annotate"]
    assert "Dask dashboard: http://127.0.0.1:" in res.stderr
    assert "peak memory of the 2 Dask worker(s)" in res.stderr
    assert not (tmp_path / ".pre.jsonl.parts").exists()
    res = cli("run", str(corpus), "-o", str(tmp_path / "run"), "--scheduler", scheduler.address,
              "--partition-size", "4")  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert res.stdout.encode() == single["table"]
    for name in ("detect.jsonl", "align.jsonl", "annotate.jsonl", "summary.json"):
        assert (tmp_path / "run" / name).read_bytes() == single[f"run/{name}"], name
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == sorted(
        ["detect.jsonl", "align.jsonl", "annotate.jsonl", "summary.json"]
    )


def test_dask_scheduler_file_and_stdout_output(
    scheduler: Cluster, corpus: Path, single: dict[str, bytes]
) -> None:
    res = cli(
        "annotate",
        str(corpus),
        "--scheduler",
        str(scheduler.file),
        "--quiet",
        "--partition-size",
        "7",
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.encode() == single["annotate"] and res.stderr == ""


def test_dask_an_error_on_a_worker_is_the_cli_error(
    scheduler: Cluster, corpus: Path, tmp_path: Path
) -> None:
    out = tmp_path / "pre.jsonl"
    res = cli("annotate", str(corpus), "--engine", "model", "--model", str(tmp_path / "none"),
              "-o", str(out), "--scheduler", scheduler.address, "--quiet")  # fmt: skip
    assert res.returncode == 1, res.stderr
    assert res.stderr.startswith("error:") and str(tmp_path / "none") in res.stderr
    assert "Traceback" not in res.stderr and res.stdout == "" and not out.exists()


def _wait_for_parts(manifest: Path, proc: subprocess.Popen[bytes], parts: int) -> bool:
    """Wait until ``parts`` partitions are recorded (True) or the run ended (False)."""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        if manifest.exists() and len(manifest.read_bytes().splitlines()) > parts:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("where", ["workers", "scheduler"])
def test_dask_killed_runs_resume_to_the_same_output(
    where: str, request: pytest.FixtureRequest, corpus: Path, single: dict[str, bytes],
    tmp_path: Path,
) -> None:  # fmt: skip
    if where == "workers":  # then finished in one process
        place, last = ["--workers", "2"], []
    else:  # then finished on a LocalCluster
        address = request.getfixturevalue("scheduler").address
        place, last = ["--scheduler", address], ["--workers", "2"]
    out = tmp_path / "run"
    base = ["run", str(corpus), "-o", str(out), "--partition-size", "2", "--quiet"]
    args = [*base, *place]
    manifest = out / ".parts" / "manifest.jsonl"
    finished: list[int] = []
    for kill in range(3):  # kill -9 three times, each after more partitions are done
        resume = ["--resume"] if kill else []
        proc = subprocess.Popen([ANNOTKIT, *args, *resume], env=_env(), cwd=REPO,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        alive = _wait_for_parts(manifest, proc, (finished[-1] if finished else 0) + 1)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        assert alive, "the run finished before it could be killed; make the corpus larger"
        finished.append(len(manifest.read_bytes().splitlines()) - 1)
        assert not (out / "annotate.jsonl").exists()  # nothing assembled, nothing partial
    assert 0 < finished[0] < finished[-1] < 20
    other = cli(*args, "--resume", "--engine", "ensemble")
    assert other.returncode == 1 and "other settings" in other.stderr
    done = cli(*base, *last, "--resume")
    assert done.returncode == 0, done.stderr
    for name in ("detect.jsonl", "align.jsonl", "annotate.jsonl", "summary.json"):
        assert (out / name).read_bytes() == single[f"run/{name}"], name
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["detect.jsonl", "align.jsonl", "annotate.jsonl", "summary.json"]
    )


def test_dask_ctrl_c_keeps_finished_partitions_and_says_how_to_resume(
    corpus: Path, single: dict[str, bytes], tmp_path: Path
) -> None:
    out = tmp_path / "pre.jsonl"
    args = ["annotate", str(corpus), "-o", str(out), "--partition-size", "2", "--workers", "2"]
    # As from a terminal, SIGINT is not ignored: a suite started as a background job (a shell
    # without job control) hands its children SIGINT ignored, and annotkit keeps an ignored
    # SIGINT ignored on purpose (nohup, `cmd &`); exec keeps the default set here.
    as_in_a_terminal = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                        "os.execv(sys.argv[1], sys.argv[1:])")  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-c", as_in_a_terminal, ANNOTKIT, *args],
                            env=_env(), cwd=REPO, text=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)  # fmt: skip
    manifest = tmp_path / ".pre.jsonl.parts" / "manifest.jsonl"
    assert _wait_for_parts(manifest, proc, 1), "finished before Ctrl-C"
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole group
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGINT, stderr
    assert "run the same command with --resume" in stderr
    assert "Traceback" not in stderr and not out.exists()
    done = cli(*args, "--resume")
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == single["annotate"]
