"""annotkit.parts: finished partitions on disk; what a killed run leaves behind is discarded."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from annotkit.batch import Job, Partition, partition_documents
from annotkit.doc import Document
from annotkit.errors import ConfigError, InputError
from annotkit.parts import MANIFEST, PartStore, parts_folder

JOB = Job("t", lambda d: (d.id, d.text), ("ids", "texts"), {"engine": "rules"}, max_docs=2)


def _parts(n: int = 6) -> list[Partition]:
    docs = [Document(f"d{i}", f"text {i}") for i in range(n)]
    return list(partition_documents(docs, max_docs=2))


def _texts(part: Partition) -> tuple[str, str]:
    docs = part.documents()
    return "".join(f"{d.id}\n" for d in docs), "".join(f"{d.text}\n" for d in docs)


def _fill(folder: Path, parts: list[Partition]) -> None:
    with PartStore.open(folder, JOB.identity()) as store:
        for part in parts:
            store.put(part, _texts(part))


def test_parts_folder_names_are_hidden() -> None:
    assert parts_folder("out/pre.jsonl") == Path("out/.pre.jsonl.parts")
    assert parts_folder("out", folder_output=True) == Path("out/.parts")


def test_parts_assembled_in_partition_order(tmp_path: Path) -> None:
    parts = _parts()
    with PartStore.open(tmp_path / "p", JOB.identity()) as store:
        for part in reversed(parts):  # finishing order does not matter
            store.put(part, _texts(part))
        store.seal(len(parts))
        assert store.complete
        store.write_stream("ids", tmp_path / "ids.txt")
        buffer = io.BytesIO()
        store.copy_stream("texts", buffer)
        assert list(store.lines("ids")) == [f"d{i}" for i in range(6)]
    assert (tmp_path / "ids.txt").read_text("utf-8") == "".join(f"d{i}\n" for i in range(6))
    assert buffer.getvalue().decode() == "".join(f"text {i}\n" for i in range(6))


def test_parts_seal_requires_every_partition(tmp_path: Path) -> None:
    parts = _parts()
    with PartStore.open(tmp_path / "p", JOB.identity()) as store:
        store.put(parts[0], _texts(parts[0]))
        with pytest.raises(ValueError, match="not finished"):
            store.seal(3)
        with pytest.raises(ValueError, match="seal"):
            list(store.lines("ids"))


def test_parts_resume_keeps_finished_partitions(tmp_path: Path) -> None:
    parts = _parts()
    _fill(tmp_path / "p", parts[:2])
    with PartStore.open(tmp_path / "p", JOB.identity(), resume=True) as store:
        assert store.found == 2 and store.discarded == 0
        assert store.holds(parts[0]) and store.holds(parts[1]) and not store.holds(parts[2])


def test_parts_without_resume_start_over(tmp_path: Path) -> None:
    parts = _parts()
    _fill(tmp_path / "p", parts[:2])
    with PartStore.open(tmp_path / "p", JOB.identity()) as store:
        assert store.found == 0 and store.discarded == 2
        assert not store.holds(parts[0])
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == ["lock", MANIFEST]


def test_parts_what_a_killed_run_leaves_is_discarded(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    parts = _parts()
    _fill(folder, parts[:3])
    # killed while writing: a temporary part file, a part whose manifest line never came,
    # a torn last manifest line, and a part file cut short
    (folder / "0000004.ids.tmp").write_text("d8\n", "utf-8")
    (folder / "0000005.ids").write_text("d10\n", "utf-8")
    with open(folder / MANIFEST, "a", encoding="utf-8") as handle:
        handle.write('{"part": 4, "docs": 2, "dig')
    (folder / "0000002.texts").write_text("text 4\n", "utf-8")
    with PartStore.open(folder, JOB.identity(), resume=True) as store:
        assert store.found == 2  # partition 2 is redone: its file is not what was written
        assert not store.holds(parts[2])
        store.put(parts[2], _texts(parts[2]))
        for part in parts[3:]:
            store.put(part, _texts(part))
        store.seal(len(parts))
        assert list(store.lines("texts")) == [f"text {i}" for i in range(6)]
    names = {p.name for p in folder.iterdir()}
    assert not any(n.endswith(".tmp") for n in names)
    lines = (folder / MANIFEST).read_text("utf-8").splitlines()
    assert all(json.loads(line) for line in lines)  # the torn line is gone


def test_parts_resume_with_other_settings_is_refused(tmp_path: Path) -> None:
    _fill(tmp_path / "p", _parts()[:1])
    other = Job("t", JOB.func, JOB.streams, {"engine": "model"}, max_docs=2)
    with pytest.raises(ConfigError, match="engine"):
        PartStore.open(tmp_path / "p", other.identity(), resume=True)


def test_parts_changed_partition_is_an_input_error(tmp_path: Path) -> None:
    _fill(tmp_path / "p", _parts()[:1])
    changed = list(partition_documents([Document("d0", "other"), Document("d1", "x")]))
    with PartStore.open(tmp_path / "p", JOB.identity(), resume=True) as store:
        with pytest.raises(InputError, match="input changed"):
            store.holds(changed[0])


def test_parts_one_writer_at_a_time(tmp_path: Path) -> None:
    with PartStore.open(tmp_path / "p", JOB.identity()):
        with pytest.raises(ConfigError, match="another annotkit run"):
            PartStore.open(tmp_path / "p", JOB.identity(), resume=True)
    PartStore.open(tmp_path / "p", JOB.identity(), resume=True).close()


def test_parts_remove_deletes_the_folder(tmp_path: Path) -> None:
    store = PartStore.open(tmp_path / "p", JOB.identity())
    store.put(_parts()[0], _texts(_parts()[0]))
    store.remove()
    assert not (tmp_path / "p").exists()
