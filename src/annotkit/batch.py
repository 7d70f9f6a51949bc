"""Batch jobs: a per-document function mapped over a document stream, in partitions.

Documents are cut into :class:`Partition` objects while they are read (consecutive
documents, at most ``max_docs`` of them and about ``max_chars`` characters of text), so no
corpus is ever held whole. A :class:`Job` names a picklable per-document function that
returns one line per output stream (``detect``, ``annotate``, …); :func:`run_job` maps
it over the partitions with an executor (:mod:`annotkit.executor`: this process, or a
Dask cluster), records every finished partition in a :class:`~annotkit.parts.PartStore`
and skips the partitions a store already holds, which is how an interrupted run resumes.
The store then assembles each stream in input order, so the output is the same bytes
whatever ran it and however often it was interrupted.

Partitions are numbered in input order and their boundaries depend only on the documents
and the two limits, never on the number of workers; each carries a digest of its
documents, so a resumed run can tell that its input is the one that was interrupted.

EXAMPLE:
    >>> from annotkit.batch import Job, run_job
    >>> from annotkit.executor import LocalExecutor
    >>> from annotkit.io import read_documents
    >>> from annotkit.jobs import detect_lines
    >>> from annotkit.parts import PartStore
    >>> job = Job("detect", detect_lines, streams=("detect",))
    >>> with PartStore.open("out/.parts", job.identity()) as store:
    ...     run_job(job, read_documents(["seeds/"]), LocalExecutor(), store)
    ...     store.write_stream("detect", "out/detect.jsonl")
"""

from __future__ import annotations

import hashlib
import logging
import pickle
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annotkit.doc import Document
from annotkit.io import JSONL_SUFFIXES, TABLE_SUFFIXES, decode_bytes, iter_input_files

if TYPE_CHECKING:
    from annotkit.executor import Executor
    from annotkit.parts import PartStore

__all__ = [
    "PARTITION_CHARS",
    "PARTITION_DOCS",
    "BatchReport",
    "Job",
    "LineJoiner",
    "Partition",
    "count_documents",
    "partition_documents",
    "run_job",
]

log = logging.getLogger(__name__)

#: Default limits of one partition: at most this many documents ...
PARTITION_DOCS = 1000
#: ... and it closes once its texts hold this many characters (about 1 MB of text: a few
#: seconds of the rules engine, tens of seconds of the stanza engine, per partition).
PARTITION_CHARS = 1_000_000
#: Version of the partition payload and digest (part of a job's identity).
_PAYLOAD_VERSION = 1


@dataclass(frozen=True, slots=True)
class Partition:
    """Consecutive documents of a stream, pickled once (what a worker receives).

    ``index`` counts partitions from 0 in input order; ``digest`` identifies the
    documents (a BLAKE2b hash of ``payload``, the pickled tuple of documents).
    """

    index: int
    count: int
    chars: int
    first_id: str
    payload: bytes = field(repr=False)
    digest: str = ""

    def documents(self) -> tuple[Document, ...]:
        docs: tuple[Document, ...] = pickle.loads(self.payload)
        return docs


def _make_partition(index: int, docs: Sequence[Document], chars: int) -> Partition:
    payload = pickle.dumps(tuple(docs), protocol=pickle.HIGHEST_PROTOCOL)
    digest = hashlib.blake2b(payload, digest_size=16).hexdigest()
    return Partition(index, len(docs), chars, docs[0].id, payload, digest)


def partition_documents(
    docs: Iterable[Document],
    *,
    max_docs: int = PARTITION_DOCS,
    max_chars: int = PARTITION_CHARS,
) -> Iterator[Partition]:
    """Cut a document stream into partitions, lazily, in order.

    A partition closes when it holds ``max_docs`` documents or its texts reach
    ``max_chars`` characters (a longer document makes a partition of its own).

    EXAMPLE:
        >>> parts = partition_documents((Document(f"d{i}", "x" * 10) for i in range(5)),
        ...                             max_docs=2)
        >>> [p.count for p in parts]
        [2, 2, 1]
    """
    if max_docs < 1 or max_chars < 1:
        raise ValueError("max_docs and max_chars must be at least 1")
    buffer: list[Document] = []
    chars = 0
    index = 0
    for doc in docs:
        buffer.append(doc)
        chars += len(doc.text)
        if len(buffer) >= max_docs or chars >= max_chars:
            yield _make_partition(index, buffer, chars)
            index += 1
            buffer, chars = [], 0
    if buffer:
        yield _make_partition(index, buffer, chars)


LineFunction = Callable[[Document], Sequence[str]]


@dataclass(frozen=True, slots=True)
class LineJoiner:
    """The function a worker runs on a partition: ``func`` per document, lines joined.

    ``func`` returns one JSON line (no newline) per output stream; the result is one text
    per stream, every line ended by ``\\n``, documents in partition order.
    """

    func: LineFunction
    streams: int

    def __call__(self, payload: bytes) -> tuple[str, ...]:
        docs: tuple[Document, ...] = pickle.loads(payload)
        columns: list[list[str]] = [[] for _ in range(self.streams)]
        for doc in docs:
            lines = self.func(doc)
            if len(lines) != self.streams:
                raise ValueError(
                    f"the job function returned {len(lines)} line(s) for document "
                    f"{doc.id!r}, expected one per stream ({self.streams})"
                )
            for column, line in zip(columns, lines, strict=True):
                column.append(line)
        return tuple("".join(f"{line}\n" for line in column) for column in columns)


