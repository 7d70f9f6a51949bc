"""annotkit.pipeline: results and summary.json written as a stream, in input order."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from annotkit.doc import Document
from annotkit.io import document_to_record, dumps_record, read_documents
from annotkit.pipeline import (
    DocumentResult,
    SummaryEntry,
    result_lines,
    run_document,
    summarise,
    summary_entry,
    write_results,
    write_summary,
)

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@pytest.fixture(scope="module")
def results() -> list[DocumentResult]:
    docs = list(read_documents([str(SEEDS)]))
    extra = Document("zz-mixed", "We injected 5 mL of MSCs.\n我们注射了5毫升间充质干细胞。")
    return [run_document(d) for d in [extra, *docs]]  # not sorted by id


def _json_dump(results: list[DocumentResult]) -> str:
    summary = summarise(results)
    out = io.StringIO()
    json.dump({"documents": summary.rows, "totals": summary.totals}, out, ensure_ascii=False,
              indent=2, default=list)  # fmt: skip
    return out.getvalue() + "\n"


@pytest.mark.parametrize("n", [0, 1, 2, 6])
def test_pipeline_write_summary_bytes_are_json_dump(results: list[DocumentResult], n: int) -> None:
    out = io.StringIO()
    totals = write_summary((summary_entry(r) for r in results[:n]), out)
    assert out.getvalue() == _json_dump(results[:n])
    assert totals == summarise(results[:n]).totals


def test_pipeline_summary_entry_survives_its_json_line(results: list[DocumentResult]) -> None:
    for res in results:
        entry = summary_entry(res)
        again = SummaryEntry.from_json(entry.to_json())
        assert again.row == entry.row and again.chars == entry.chars
    direct, through = io.StringIO(), io.StringIO()
    write_summary((summary_entry(r) for r in results), direct)
    lines = [result_lines(r)[3] for r in results]
    write_summary((SummaryEntry.from_json(x) for x in lines), through)
    assert direct.getvalue() == through.getvalue()


def test_pipeline_write_results_streams_in_input_order(
    results: list[DocumentResult], tmp_path: Path
) -> None:
    paths = write_results(iter(results), tmp_path)
    for stage, attr in (("detect", "detected"), ("align", "aligned"), ("annotate", "doc")):
        expected = "".join(dumps_record(document_to_record(getattr(r, attr))) + "\n"
                           for r in results)  # fmt: skip
        assert paths[stage].read_text("utf-8") == expected
    assert paths["summary"].read_text("utf-8") == _json_dump(results)
    first = json.loads(paths["summary"].read_text("utf-8"))["documents"][0]
    assert first["id"] == "zz-mixed" and first["pairs"] == 1
