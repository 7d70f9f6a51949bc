"""`annotkit export` through the real console script."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent
TINY = str(REPO / "tests" / "data" / "ner_tiny.jsonl")
GOLD = str(REPO / "annotations" / "gold" / "seeds.jsonl")


@pytest.mark.parametrize("fmt", ["conll", "stanza", "hf", "parquet", "prodigy", "doccano"])
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

    r = run_cli("export", TINY, "--format", "conll-annotated", "-o", str(tmp_path),
                "--zh-tokens", "word")  # fmt: skip
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


def test_export_cli_says_what_it_wrote(run_cli, tmp_path: Path) -> None:
    out = tmp_path / "conll"
    r = run_cli("export", GOLD, "--format", "conll", "-o", str(out), "--split", "80/10/10")
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    assert r.stderr == (
        "wrote train.conll (3 documents), dev.conll (1 document), test.conll (1 document), "
        f"README.md to {out}\n"
    )
    r = run_cli("export", GOLD, "--format", "conll", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert r.stderr == (
        f"wrote all.conll (5 documents), README.md to {out} "
        "(replacing 4 file(s) of the previous export)\n"
    )
    assert sorted(p.name for p in out.iterdir()) == [".annotkit-export.json", "README.md",
                                                     "all.conll"]  # fmt: skip


def test_export_cli_keeps_unknown_files_and_refuses_empty_splits(run_cli, tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("mine")
    r = run_cli("export", GOLD, "--format", "hf", "-o", str(tmp_path))
    assert r.returncode == 0, r.stderr
    (bak,) = tmp_path.glob("README.md.*.bak")
    assert bak.read_text() == "mine" and f"kept it as {bak}" in r.stderr
    (tmp_path / "README.md").write_text("edited card")  # an earlier export's file, edited
    r = run_cli("export", GOLD, "--format", "hf", "-o", str(tmp_path), "--force")
    assert r.returncode == 0 and "kept it as" not in r.stderr, r.stderr
    assert len(list(tmp_path.glob("README.md.*.bak"))) == 1
    assert "edited card" not in (tmp_path / "README.md").read_text()
    one = tmp_path / "one.jsonl"
    one.write_text(Path(TINY).read_text("utf-8").splitlines()[0] + "\n", "utf-8")
    out = tmp_path / "split"
    r = run_cli("export", str(one), "--format", "hf", "-o", str(out), "--split", "80/20")
    assert r.returncode == 1 and "--skip-empty-splits" in r.stderr and not out.exists()
    r = run_cli("export", str(one), "--format", "hf", "-o", str(out), "--split", "80/20",
                "--skip-empty-splits")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "is not written" in r.stderr
    assert sorted(p.name for p in out.iterdir() if p.suffix == ".jsonl") == ["train.jsonl"]


def test_export_cli_spacy_reports_misaligned_spans(run_cli, tmp_path: Path) -> None:
    src = tmp_path / "mis.jsonl"
    src.write_text(json.dumps({"id": "m", "text": "We gave CD34cells to them.",
                               "label": [[8, 12, "CELL_TYPE"]]}) + "\n")  # fmt: skip
    r = run_cli("export", str(src), "--format", "spacy", "-o", str(tmp_path / "s"))
    assert r.returncode == 0, r.stderr
    assert "CD34" in r.stderr and "not on spaCy token edges" in r.stderr
    card = (tmp_path / "s" / "README.md").read_text("utf-8")
    assert "| m | CELL_TYPE | 8 | 12 | CD34 | missing |" in card


def test_export_cli_parallel_aligns_records_without_pairs(run_cli, tmp_path: Path) -> None:
    r = run_cli("export", GOLD, "--format", "moses", "-o", str(tmp_path))
    assert r.returncode == 0, r.stderr
    en = (tmp_path / "all.en-zh.en").read_text("utf-8").splitlines()
    zh = (tmp_path / "all.en-zh.zh").read_text("utf-8").splitlines()
    assert len(en) == len(zh) >= 14
