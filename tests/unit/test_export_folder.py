"""annotkit.export.folder: the manifest removes an earlier export's files, never others'."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotkit.doc import Document, Span
from annotkit.errors import InputError
from annotkit.export import export
from annotkit.export.folder import MANIFEST, finish_folder, prepare_folder, read_manifest
from annotkit.io import Backups


def _docs(n: int = 10) -> list[Document]:
    return [Document(f"d{i}", "Give 5 mL.", spans=(Span(5, 9, "DOSE"),)) for i in range(n)]


def test_export_folder_replaces_stale_files_of_earlier_export(tmp_path: Path) -> None:
    export(_docs(), "conll", tmp_path, split="80/10/10")
    (tmp_path / "notes.txt").write_text("mine")
    summary = export(_docs(), "conll", tmp_path)
    names = {p.name for p in tmp_path.iterdir()}
    assert names == {"all.conll", "README.md", "notes.txt", MANIFEST}
    assert summary["removed"] == ["README.md", "dev.conll", "test.conll", "train.conll"]
    assert (tmp_path / "notes.txt").read_text() == "mine"
    export(_docs(), "hf", tmp_path, split="80/20")  # another format into the same folder
    assert {p.name for p in tmp_path.iterdir()} == {
        "train.jsonl", "test.jsonl", "labels.json", "README.md", "notes.txt", MANIFEST,
    }  # fmt: skip


def test_export_folder_refuses_to_overwrite_unknown_file(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("my own notes")
    with pytest.raises(InputError, match="README.md"):
        export(_docs(), "conll", tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["README.md"]
    assert (tmp_path / "README.md").read_text() == "my own notes"


def test_export_folder_refuses_when_recorded_file_was_edited(tmp_path: Path) -> None:
    export(_docs(), "conll", tmp_path, split="80/20")
    train = tmp_path / "train.conll"
    train.write_text(train.read_text() + "hand-made fix\n")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(InputError, match="changed since"):
        export(_docs(), "conll", tmp_path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_export_folder_unfinished_export_is_cleaned_next_time(tmp_path: Path) -> None:
    prepare_folder(tmp_path, ["all.conll", "README.md"], fmt="conll")
    (tmp_path / "all.conll").write_text("half")  # the run stopped here
    assert read_manifest(tmp_path) == {"all.conll": None, "README.md": None}
    assert prepare_folder(tmp_path, ["train.conll"], fmt="conll") == ["all.conll"]
    assert not (tmp_path / "all.conll").exists()


def test_export_folder_manifest_must_be_annotkits(tmp_path: Path) -> None:
    (tmp_path / MANIFEST).write_text(json.dumps({"schema": "annotkit.export.v1",
                                                 "files": {"../x": None}}))  # fmt: skip
    with pytest.raises(InputError, match="manifest"):
        prepare_folder(tmp_path, ["all.conll"], fmt="conll")
    (tmp_path / MANIFEST).write_text("not json")
    with pytest.raises(InputError, match="manifest"):
        read_manifest(tmp_path)


def test_export_folder_output_is_a_file(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.write_text("x")
    with pytest.raises(InputError, match="folder"):
        export(_docs(), "conll", target)


def test_export_folder_manifest_records_hashes(tmp_path: Path) -> None:
    import hashlib

    prepare_folder(tmp_path, ["a.txt"], fmt="x")
    (tmp_path / "a.txt").write_text("a")
    finish_folder(tmp_path, ["a.txt"], fmt="x")
    assert read_manifest(tmp_path) == {"a.txt": hashlib.sha256(b"a").hexdigest()}
    assert json.loads((tmp_path / MANIFEST).read_text())["complete"] is True


def test_export_folder_keeps_foreign_and_edited_files_as_bak(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("my own notes")
    backups = Backups()
    export(_docs(), "conll", tmp_path, split="80/20", backups=backups)
    (bak,) = tmp_path.glob("README.md.*.bak")
    assert bak.read_text() == "my own notes"
    assert backups.kept == [(tmp_path / "README.md", bak)]
    train = tmp_path / "train.conll"
    train.write_text(train.read_text() + "hand-made fix\n")
    edited = train.read_text()
    export(_docs(), "conll", tmp_path, backups=Backups())  # train.conll is now stale
    (kept,) = tmp_path.glob("train.conll.*.bak")
    assert kept.read_text() == edited and not train.exists()
    assert (tmp_path / "all.conll").exists()


def test_export_folder_force_replaces_without_backup(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("my own notes")
    export(_docs(), "conll", tmp_path, force=True)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted([MANIFEST, "README.md", "all.conll"])
    assert "my own notes" not in (tmp_path / "README.md").read_text()


def test_export_folder_never_replaces_a_link_or_folder(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep")
    out = tmp_path / "out"
    out.mkdir()
    (out / "README.md").symlink_to(target)
    (out / "all.conll").mkdir()
    for kwargs in ({"backups": Backups()}, {"force": True}):
        with pytest.raises(InputError, match="link, folder or other non-file"):
            export(_docs(), "conll", out, **kwargs)
    assert target.read_text() == "keep" and (out / "README.md").is_symlink()
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "all.conll"]


def test_export_folder_empty_file_in_the_way_is_replaced_without_backup(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "train.conll").write_text("")
    (tmp_path / "test.conll").write_text("mine")
    export(_docs(), "conll", tmp_path, split="80/20", backups=Backups())
    assert [p.name for p in tmp_path.glob("*.bak")] == [next(tmp_path.glob("test.conll.*")).name]
    with caplog.at_level("WARNING"):
        export(_docs(), "conll", tmp_path, split="80/20", backups=Backups())
    assert "not written by this export" not in caplog.text  # its own .bak is not a stray file
