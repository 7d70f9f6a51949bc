"""Every NER export of the seed gold, loaded by the real library that consumes it:
Hugging Face ``datasets``, spaCy (``spacy convert`` through its CLI, and DocBin), stanza's
NER ``DataLoader``. Nothing here is mocked or skipped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from annotkit.doc import Document
from annotkit.export import export
from annotkit.io import read_documents

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # local folders only; never the Hub
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent.parent
GOLD = REPO / "annotations" / "gold" / "seeds.jsonl"


def _gold() -> list[Document]:
    return list(read_documents([str(GOLD)]))


def _spans(docs: list[Document]) -> int:
    return sum(len(d.spans) for d in docs)


def _split_docs(summary: dict, gold: list[Document], out: Path, name: str) -> list[Document]:
    """The gold documents of one split (from the jsonl export of the same split)."""
    ids = [json.loads(x)["id"] for x in (out / f"{name}.jsonl").read_text("utf-8").splitlines()]
    by_id = {d.id: d for d in gold}
    return [by_id[i] for i in ids]


def _entities_bio(tags: list[str]) -> int:
    return sum(1 for i, t in enumerate(tags) if t.startswith("B-"))


@pytest.mark.parametrize("split", [None, "80/10/10"])
def test_export_loaders_datasets_loads_hf_folder_as_is(tmp_path: Path, split: str | None) -> None:
    import datasets

    gold = _gold()
    out = tmp_path / "hf"
    summary = export(gold, "hf", out, split=split)
    ds = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "cache"))
    expected = {"all": "train", "train": "train", "dev": "validation", "test": "test"}
    assert sorted(ds) == sorted(expected[n] for n in summary["splits"])
    names = json.loads((out / "labels.json").read_text())
    spans = 0
    for name, counts in summary["splits"].items():
        part = ds[expected[name]]
        feature = part.features["ner_tags"].feature
        assert isinstance(feature, datasets.ClassLabel) and feature.names == names
        assert part.num_rows == counts["sentences"]
        assert {row["doc_id"] for row in part} == {d for d in _ids(out, name)}
        spans += sum(_entities_bio([feature.int2str(t) for t in row["ner_tags"]]) for row in part)
    assert spans == _spans(gold)


def _ids(out: Path, name: str) -> set[str]:
    rows = (json.loads(x) for x in (out / f"{name}.jsonl").read_text("utf-8").splitlines())
    return {r["doc_id"] for r in rows}


def test_export_loaders_spacy_convert_reads_plain_conll(tmp_path: Path) -> None:
    import spacy
    from spacy.tokens import DocBin

    gold = _gold()
    export(gold, "conll", tmp_path / "conll")
    (tmp_path / "spacy").mkdir()
    r = subprocess.run(
        [sys.executable, "-m", "spacy", "convert", str(tmp_path / "conll" / "all.conll"),
         str(tmp_path / "spacy"), "-c", "ner"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    docs = list(
        DocBin().from_disk(tmp_path / "spacy" / "all.spacy").get_docs(spacy.blank("en").vocab)
    )
    assert len(docs) == len(gold)  # one Doc per -DOCSTART- block
    for sdoc, doc in zip(docs, gold, strict=True):
        assert [(e.label_, e.text.replace(" ", "")) for e in sdoc.ents] == [
            (s.label, "".join(doc.text_of(s).split())) for s in doc.spans
        ]


def test_export_loaders_spacy_docbin_round_trip(tmp_path: Path) -> None:
    import spacy
    from spacy.tokens import DocBin

    gold = _gold()
    summary = export(gold, "spacy", tmp_path / "s", split="80/20")
    assert summary["misaligned"] == []
    export(gold, "jsonl", tmp_path / "j", split="80/20")
    vocab = spacy.blank("en").vocab
    for name in summary["splits"]:
        docs = list(DocBin().from_disk(tmp_path / "s" / f"{name}.spacy").get_docs(vocab))
        expected = _split_docs(summary, gold, tmp_path / "j", name)
        assert [d.user_data["annotkit_id"] for d in docs] == [d.id for d in expected]
        for sdoc, doc in zip(docs, expected, strict=True):
            assert sdoc.text == doc.text
            assert [(e.start_char, e.end_char, e.label_) for e in sdoc.ents] == [
                (s.start, s.end, s.label) for s in doc.spans
            ]
            assert sdoc.has_annotation("SENT_START")


def test_export_loaders_spacy_docbin_marks_misaligned_tokens_missing(tmp_path: Path) -> None:
    import spacy
    from spacy.tokens import DocBin

    from annotkit.doc import Span

    text = "We gave CD34cells and 5 mL of MSCs. 患者接受了5毫升骨髓间充质干细胞。"
    doc = Document("m", text, spans=(
        Span(8, 12, "CELL_TYPE"), Span(22, 26, "DOSE"), Span(30, 34, "CELL_TYPE"),
        Span(text.index("骨髓"), text.index("骨髓") + 8, "CELL_TYPE"),
    ))  # fmt: skip
    summary = export([doc], "spacy", tmp_path)
    assert [(m["start"], m["end"]) for m in summary["misaligned"]] == [(8, 12)]
    (sdoc,) = DocBin().from_disk(tmp_path / "all.spacy").get_docs(spacy.blank("en").vocab)
    assert [e.text for e in sdoc.ents] == ["5 mL", "MSCs", "骨髓间充质干细胞"]
    assert [t.ent_iob_ for t in sdoc if t.text == "CD34cells"] == [""]  # missing, not O


def test_export_loaders_spacy_docbin_bytes_do_not_depend_on_hash_seed(tmp_path: Path) -> None:
    code = (
        "import sys; from annotkit.export import export; from annotkit.io import read_documents;"
        f"export(list(read_documents([{str(GOLD)!r}])), 'spacy', sys.argv[1])"
    )
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        r = subprocess.run([sys.executable, "-c", code, str(tmp_path / seed)], env=env,
                           capture_output=True, text=True, timeout=600)  # fmt: skip
        assert r.returncode == 0, r.stderr
    assert (tmp_path / "1" / "all.spacy").read_bytes() == (
        tmp_path / "2" / "all.spacy"
    ).read_bytes()


def test_export_loaders_stanza_ner_data_loader(tmp_path: Path) -> None:
    from stanza.models.common.doc import Document as StanzaDocument
    from stanza.models.ner.data import DataLoader
    from stanza.models.ner.utils import decode_from_bioes
    from stanza.models.ner_tagger import parse_args

    gold = _gold()
    summary = export(gold, "stanza", tmp_path / "st", split="80/10/10")
    export(gold, "jsonl", tmp_path / "j", split="80/10/10")
    args = parse_args(["--shorthand", "xx_export", "--no_pretrain"])
    vocab = None
    for name, counts in summary["splits"].items():
        with open(tmp_path / "st" / f"{name}.json", encoding="utf-8") as fh:
            sdoc = StanzaDocument(json.load(fh))
        loader = DataLoader(sdoc, 16, args, None, vocab=vocab, evaluation=vocab is not None)
        vocab = loader.vocab
        assert loader.num_examples == counts["sentences"] == len(sdoc.sentences)
        entities = sum(len(decode_from_bioes([t[0] for t in tags])) for tags in loader.tags)
        assert entities == _spans(_split_docs(summary, gold, tmp_path / "j", name))


@pytest.mark.doccano
def test_export_loaders_doccano_imports_the_doccano_export(
    tmp_path: Path, admin: Any, project_name: str, tricky_doc: Document
) -> None:
    """The `doccano` export, imported by a real doccano server (its JSONL import), pulled back:
    the same texts and spans (UTF-16 offsets for the emoji and 𠀀 of the tricky document)."""
    from annotkit.sync import pull
    from annotkit.sync.client import LabelTypeSpec

    docs = [*_gold(), tricky_doc]
    export(docs, "doccano", tmp_path)
    lines = [json.loads(x) for x in (tmp_path / "all.jsonl").read_text("utf-8").splitlines()]
    info = admin.create_project(project_name, guideline="export test", grapheme=False)
    colours = ("#e6194b", "#3cb44b", "#4363d8")
    labels = sorted({s.label for d in docs for s in d.spans})
    admin.ensure_label_types(
        info.id, [LabelTypeSpec(x, c, None) for x, c in zip(labels, colours, strict=True)]
    )
    admin.prepare_suggester(info.id)  # doccano's JSONL import saves spans as the uploader
    admin.import_records(info.id, lines)
    pulled = {d.id: d for d in pull(project_name, client=admin).documents}
    assert sorted(pulled) == sorted(d.id for d in docs)
    for doc in docs:
        got = pulled[doc.id]
        assert got.text == doc.text
        assert [(s.start, s.end, s.label) for s in got.spans] == [
            (s.start, s.end, s.label) for s in doc.spans
        ]
