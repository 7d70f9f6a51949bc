"""Parallel export: TMX 1.4 parses back, Moses files are line-parallel, TSV via pandas."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from annotkit.doc import Document
from annotkit.errors import InputError
from annotkit.export.parallel import export_parallel
from annotkit.io import read_documents, write_jsonl
from annotkit.pipeline import ensure, run_stage
from annotkit.record import document_from_record, document_to_record
from annotkit.stages import MissingStageError

SEEDS = Path(__file__).resolve().parent.parent.parent / "seeds"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _doc(**changes: object) -> Document:
    return document_from_record(dict(_record(), **changes), where="test")


def _record(text: str = "Hi there.\n你好。\nHow are you? Fine.\n你好吗？\x07") -> dict:
    hi, nihao = text.index("Hi there."), text.index("你好。")
    how, fine, ma = text.index("How are you?"), text.index("Fine."), text.index("你好吗？")
    return {
        "id": "doc-1",
        "text": text,
        "pairs": [
            {
                "src": [hi, fine + 5],
                "tgt": [nihao, ma + 4],
                "src_lang": "en",
                "tgt_lang": "zh",
                "score": 0.5,
                "sentences": [
                    {"src": [[hi, hi + 9]], "tgt": [[nihao, nihao + 3]], "score": 0.4},
                    {
                        "src": [[how, how + 12], [fine, fine + 5]],
                        "tgt": [[ma, ma + 4]],
                        "score": 0.3,
                    },
                    {"src": [], "tgt": [[ma + 4, ma + 5]], "score": 0.0},
                ],
            }
        ],
    }


def test_export_parallel_tmx_is_valid_and_parses_back(tmp_path: Path) -> None:
    summary = export_parallel([_doc()], "tmx", tmp_path)
    assert summary["files"] == ["all.tmx", "README.md"]
    assert summary["units"] == 2 and summary["skipped_beads"] == 1
    root = ET.parse(tmp_path / "all.tmx").getroot()
    assert root.tag == "tmx" and root.get("version") == "1.4"
    assert root.find("header").get("srclang") == "en"
    tus = root.findall("body/tu")
    assert len(tus) == 2
    langs = [[tuv.get(XML_LANG) for tuv in tu.findall("tuv")] for tu in tus]
    assert langs == [["en", "zh"], ["en", "zh"]]
    assert [tuv.findtext("seg") for tuv in tus[1].findall("tuv")] == [
        "How are you? Fine.",
        "你好吗？",
    ]


def test_export_parallel_moses_is_line_parallel(tmp_path: Path) -> None:
    summary = export_parallel([_doc()], "moses", tmp_path)
    assert summary["files"] == ["all.en-zh.en", "all.en-zh.zh", "README.md"]
    en = (tmp_path / "all.en-zh.en").read_text(encoding="utf-8").splitlines()
    zh = (tmp_path / "all.en-zh.zh").read_text(encoding="utf-8").splitlines()
    assert en == ["Hi there.", "How are you? Fine."]
    assert zh == ["你好。", "你好吗？"]


def test_export_parallel_tsv_reads_back_with_pandas(tmp_path: Path) -> None:
    export_parallel([_doc()], "tsv", tmp_path)
    frame = pd.read_csv(tmp_path / "all.tsv", sep="\t")
    assert list(frame.columns[:5]) == ["doc_id", "src_lang", "tgt_lang", "src", "tgt"]
    assert frame["tgt"].tolist() == ["你好。", "你好吗？"]
    assert json.loads(frame["src_spans"][1]) == _record()["pairs"][0]["sentences"][1]["src"]


def test_export_parallel_split_keeps_documents_whole(tmp_path: Path) -> None:
    docs = [_doc(id=f"doc-{k}") for k in range(20)]
    summary = export_parallel(docs, "moses", tmp_path, split=(80, 10, 10))
    assert set(summary["splits"]) == {"train", "dev", "test"}
    assert sum(summary["splits"].values()) == 40
    assert all(v % 2 == 0 for v in summary["splits"].values())
    assert "| train |" in (tmp_path / "README.md").read_text(encoding="utf-8")


def test_export_parallel_rejects_bad_format_and_foreign_offsets(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        export_parallel([_doc()], "docx", tmp_path)
    with pytest.raises(InputError):  # the alignment of another, longer text
        document_from_record(dict(_record(), text="short"), where="pairs.jsonl:1")
    with pytest.raises(MissingStageError):  # never aligned
        export_parallel([Document("x", "Hi. 你好。")], "tmx", tmp_path)


def test_export_parallel_takes_align_output_as_is(tmp_path: Path) -> None:
    docs = [run_stage(ensure(d, "align"), "align") for d in read_documents([str(SEEDS)])]
    align_file = tmp_path / "pairs.jsonl"
    write_jsonl((document_to_record(d) for d in docs), align_file)
    again = list(read_documents([str(align_file)]))
    assert [d.pairs for d in again] == [d.pairs for d in docs]
    summary = export_parallel(again, "tmx", tmp_path / "tmx")
    assert summary["units"] >= 14
    ET.parse(tmp_path / "tmx" / "all.tmx")


def test_export_parallel_splits_like_ner_exports(tmp_path: Path) -> None:
    from annotkit.export.splits import plan_splits

    docs = [_doc(id=f"doc-{k}") for k in range(30)]
    summary = export_parallel(docs, "tsv", tmp_path, split="60/20/20")
    plan = plan_splits(docs, (60, 20, 20))
    for name, part in plan.parts.items():
        frame = pd.read_csv(tmp_path / f"{name}.tsv", sep="\t")
        assert sorted(set(frame["doc_id"])) == sorted(d.id for d in part)
        assert summary["splits"][name] == 2 * len(part)


def test_export_parallel_empty_split_rule(tmp_path: Path) -> None:
    docs = [_doc(id=f"doc-{k}") for k in range(2)]
    with pytest.raises(InputError, match="--skip-empty-splits"):
        export_parallel(docs, "moses", tmp_path / "a", split=(80, 10, 10))
    assert not (tmp_path / "a").exists()
    summary = export_parallel(docs, "moses", tmp_path / "b", split=(80, 10, 10),
                              skip_empty_splits=True)  # fmt: skip
    assert summary["left_out"] and sum(summary["splits"].values()) == 4
    for gone in summary["left_out"]:
        assert not list((tmp_path / "b").glob(f"{gone}.*"))
        assert f"`{gone}`: empty" in (tmp_path / "b" / "README.md").read_text("utf-8")
    unaligned = Document("none", "Hi.", pairs=())
    with pytest.raises(InputError, match="nothing to export"):
        export_parallel([unaligned], "tmx", tmp_path / "c")


def test_export_parallel_replaces_stale_files(tmp_path: Path) -> None:
    docs = [_doc(id=f"doc-{k}") for k in range(10)]
    export_parallel(docs, "moses", tmp_path, split=(80, 20))
    summary = export_parallel(docs, "moses", tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == [
        "README.md", "all.en-zh.en", "all.en-zh.zh",
    ]  # fmt: skip
    assert "train.en-zh.en" in summary["removed"]
