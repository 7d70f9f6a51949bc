"""Format guards for the committed blind test set (bench/blind/wmt-biomed.jsonl).

The texts are not in the repository (they live in ../shared/data), so these tests check only
what the file itself can show: references, hashes and well-formed spans.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from annotkit.doc import LABELS

ROOT = Path(__file__).resolve().parents[2]
BLIND = ROOT / "bench" / "blind" / "wmt-biomed.jsonl"
SOURCES = {
    f"wmt{year}.medline.{pair}.{lang}"
    for year in ("18", "19")
    for pair in ("en-zh", "zh-en")
    for lang in ("en", "zh")
}
KEYS = {"id", "source", "line", "lang", "sha1", "length", "stratum", "label"}


def _records() -> list[dict[str, Any]]:
    with BLIND.open(encoding="utf-8", newline="") as handle:
        return [json.loads(line) for line in handle if line.strip()]


RECORDS = _records()


def test_blind_set_has_parallel_english_and_chinese_lines() -> None:
    pairs: dict[tuple[str, int], set[str]] = {}
    for rec in RECORDS:
        stem = rec["source"].rsplit(".", 1)[0]
        pairs.setdefault((stem, rec["line"]), set()).add(rec["lang"])
    assert all(langs == {"en", "zh"} for langs in pairs.values())
    assert len(pairs) * 2 == len(RECORDS) >= 200
    ids = [rec["id"] for rec in RECORDS]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids, key=lambda i: (i.rsplit(":", 2)[0], int(i.rsplit(":", 2)[1]), i))


@pytest.mark.parametrize("rec", RECORDS, ids=lambda r: r["id"])
def test_blind_record_references_and_hash(rec: dict[str, Any]) -> None:
    assert set(rec) == KEYS, "only references and annotations: no text in the repository"
    assert rec["source"] in SOURCES
    assert rec["lang"] == rec["source"].rsplit(".", 1)[1]
    assert rec["id"] == f"{rec['source'].rsplit('.', 1)[0]}:{rec['line']}:{rec['lang']}"
    assert isinstance(rec["line"], int) and rec["line"] >= 1
    assert re.fullmatch(r"[0-9a-f]{40}", rec["sha1"])
    assert isinstance(rec["length"], int) and rec["length"] > 0
    assert rec["stratum"] in {"cue", "negative", "amount"}


@pytest.mark.parametrize("rec", RECORDS, ids=lambda r: r["id"])
def test_blind_spans_valid_sorted_non_overlapping(rec: dict[str, Any]) -> None:
    spans = rec["label"]
    assert spans == sorted(spans)
    last_end = 0
    for span in spans:
        assert len(span) == 3
        start, end, label = span
        assert type(start) is int and type(end) is int
        assert 0 <= start < end <= rec["length"]
        assert start >= last_end, f"overlap at [{start}, {end})"
        last_end = end
        assert label in LABELS


def test_blind_set_has_every_label_in_both_languages() -> None:
    seen = {(rec["lang"], label) for rec in RECORDS for _, _, label in rec["label"]}
    assert seen == {(lang, label) for lang in ("en", "zh") for label in LABELS}