@dataclass(frozen=True, slots=True)
class Job:
    """A batch job: what runs on every document and what it writes.

    arg name (str): the command (``"annotate"``), part of the job's identity.
    arg func (Callable[[Document], Sequence[str]]): picklable (a module-level function or a
        ``functools.partial`` of one); returns one line per stream for a document.
    arg streams (tuple[str, ...]): names of the output streams, e.g. ``("annotate",)``.
    arg options (Mapping[str, Any]): JSON-able settings that change the output (engine,
        model, …): a run resumes only under the same options.
    """

    name: str
    func: LineFunction
    streams: tuple[str, ...]
    options: Mapping[str, Any] = field(default_factory=dict)
    max_docs: int = PARTITION_DOCS
    max_chars: int = PARTITION_CHARS

    def identity(self) -> dict[str, Any]:
        """What a resumed run must share with the interrupted one."""
        from annotkit import __version__

        return {
            "job": self.name,
            "streams": list(self.streams),
            "options": dict(self.options),
            "partition": {"docs": self.max_docs, "chars": self.max_chars},
            "payload": _PAYLOAD_VERSION,
            "annotkit": __version__,
        }

    def worker_function(self) -> LineJoiner:
        return LineJoiner(self.func, len(self.streams))


@dataclass(frozen=True, slots=True)
class BatchReport:
    """What :func:`run_job` did: partitions and documents, run now or found finished."""

    partitions: int
    documents: int
    resumed_partitions: int
    resumed_documents: int


def run_job(
    job: Job,
    docs: Iterable[Document],
    executor: Executor,
    store: PartStore,
    *,
    on_progress: Callable[[int], None] | None = None,
) -> BatchReport:
    """Run ``job`` on every partition of ``docs`` that ``store`` does not hold yet.

    Partitions are read lazily and at most the executor's window of them is in flight;
    each finished one is written to ``store`` before the next result is taken.
    ``on_progress(n)`` is called with the number of documents of every partition done
    (finished now or found finished). RETURNS a :class:`BatchReport`; the store then
    holds every partition (:meth:`~annotkit.parts.PartStore.complete` is true).
    """
    seen = {"parts": 0, "docs": 0, "resumed_parts": 0, "resumed_docs": 0}

    def todo() -> Iterator[Partition]:
        for part in partition_documents(docs, max_docs=job.max_docs, max_chars=job.max_chars):
            seen["parts"] += 1
            seen["docs"] += part.count
            if store.holds(part):
                seen["resumed_parts"] += 1
                seen["resumed_docs"] += part.count
                if on_progress is not None:
                    on_progress(part.count)
                continue
            yield part

    for part, texts in executor.map(job.worker_function(), todo()):
        store.put(part, texts)
        if on_progress is not None:
            on_progress(part.count)
    store.seal(seen["parts"])
    if seen["resumed_parts"]:
        log.info("resumed: %d partition(s) were already finished", seen["resumed_parts"])
    return BatchReport(seen["parts"], seen["docs"], seen["resumed_parts"], seen["resumed_docs"])


# --------------------------------------------------------------------------- counting
def count_documents(inputs: Sequence[str]) -> int | None:
    """How many documents ``inputs`` hold, by a cheap first pass (for progress totals).

    Counts non-blank lines of JSONL files, rows of tables (Parquet from its metadata)
    and one per text file, without parsing records; documents skipped or left out as
    duplicates while reading are still counted. RETURNS ``None`` when a total cannot be
    known in advance (standard input, an input that cannot be read: the reader reports
    it).
    """
    total = 0
    try:
        for path, _root in iter_input_files(inputs):
            if str(path) == "-":
                return None
            suffix = path.suffix.lower()
            if suffix in JSONL_SUFFIXES:
                total += _count_lines(path)
            elif suffix in TABLE_SUFFIXES:
                total += _count_rows(path)
            else:
                total += 1
    except Exception as err:  # noqa: BLE001 - the reader names the bad input itself
        log.debug("no document total: %s", err)
        return None
    return total


def _count_lines(path: Path) -> int:
    with open(path, "rb") as handle:
        head = handle.read(2)
        if head in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 JSONL
            text, _ = decode_bytes(head + handle.read(), source=str(path))
            return sum(1 for line in text.split("\n") if line.strip())
        handle.seek(0)
        return sum(1 for line in handle if line.strip())


def _count_rows(path: Path) -> int:
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    import csv
    import io

    text, _ = decode_bytes(path.read_bytes(), source=str(path))
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    rows = sum(1 for _ in csv.reader(io.StringIO(text), delimiter=delimiter))
    return max(0, rows - 1)
