"""Format guards for the committed blind test sets (bench/blind*/wmt-biomed.jsonl).

The texts are not in the repository (they live in ../shared/data), so these tests check only
what the files themselves can show: references, hashes and well-formed spans, and that the
second set shares no line with the first.
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
BLIND2 = ROOT / "bench" / "blind2" / "wmt-biomed.jsonl"
SOURCES = {
    f"wmt{year}.medline.{pair}.{lang}"
    for year in ("18", "19")
    for pair in ("en-zh", "zh-en")
    for lang in ("en", "zh")
}
KEYS = {"id", "source", "line", "lang", "sha1", "length", "stratum", "label"}
# set -> (strata, least line pairs, labels every language must have)
EXPECT: dict[str, tuple[set[str], int, set[str]]] = {
    "blind": ({"cue", "negative", "amount"}, 100, set(LABELS)),
    # No line left for the second set states an administered amount: no DOSE gold there
    # (bench/blind2/README.md).
    "blind2": ({"cue", "negative"}, 80, {"CELL_TYPE", "SCALE"}),
}


def _records(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [json.loads(line) for line in handle if line.strip()]


SETS = {"blind": _records(BLIND), "blind2": _records(BLIND2)}
RECORDS = [(name, rec) for name, recs in SETS.items() for rec in recs]


def _rid(item: tuple[str, dict[str, Any]]) -> str:
    return f"{item[0]}:{item[1]['id']}"


@pytest.mark.parametrize("name", sorted(SETS))
def test_blind_set_has_parallel_english_and_chinese_lines(name: str) -> None:
    records = SETS[name]
    pairs: dict[tuple[str, int], set[str]] = {}
    for rec in records:
        stem = rec["source"].rsplit(".", 1)[0]
        pairs.setdefault((stem, rec["line"]), set()).add(rec["lang"])
    assert all(langs == {"en", "zh"} for langs in pairs.values())
    assert len(pairs) * 2 == len(records)
    assert len(pairs) >= EXPECT[name][1]
    ids = [rec["id"] for rec in records]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids, key=lambda i: (i.rsplit(":", 2)[0], int(i.rsplit(":", 2)[1]), i))


@pytest.mark.parametrize("item", RECORDS, ids=_rid)
def test_blind_record_references_and_hash(item: tuple[str, dict[str, Any]]) -> None:
    name, rec = item
    assert set(rec) == KEYS, "only references and annotations: no text in the repository"
    assert rec["source"] in SOURCES
    assert rec["lang"] == rec["source"].rsplit(".", 1)[1]
    assert rec["id"] == f"{rec['source'].rsplit('.', 1)[0]}:{rec['line']}:{rec['lang']}"
    assert isinstance(rec["line"], int) and rec["line"] >= 1
    assert re.fullmatch(r"[0-9a-f]{40}", rec["sha1"])
    assert isinstance(rec["length"], int) and rec["length"] > 0
    assert rec["stratum"] in EXPECT[name][0]


@pytest.mark.parametrize("item", RECORDS, ids=_rid)
def test_blind_spans_valid_sorted_non_overlapping(item: tuple[str, dict[str, Any]]) -> None:
    spans = item[1]["label"]
    assert spans == sorted(spans)
    last_end = 0
    for span in spans:
        assert len(span) == 3
        start, end, label = span
        assert type(start) is int and type(end) is int
        assert 0 <= start < end <= item[1]["length"]
        assert start >= last_end, f"overlap at [{start}, {end})"
        last_end = end
        assert label in LABELS


@pytest.mark.parametrize("name", sorted(SETS))
def test_blind_set_has_its_labels_in_both_languages(name: str) -> None:
    seen = {(rec["lang"], label) for rec in SETS[name] for _, _, label in rec["label"]}
    assert seen == {(lang, label) for lang in ("en", "zh") for label in EXPECT[name][2]}


def test_second_blind_set_shares_no_line_or_text_with_the_first() -> None:
    first = SETS["blind"]
    second = SETS["blind2"]
    assert not {(r["source"], r["line"]) for r in first} & {
        (r["source"], r["line"]) for r in second
    }
    assert not {r["sha1"] for r in first} & {r["sha1"] for r in second}
