"""The stanza model engine through --workers: a tiny model trained here, real Dask workers.

Each worker loads the model once (its per-process cache) and tags its partitions; the
output is byte for byte the single-process output of the same command.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import annotkit
from annotkit.io import read_documents
from annotkit.models import ModelCard
from annotkit.train import train_model

pytestmark = [pytest.mark.model, pytest.mark.dask]

TINY = Path(__file__).resolve().parent.parent / "data" / "ner_tiny.jsonl"
ANNOTKIT = str(Path(sys.executable).with_name("annotkit"))
SRC = str(Path(annotkit.__file__).resolve().parents[1])


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> ModelCard:
    docs = list(read_documents([str(TINY)]))
    root = tmp_path_factory.mktemp("models")
    return train_model(docs, name="tiny-dask", models_dir=root, max_steps=160, seed=7)


def _annotate(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (SRC, os.environ.get("PYTHONPATH")) if p))  # fmt: skip
    return subprocess.run([ANNOTKIT, "annotate", *args], capture_output=True, text=True,
                          env=env, timeout=600, check=False)  # fmt: skip


def test_model_engine_on_workers_is_the_single_process_output(
    model: ModelCard, tmp_path: Path
) -> None:
    corpus = tmp_path / "c.jsonl"
    records = [json.loads(x) for x in TINY.read_text("utf-8").splitlines() if x.strip()]
    corpus.write_text("".join(json.dumps({"id": f"t{i}", "text": r["text"]}, ensure_ascii=False)
                              + "\n" for i, r in enumerate(records)), "utf-8")  # fmt: skip
    args = [str(corpus), "--engine", "model", "--model", str(model.path), "--quiet"]
    single = _annotate(*args)
    assert single.returncode == 0, single.stderr
    out = tmp_path / "w.jsonl"
    res = _annotate(*args[:-1], "-o", str(out), "--workers", "2", "--partition-size", "3")
    assert res.returncode == 0, res.stderr
    assert out.read_text("utf-8") == single.stdout
    sources = {s["source"] for line in single.stdout.splitlines()
               for s in json.loads(line).get("spans", [])}  # fmt: skip
    assert any(s.startswith("model:") for s in sources), sources
    assert "peak memory of the 2 Dask worker(s)" in res.stderr
