"""``annotkit align``: parallel passages in documents (JSONL), or beads for pre-split files."""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path
from typing import Any

import click

from annotkit.batch import Job
from annotkit.cli._batch import BatchOptions, batch_options, detect_options, write_jsonl_output
from annotkit.cli._common import (
    Inputs,
    check_output,
    current_settings,
    finish_report,
    force_option,
    handle_errors,
    optional_input_options,
    output_backups,
    output_option,
    overwrite_input_option,
    quiet_option,
    report_backups,
    warn,
)
from annotkit.errors import InputError
from annotkit.io import Backups, atomic_writer, decode_bytes
from annotkit.jobs import align_lines

__all__ = ["align_cli"]


def _sentences(path: str) -> list[str]:
    limit = current_settings().max_document_chars
    try:
        if limit and Path(path).stat().st_size > 4 * limit:
            raise InputError(
                f"is over {4 * limit:,} bytes, more than ANNOTKIT_MAX_DOCUMENT_CHARS allows; "
                "split it, or raise the limit",
                source=path,
            )
        data = Path(path).read_bytes()
    except OSError as err:
        raise InputError(
            f"cannot read {path!r} ({err.strerror}); give a file with one sentence per line"
        ) from None
    if not data:
        return []
    # newline only: U+2028 and other separators stay inside a sentence, as vecalign reads it
    lines = [x.removesuffix("\r") for x in decode_bytes(data, source=path)[0].split("\n")]
    return lines[:-1] if lines[-1] == "" else lines


def _lang(lang: str | None, sentences: list[str]) -> str:
    if lang:
        return lang
    from annotkit.langid import detect_language

    return detect_language("\n".join(sentences[:200]))[0]


def _align_files(src: str, tgt: str, src_lang: str | None, tgt_lang: str | None,
                 scorer: str | None, output: str | None,
                 backups: Backups | None) -> int:  # fmt: skip
    from annotkit.align import align_sentences, load_scorer

    s, t = _sentences(src), _sentences(tgt)
    beads = align_sentences(s, t, src_lang=_lang(src_lang, s), tgt_lang=_lang(tgt_lang, t),
                            scorer=load_scorer(scorer) if scorer else None)  # fmt: skip
    lines = "".join(f"{b.format()}\n" for b in beads)
    if output in (None, "-"):
        click.echo(lines, nl=False)
    else:
        with atomic_writer(output, backups=backups) as fh:
            fh.write(lines)
    return len(beads)


def _align_docs(source: Inputs, scorer: str | None, output: str | None, quiet: bool,
                batch: BatchOptions, backups: Backups | None) -> int:  # fmt: skip
    if scorer:
        from annotkit.align import load_scorer

        load_scorer(scorer)  # a bad name fails here, before any document is read
    opts: dict[str, Any] = {"scorer": scorer, "detect_options": detect_options(current_settings())}
    job = Job("align", partial(align_lines, **opts), ("align",), opts)
    return write_jsonl_output(job, source, output, batch, quiet=quiet, backups=backups)


def _quiet_jieba() -> None:
    """jieba sets its own logger to DEBUG on import; keep its load messages off stderr."""
    import jieba  # noqa: F401

    logging.getLogger("jieba").setLevel(logging.WARNING)


@click.command("align")
@optional_input_options
@click.option("--src", "src", type=click.Path(dir_okay=False), help="Pre-split source file.")
@click.option("--tgt", "tgt", type=click.Path(dir_okay=False), help="Pre-split target file.")
@click.option("--src-lang", default=None, help="Source language (ISO 639-1); detected if unset.")
@click.option("--tgt-lang", default=None, help="Target language (ISO 639-1); detected if unset.")
@click.option("--scorer", default=None, help="Sentence-pair similarity 'module:function'.")
@click.option("--with-text", is_flag=True, hidden=True, help="(Always on: records keep text.)")
@output_option
@overwrite_input_option
@force_option
@quiet_option
@batch_options
@handle_errors
def align_cli(source: Inputs, src: str | None, tgt: str | None, src_lang: str | None,
              tgt_lang: str | None, scorer: str | None, with_text: bool, output: str | None,
              overwrite_input: bool, force: bool, quiet: bool,
              batch: BatchOptions) -> None:  # fmt: skip
    """Find and align translated passages in documents (JSONL), or align two pre-split files.

    Documents get ``pairs`` in their record (docs/record.md; languages are detected first
    when the record has none); the output exports to TMX/Moses/TSV as is. With --src/--tgt
    (one sentence per line) prints one bead per line, ``[i,j]:[k]``, 0-based, source first,
    ``[]`` for an empty side; every sentence is in exactly one bead.

    \b
    Examples:
      annotkit align seeds/ -o pairs.jsonl
      annotkit export pairs.jsonl --format tmx -o tmx/
      annotkit detect paper.txt | annotkit align - > pairs.jsonl
      annotkit align --src book.zh --tgt book.en --src-lang zh --tgt-lang en > book.align
      annotkit align corpus/ --workers 2 -o pairs.jsonl
    """
    _quiet_jieba()
    paths = (*source.paths, *(p for p in (src, tgt) if p))
    check_output(output, paths, overwrite_input=overwrite_input)
    if (src is None) != (tgt is None) or bool(source.paths) == (src is not None):
        raise click.UsageError("give INPUT... (documents) or both --src and --tgt (not both)")
    backups = output_backups(force)
    if src is not None and tgt is not None:
        if batch != BatchOptions(partition_size=batch.partition_size):
            raise click.UsageError("--workers/--scheduler/--resume apply to INPUT... only")
        n = _align_files(src, tgt, src_lang, tgt_lang, scorer, output, backups)
        report_backups(backups)
        return None if quiet else warn(f"aligned into {n} bead(s)")
    n = _align_docs(source, scorer, output, quiet, batch, backups)
    report_backups(backups)
    if not quiet:
        warn(f"aligned {n} document(s)")
    finish_report(source, quiet=quiet)
