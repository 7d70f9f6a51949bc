"""annotkit.export.splits: the split rule every export shares (NER and parallel)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from annotkit.doc import Document, Span
from annotkit.errors import InputError
from annotkit.export import export, parse_split
from annotkit.export.splits import plan_splits, split_names
from annotkit.split import split_documents


def _docs(n: int) -> list[Document]:
    return [Document(f"d{i}", "Give 5 mL.", spans=(Span(5, 9, "DOSE"),)) for i in range(n)]


def test_export_splits_names_and_parse() -> None:
    assert split_names(None) == ("all",)
    assert split_names((90, 10)) == ("train", "test")
    assert split_names(parse_split("80/10/10")) == ("train", "dev", "test")
    for bad in ("80/x", "100", "1/2/3/4", "-1/101", "0/0", "nan/10"):
        with pytest.raises(InputError):
            parse_split(bad)


def test_export_splits_same_as_annotkit_split() -> None:
    docs = _docs(40)
    plan = plan_splits(docs, (80, 10, 10))
    expected = split_documents(docs, (80, 10, 10), ("train", "dev", "test"), min_nonempty=True)
    assert {k: [d.id for d in v] for k, v in plan.parts.items()} == {
        k: [d.id for d in v] for k, v in expected.items()
    }


def test_export_splits_translations_stay_together() -> None:
    docs = [
        *(Document(f"en{i}", "Give 5 mL.") for i in range(6)),
        *(Document(f"zh{i}", "给予5毫升。", meta={"translation_of": f"en{i}"}) for i in range(6)),
    ]
    plan = plan_splits(docs, (50, 25, 25))
    where = {d.id: name for name, part in plan.parts.items() for d in part}
    assert all(where[f"en{i}"] == where[f"zh{i}"] for i in range(6))
    assert set(where.values()) == {"train", "dev", "test"}


def test_export_splits_empty_split_is_an_error_when_asked_for() -> None:
    with pytest.raises(InputError, match="--skip-empty-splits"):
        plan_splits(_docs(2), (80, 10, 10))
    pair = [Document("en", "a"), Document("zh", "b", meta={"translation_of": "en"})]
    with pytest.raises(InputError, match="1 group"):  # one group cannot fill two splits
        plan_splits(pair, (50, 50))


def test_export_splits_skip_empty_warns_and_leaves_it_out(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="annotkit.export.splits"):
        plan = plan_splits(_docs(2), (80, 10, 10), skip_empty=True)
    assert len(plan.parts) == 2 and sum(len(p) for p in plan.parts.values()) == 2
    (name,) = plan.left_out
    assert name not in plan.parts and "empty" in plan.left_out[name]
    assert any(name in r.getMessage() for r in caplog.records)


def test_export_splits_zero_share_is_not_written() -> None:
    plan = plan_splits(_docs(10), (90, 10, 0))
    assert list(plan.parts) == ["train", "dev"] and "share 0" in plan.left_out["test"]


def test_export_splits_empty_split_file_never_written(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        export(_docs(2), "hf", tmp_path / "a", split="80/10/10")
    assert not (tmp_path / "a").exists()
    summary = export(_docs(2), "hf", tmp_path / "b", split="80/10/10", skip_empty_splits=True)
    (missing,) = summary["left_out"]
    assert not (tmp_path / "b" / f"{missing}.jsonl").exists()
    card = (tmp_path / "b" / "README.md").read_text("utf-8")
    assert "## Splits not written" in card and f"`{missing}`: empty" in card
