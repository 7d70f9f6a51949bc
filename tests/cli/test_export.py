"""`annotkit export` through the real console script."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent
TINY = str(REPO / "tests" / "data" / "ner_tiny.jsonl")


@pytest.mark.parametrize("fmt", ["conll", "stanza", "hf", "parquet"])
def test_export_cli_writes_split_files_and_card(run_cli, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / fmt
    r = run_cli("export", TINY, "--format", fmt, "-o", str(out), "--split", "80/10/10")
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    names = {p.name for p in out.iterdir()}
    assert "README.md" in names and any(n.startswith("train.") for n in names)


def test_export_cli_conll_reimports(run_cli, tmp_path: Path) -> None:
    from annotkit.export import read_conll
    from annotkit.io import read_documents

    r = run_cli("export", TINY, "--format", "conll", "-o", str(tmp_path), "--zh-tokens", "word")
    assert r.returncode == 0, r.stderr
    back = {d.id: d for d in read_conll(tmp_path / "all.conll")}
    for doc in read_documents([TINY]):
        assert back[doc.id].text == doc.text
        assert [(s.start, s.end, s.label) for s in back[doc.id].spans] == [
            (s.start, s.end, s.label) for s in doc.spans
        ]


def test_export_cli_usage_errors(run_cli, tmp_path: Path) -> None:
    r = run_cli("export", TINY, "--format", "nope", "-o", str(tmp_path))
    assert r.returncode == 2
    r = run_cli("export", TINY, "--format", "conll", "-o", str(tmp_path), "--split", "a/b")
    assert r.returncode == 1 and "split" in r.stderr


def test_export_cli_help_has_examples(run_cli) -> None:
    r = run_cli("export", "--help")
    assert r.returncode == 0 and "Examples:" in r.stdout
    json.dumps(r.stdout)


def test_export_cli_tmx_is_valid_xml(run_cli, tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    pairs = tmp_path / "pairs.jsonl"
    r = run_cli("align", str(REPO / "seeds"), "-o", str(pairs), "--quiet")
    assert r.returncode == 0, r.stderr
    out = tmp_path / "tmx"
    r = run_cli("export", str(pairs), "--format", "tmx", "-o", str(out))  # align output as is
    assert r.returncode == 0, r.stderr
    root = ET.parse(out / "all.tmx").getroot()
    assert root.tag == "tmx" and root.get("version") == "1.4"
    tus = root.findall("./body/tu")
    assert tus and all(len(tu.findall("tuv")) == 2 for tu in tus)
    assert (out / "README.md").is_file()
