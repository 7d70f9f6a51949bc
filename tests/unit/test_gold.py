"""Guards for the hand-made gold of the seeds (annotations/gold/seeds.jsonl)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from annotkit.doc import LABELS

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "annotations" / "gold" / "seeds.jsonl"
SEEDS = ROOT / "seeds"
EDGE = set(" \t\r\n\u3000.,;:!?()[]{}\"'“”‘’（）【】，。；：、！？")


def _records() -> list[dict[str, Any]]:
    with GOLD.open(encoding="utf-8", newline="") as handle:
        return [json.loads(line) for line in handle if line.strip()]


RECORDS = _records()


def test_gold_covers_every_seed_once() -> None:
    ids = [r["id"] for r in RECORDS]
    assert sorted(ids) == sorted(p.stem for p in SEEDS.glob("*.txt"))
    assert len(set(ids)) == len(ids) == 5


@pytest.mark.parametrize("rec", RECORDS, ids=lambda r: r["id"])
def test_gold_text_equals_seed_file_byte_for_byte(rec: dict[str, Any]) -> None:
    path = ROOT / rec["meta"]["source"]
    assert path.parent == SEEDS and path.stem == rec["id"]
    assert rec["text"].encode("utf-8") == path.read_bytes()


@pytest.mark.parametrize("rec", RECORDS, ids=lambda r: r["id"])
def test_gold_spans_valid_sorted_non_overlapping(rec: dict[str, Any]) -> None:
    text = rec["text"]
    spans = rec["label"]
    assert spans, "every seed has entities"
    assert spans == sorted(spans)
    last_end = 0
    for start, end, label in spans:
        assert isinstance(start, int) and isinstance(end, int)
        assert 0 <= start < end <= len(text)
        assert start >= last_end, f"overlap at [{start}, {end})"
        last_end = end
        assert label in LABELS
        surface = text[start:end]
        assert surface[0] not in EDGE and surface[-1] not in EDGE, surface
    assert rec["meta"]["annotator"] == "team"
    assert rec["meta"]["review"] == "second pass"


def test_gold_loads_as_documents() -> None:
    from annotkit.io import read_documents

    docs = list(read_documents([str(GOLD)]))
    assert [d.id for d in docs] == [r["id"] for r in RECORDS]
    assert sum(len(d.spans) for d in docs) == sum(len(r["label"]) for r in RECORDS)


def test_gold_follows_guideline_examples_present_in_seeds() -> None:
    by_id = {r["id"]: r for r in RECORDS}

    def surfaces(doc_id: str, label: str) -> list[str]:
        rec = by_id[doc_id]
        return [rec["text"][s:e] for s, e, lab in rec["label"] if lab == label]

    # "87 million MSCs" is split; generic "cells" stays in the DOSE
    assert surfaces("001_a7f93f267f55468f", "DOSE") == [
        "87 million",
        "1 million cells",
        "5 million cells",
    ]
    # donor and processing words are outside the span
    assert "bone marrow-derived MSCs" in surfaces("004_2ac9ad6098cbbf61", "CELL_TYPE")
    assert "骨髓来源的 MSCs" in surfaces("004_2ac9ad6098cbbf61", "CELL_TYPE")
    assert not any(
        "autologous" in s.lower() for r in RECORDS for s in surfaces(r["id"], "CELL_TYPE")
    )
    # MCID / MRI are never SCALE; "score(s)" dropped when the name is complete without it
    scales = [s for r in RECORDS for s in surfaces(r["id"], "SCALE")]
    assert "MCID" not in scales and "MRI" not in scales
    assert "ODI" in surfaces("002_bc5dc1ed787636a3", "SCALE")
    assert {"nucleated cells", "CD34-positive cell", "platelets"} <= set(
        surfaces("002_bc5dc1ed787636a3", "CELL_TYPE")
    )
