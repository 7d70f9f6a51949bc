"""annotkit.batch: partitions, the line joiner, document counts, run_job with resume."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path

import pytest

from annotkit.batch import (
    Job,
    LineJoiner,
    Partition,
    count_documents,
    partition_documents,
    run_job,
)
from annotkit.doc import Document
from annotkit.executor import LocalExecutor
from annotkit.jobs import annotate_lines, detect_lines
from annotkit.parts import PartStore


def _docs(n: int, size: int = 10) -> list[Document]:
    return [Document(f"d{i:03d}", f"MSCs {i} " + "x" * size) for i in range(n)]


def _upper(doc: Document) -> tuple[str, str]:
    return (json.dumps({"id": doc.id}), doc.text.upper())


class RecordingExecutor(LocalExecutor):
    """The in-process executor, remembering which partitions it was given."""

    def __init__(self) -> None:
        self.ran: list[int] = []

    def map(self, func, partitions: Iterable[Partition]) -> Iterator:  # type: ignore[no-untyped-def]
        for part, texts in super().map(func, partitions):
            self.ran.append(part.index)
            yield part, texts


class Interrupt(Exception):
    pass


def _interrupt_after(n: int, parts: Iterable[Partition]) -> Iterator[Partition]:
    for i, part in enumerate(parts):
        if i == n:
            raise Interrupt
        yield part


def test_batch_partitions_by_count_and_by_characters() -> None:
    by_count = list(partition_documents(_docs(7), max_docs=3))
    assert [p.count for p in by_count] == [3, 3, 1]
    assert [p.index for p in by_count] == [0, 1, 2]
    assert [d.id for p in by_count for d in p.documents()] == [f"d{i:03d}" for i in range(7)]
    # 16-17 characters each: a partition closes once it reaches 40
    by_chars = list(partition_documents(_docs(7), max_docs=100, max_chars=40))
    assert [p.count for p in by_chars] == [3, 3, 1]
    assert all(p.chars >= 40 for p in by_chars[:-1])
    long_one = list(partition_documents([Document("big", "y" * 500), *_docs(2)], max_chars=100))
    assert [p.count for p in long_one] == [1, 2] and long_one[0].first_id == "big"


def test_batch_partition_digest_follows_content() -> None:
    a = [p.digest for p in partition_documents(_docs(4), max_docs=2)]
    b = [p.digest for p in partition_documents(_docs(4), max_docs=2)]
    changed = _docs(4)
    changed[3] = Document("d003", changed[3].text + "!")
    c = [p.digest for p in partition_documents(changed, max_docs=2)]
    assert a == b and a[0] == c[0] and a[1] != c[1] and a[0] != a[1]


def test_batch_partitions_are_lazy() -> None:
    def endless() -> Iterator[Document]:
        i = 0
        while True:
            yield Document(f"d{i}", "text")
            i += 1

    parts = partition_documents(endless(), max_docs=5)
    assert next(parts).count == 5 and next(parts).first_id == "d5"


def test_batch_partition_limits_must_be_positive() -> None:
    with pytest.raises(ValueError):
        list(partition_documents(_docs(2), max_docs=0))


def test_batch_line_joiner_one_text_per_stream() -> None:
    part = next(partition_documents(_docs(3)))
    ids, texts = LineJoiner(_upper, 2)(part.payload)
    assert ids.splitlines() == [json.dumps({"id": f"d{i:03d}"}) for i in range(3)]
    assert texts.endswith("\n") and texts.count("\n") == 3 and "MSCS 0" in texts
    with pytest.raises(ValueError, match="expected one per stream"):
        LineJoiner(_upper, 3)(part.payload)


def test_batch_count_documents(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text('{"text": "a"}\n\n  \n{"text": "b"}\n{"text": "c"}', "utf-8")
    (tmp_path / "b.txt").write_text("MSCs", "utf-8")
    (tmp_path / "c.csv").write_text('id,text\n1,"two\nlines"\n2,b\n', "utf-8")
    (tmp_path / "d.tsv").write_text("text\nx\ny\nz\n", "utf-8")
    (tmp_path / "e.jsonl").write_text('{"text": "u"}\n', "utf-16")
    (tmp_path / ".hidden.txt").write_text("not read", "utf-8")
    assert count_documents([str(tmp_path)]) == 3 + 1 + 2 + 3 + 1
    assert count_documents([str(tmp_path / "b.txt"), str(tmp_path / "b.txt")]) == 2
    assert count_documents(["-"]) is None
    assert count_documents([str(tmp_path / "missing.jsonl")]) is None


def test_batch_count_documents_parquet(tmp_path: Path) -> None:
    import pandas as pd

    pd.DataFrame({"text": ["a", "b", "c", "d"]}).to_parquet(tmp_path / "t.parquet")
    assert count_documents([str(tmp_path / "t.parquet")]) == 4


def _serial(func, docs: list[Document], streams: int) -> list[str]:  # type: ignore[no-untyped-def]
    columns: list[list[str]] = [[] for _ in range(streams)]
    for doc in docs:
        for column, line in zip(columns, func(doc), strict=True):
            column.append(line + "\n")
    return ["".join(c) for c in columns]


def test_batch_run_job_output_is_the_serial_output(tmp_path: Path) -> None:
    docs = _docs(11)
    job = Job("t", _upper, ("ids", "upper"), max_docs=4)
    with PartStore.open(tmp_path / "parts", job.identity()) as store:
        report = run_job(job, iter(docs), LocalExecutor(), store)
        for stream in job.streams:
            store.write_stream(stream, tmp_path / stream)
    assert (report.partitions, report.documents, report.resumed_partitions) == (3, 11, 0)
    expected = _serial(_upper, docs, 2)
    assert [(tmp_path / s).read_text("utf-8") for s in job.streams] == expected


def test_batch_resume_runs_only_the_unfinished_partitions(tmp_path: Path) -> None:
    docs = _docs(10)
    job = Job("annotate", partial(annotate_lines, project=False), ("annotate",), max_docs=2)
    folder = tmp_path / "parts"
    progress: list[int] = []
    with PartStore.open(folder, job.identity()) as store, pytest.raises(Interrupt):
        run_job(job, _interrupt_after(3, iter(docs)), LocalExecutor(), store)
    # the reader was interrupted inside partition 1: partition 0 is finished
    with PartStore.open(folder, job.identity(), resume=True) as store:
        assert store.found == 1
        executor = RecordingExecutor()
        report = run_job(job, iter(docs), executor, store, on_progress=progress.append)
        store.write_stream("annotate", tmp_path / "out.jsonl")
    assert executor.ran == [1, 2, 3, 4]
    assert (report.resumed_partitions, report.resumed_documents) == (1, 2)
    assert sum(progress) == 10
    serial = _serial(partial(annotate_lines, project=False), docs, 1)[0]
    assert (tmp_path / "out.jsonl").read_text("utf-8") == serial


def test_batch_resume_refuses_a_changed_input(tmp_path: Path) -> None:
    from annotkit.errors import InputError

    docs = _docs(6)
    job = Job("detect", detect_lines, ("detect",), max_docs=2)
    with PartStore.open(tmp_path / "p", job.identity()) as store:
        run_job(job, iter(docs), LocalExecutor(), store)
    docs[1] = Document("d001", "changed")
    with PartStore.open(tmp_path / "p", job.identity(), resume=True) as store:
        with pytest.raises(InputError, match="input changed"):
            run_job(job, iter(docs), LocalExecutor(), store)


def test_batch_job_identity_names_options_and_limits() -> None:
    job = Job("annotate", _upper, ("annotate",), {"engine": "rules"}, max_docs=7)
    ident = job.identity()
    assert ident["job"] == "annotate" and ident["options"] == {"engine": "rules"}
    assert ident["partition"]["docs"] == 7 and ident["annotkit"]
    assert json.loads(json.dumps(ident)) == ident
