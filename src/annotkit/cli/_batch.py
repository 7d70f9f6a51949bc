"""CLI plumbing of the batch commands (run, detect, align, annotate): where they run, how
they resume, the progress bar, and how their outputs are assembled.

``--workers N`` runs the documents on N local processes (a Dask LocalCluster),
``--scheduler tcp://HOST:PORT`` on an existing Dask cluster; neither runs them in this
process. Documents are read as a stream and cut into partitions (``--partition-size``
documents at most, about 1 MB of text); finished partitions are kept in a hidden folder
beside the output (``.NAME.parts/``; ``FOLDER/.parts/`` for ``run``) until the output is
assembled, so ``--resume`` finishes a killed run. Output to stdout is assembled from a
temporary folder (nothing is printed unless everything succeeded).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from annotkit.batch import PARTITION_DOCS, BatchReport, Job, count_documents, run_job
from annotkit.cli._common import Inputs, current_settings, warn
from annotkit.cli._signals import Terminated
from annotkit.config import Settings
from annotkit.doc import Document
from annotkit.errors import ConfigError
from annotkit.executor import open_executor
from annotkit.io import Backups
from annotkit.parts import PartStore, parts_folder

__all__ = [
    "BatchOptions",
    "batch_options",
    "batch_run",
    "detect_options",
    "jsonl_parts",
    "local_path",
    "quiet_worker_logs",
    "write_jsonl_output",
]

Command = Callable[..., Any]


@dataclass(frozen=True, slots=True)
class BatchOptions:
    """--workers, --scheduler, --resume and --partition-size, as one argument."""

    workers: int | None = None
    scheduler: str | None = None
    resume: bool = False
    partition_size: int = PARTITION_DOCS

    def where(self) -> tuple[int | None, str | None]:
        """(workers, scheduler) from the options, else from the settings."""
        if self.workers is not None or self.scheduler is not None:
            if self.workers is not None and self.scheduler is not None:
                raise click.UsageError("give --workers or --scheduler, not both")
            return self.workers, self.scheduler
        cfg = current_settings()
        if cfg.workers is not None and cfg.scheduler is not None:
            raise ConfigError(
                "ANNOTKIT_WORKERS and ANNOTKIT_SCHEDULER are both set; unset one of them"
            )
        return cfg.workers, cfg.scheduler


def batch_options(func: Command) -> Command:
    """Add --workers, --scheduler, --resume, --partition-size (one ``batch`` argument)."""

    @functools.wraps(func)
    def wrapper(*args: Any, workers: int | None, scheduler: str | None, resume: bool,
                partition_size: int, **kwargs: Any) -> Any:  # fmt: skip
        batch = BatchOptions(workers, scheduler, resume, partition_size)
        return func(*args, batch=batch, **kwargs)

    cmd: Command = wrapper
    cmd = click.option(
        "--partition-size",
        type=click.IntRange(min=1),
        default=PARTITION_DOCS,
        show_default=True,
        help="Documents per partition at most (a partition also closes at ~1 MB of text).",
    )(cmd)
    cmd = click.option(
        "--resume",
        is_flag=True,
        help="Finish an interrupted run with the same input, options and -o: only the "
        "partitions it had not finished are run.",
    )(cmd)
    cmd = click.option(
        "--scheduler",
        metavar="tcp://HOST:PORT|FILE",
        default=None,
        help="Run on an existing Dask cluster: its scheduler's address or scheduler file "
        "(default: $ANNOTKIT_SCHEDULER).",
    )(cmd)
    cmd = click.option(
        "--workers",
        type=click.IntRange(min=1),
        default=None,
        help="Run on N local worker processes (Dask; default: $ANNOTKIT_WORKERS, else this "
        "process).",
    )(cmd)
    return cmd


def detect_options(cfg: Settings) -> dict[str, Any]:
    """The options of language detection the settings choose (every command's detect)."""
    return cfg.detect_options()


def local_path(value: str | Path | None) -> str | None:
    """An existing local path made absolute (workers may run in another folder); other
    values (``NAME/VERSION`` model references, ``None``) as they are."""
    if value is None:
        return None
    path = Path(value).expanduser()
    return str(path.absolute()) if path.exists() else str(value)


def _dask_log_level() -> int:
    """A LocalCluster's own logs (a Ctrl-C makes its workers complain) only with --debug."""
    ctx = click.get_current_context(silent=True)
    debug = ctx is not None and ctx.find_root().params.get("debug")
    return logging.WARNING if debug else logging.CRITICAL


def _warnings_only(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING


def quiet_worker_logs() -> None:
    """Run in every Dask worker: keep jieba's dictionary-load chatter off stderr."""
    logging.getLogger("jieba").addFilter(_warnings_only)


def _progress_bar(source: Inputs, *, quiet: bool, desc: str) -> Any:
    from tqdm import tqdm

    disable = quiet or not sys.stderr.isatty()
    total = None if disable else count_documents(source.paths)  # the cheap first pass
    return tqdm(total=total, desc=desc, unit="doc", disable=disable, file=sys.stderr,
                leave=False, dynamic_ncols=True)  # fmt: skip


def _watched(docs: Iterable[Document], watch: Callable[[Document], None]) -> Iterator[Document]:
    for doc in docs:
        watch(doc)
        yield doc


@contextmanager
def batch_run(
    job: Job,
    source: Inputs,
    batch: BatchOptions,
    *,
    parts: Path | None,
    quiet: bool,
    watch: Callable[[Document], None] | None = None,
) -> Iterator[tuple[PartStore, BatchReport]]:
    """Run ``job`` over ``source``; yields the complete part store to assemble outputs from.

    ``parts`` is the folder that keeps finished partitions (``None``: a temporary one, no
    resume). It is removed once the caller's block has written the outputs; after an
    error or an interrupt it stays, for ``--resume``. ``watch`` sees every document read.
    """
    if batch.resume and parts is None:
        raise click.UsageError("--resume needs -o/--output: a run to stdout cannot resume")
    workers, scheduler = batch.where()
    job = dataclasses.replace(job, max_docs=batch.partition_size)
    with ExitStack() as stack:
        folder = parts or Path(stack.enter_context(tempfile.TemporaryDirectory(".parts")))
        store = stack.enter_context(PartStore.open(folder, job.identity(), resume=batch.resume))
        _note_store(store, batch, quiet=quiet)
        docs: Iterable[Document] = source.stream()
        if watch is not None:
            docs = _watched(docs, watch)
        with ExitStack() as running:
            executor = running.enter_context(
                open_executor(
                    workers=workers,
                    scheduler=scheduler,
                    log_level=_dask_log_level(),
                    worker_setup=quiet_worker_logs,
                )
            )
            if executor.dashboard and not quiet:
                warn(f"Dask dashboard: {executor.dashboard}")
            bar = running.enter_context(_progress_bar(source, quiet=quiet, desc=job.name))
            try:
                report = run_job(job, docs, executor, store, on_progress=bar.update)
            except (KeyboardInterrupt, Terminated) as stop:
                if parts is not None:
                    advice = "run the same command with --resume to finish"
                    if isinstance(stop, Terminated):
                        stop.advice = f"finished partitions are kept in {folder}: {advice}"
                    else:
                        warn(f"interrupted; finished partitions are kept in {folder}: {advice}")
                raise
            on_dask = workers is not None or scheduler is not None
            peaks = executor.peak_memory() if on_dask and not quiet else {}
        _note_memory(peaks)
        yield store, report
        if parts is not None:
            store.remove()


def _note_memory(peaks: dict[str, int]) -> None:
    """Each Dask worker's peak memory, for sizing a cluster."""
    if peaks:
        mb = ", ".join(f"{round(v / 2**20)} MB" for v in peaks.values())
        warn(f"peak memory of the {len(peaks)} Dask worker(s): {mb}")


def _note_store(store: PartStore, batch: BatchOptions, *, quiet: bool) -> None:
    if quiet:
        return
    if store.discarded:
        warn(
            f"note: {store.discarded} partition(s) of an earlier unfinished run in "
            f"{store.folder} were discarded; pass --resume to finish such a run instead"
        )
    if batch.resume:
        warn(f"resuming: {store.found} partition(s) already finished in {store.folder}")


def _stdout_like(output: str | None) -> bool:
    if output in (None, "-"):
        return True
    path = Path(str(output))
    return path.exists() and not path.is_file()  # a FIFO or device: written through


def jsonl_parts(output: str | None) -> Path | None:
    """The part folder for a JSONL output (``None``: stdout, a FIFO or a device)."""
    return None if _stdout_like(output) else parts_folder(str(output))


def write_jsonl_output(
    job: Job, source: Inputs, output: str | None, batch: BatchOptions, *, quiet: bool,
    watch: Callable[[Document], None] | None = None, backups: Backups | None = None,
) -> int:  # fmt: skip
    """Run a one-stream job and write its JSONL to ``output`` (atomically) or stdout;
    ``backups`` keeps a replaced output of other content (:func:`annotkit.io.atomic_output`).

    RETURNS the number of documents written.
    """
    stream = job.streams[0]
    with batch_run(job, source, batch, parts=jsonl_parts(output), quiet=quiet,
                   watch=watch) as (store, report):  # fmt: skip
        if output in (None, "-"):
            sys.stdout.flush()
            store.copy_stream(stream, sys.stdout.buffer)
            sys.stdout.buffer.flush()
        else:
            store.write_stream(stream, str(output), backups=backups)
    return report.documents
