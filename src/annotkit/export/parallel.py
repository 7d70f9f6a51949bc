"""Parallel corpora from aligned documents (``annotkit align`` records): TMX 1.4, Moses, TSV.

A document's ``pairs`` (docs/record.md) give its sentence beads; every bead with text on
both sides becomes one translation unit; beads with an empty side are counted, not
exported. Files, per split (``all`` without ``split``):

- ``tmx``: ``<split>.tmx`` (TMX 1.4, ``xml:lang`` on every ``<tuv>``, one ``<tu>`` per bead);
- ``moses``: ``<split>.<l1>-<l2>.<l1>`` and ``<split>.<l1>-<l2>.<l2>``, line-parallel, the
  sentences of a bead joined by a space, newlines inside a sentence turned into spaces;
- ``tsv``: ``<split>.tsv`` (pandas), columns ``doc_id src_lang tgt_lang src tgt score
  src_spans tgt_spans``;

plus a ``README.md`` dataset card and the folder's manifest (:mod:`annotkit.export.folder`).
Splits are those of every export (:mod:`annotkit.export.splits`): by a hash of each
document's group id, so a document (and its translation) never straddles two splits; only
documents with translation units take part, and a split that would be empty is an error
unless ``skip_empty_splits``.

EXAMPLE:
    >>> from annotkit.export.parallel import export_parallel
    >>> from annotkit.io import read_documents
    >>> docs = read_documents(["pairs.jsonl"])  # doctest: +SKIP
    >>> export_parallel(docs, "tmx", "out/tmx")["files"]  # doctest: +SKIP
    ['all.tmx', 'README.md']
"""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotkit.doc import Document
from annotkit.errors import InputError
from annotkit.export.folder import finish_folder, prepare_folder
from annotkit.export.splits import SplitPlan, parse_split, plan_splits
from annotkit.io import Backups, atomic_writer
from annotkit.stages import MissingStageError

__all__ = ["PARALLEL_FORMATS", "Unit", "export_parallel", "units_of"]

PARALLEL_FORMATS: tuple[str, ...] = ("tmx", "moses", "tsv")
_XML_BAD = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@dataclass(frozen=True, slots=True)
class Unit:
    """One translation unit: a sentence bead with text on both sides."""

    doc_id: str
    src_lang: str
    tgt_lang: str
    src: str
    tgt: str
    score: float | None
    src_spans: tuple[tuple[int, int], ...]
    tgt_spans: tuple[tuple[int, int], ...]


# --------------------------------------------------------------------------- reading
def units_of(doc: Document) -> tuple[list[Unit], int]:
    """Translation units of one aligned document, and how many one-sided beads were left out.

    Raises :class:`~annotkit.stages.MissingStageError` when the document was never aligned.
    """
    if doc.pairs is None:
        raise MissingStageError(
            f"document {doc.id!r} has no 'pairs'; run `annotkit align` on it first (the "
            "export command does this itself)"
        )
    units, skipped = [], 0
    for pair in doc.pairs:
        for bead in pair.sentences:
            if not bead.src or not bead.tgt:
                skipped += 1
                continue
            units.append(
                Unit(
                    doc.id,
                    pair.src_lang,
                    pair.tgt_lang,
                    " ".join(" ".join(doc.text[s:e].split()) for s, e in bead.src),
                    " ".join(" ".join(doc.text[s:e].split()) for s, e in bead.tgt),
                    bead.score,
                    bead.src,
                    bead.tgt,
                )
            )
    return units, skipped


# --------------------------------------------------------------------------- writing
def _clean(text: str) -> str:
    return _XML_BAD.sub("", text)


def _write_tmx(units: Sequence[Unit], path: Path) -> None:
    langs = {u.src_lang for u in units}
    root = ET.Element("tmx", version="1.4")
    ET.SubElement(
        root,
        "header",
        {
            "creationtool": "annotkit",
            "creationtoolversion": "1",
            "segtype": "sentence",
            "o-tmf": "annotkit-align-jsonl",
            "adminlang": "en",
            "srclang": next(iter(langs)) if len(langs) == 1 else "*all*",
            "datatype": "plaintext",
        },
    )
    body = ET.SubElement(root, "body")
    for u in units:
        tu = ET.SubElement(body, "tu")
        ET.SubElement(tu, "prop", type="x-doc-id").text = _clean(u.doc_id)
        if u.score is not None:
            ET.SubElement(tu, "prop", type="x-score").text = f"{float(u.score):.4f}"
        for lang, seg in ((u.src_lang, u.src), (u.tgt_lang, u.tgt)):
            tuv = ET.SubElement(tu, "tuv", {_XML_LANG: lang})
            ET.SubElement(tuv, "seg").text = _clean(seg)
    ET.indent(root)
    with atomic_writer(path) as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        fh.write(ET.tostring(root, encoding="unicode"))
        fh.write("\n")


def _moses_files(units: Sequence[Unit], prefix: str) -> dict[str, list[str]]:
    """File name -> lines: one file per language of each language pair, line-parallel."""
    by_pair: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for u in units:
        a, b = sorted((u.src_lang, u.tgt_lang))
        sides = {u.src_lang: u.src, u.tgt_lang: u.tgt}
        by_pair.setdefault((a, b), []).append((sides[a], sides[b]))
    files: dict[str, list[str]] = {}
    for (a, b), rows in sorted(by_pair.items()):
        for k, lang in enumerate((a, b)):
            files[f"{prefix}.{a}-{b}.{lang}"] = [row[k] for row in rows]
    return files


def _write_moses(lines: Sequence[str], path: Path) -> None:
    with atomic_writer(path) as fh:
        fh.write("".join(f"{line}\n" for line in lines))


def _write_tsv(units: Sequence[Unit], path: Path) -> None:
    import pandas as pd

    frame = pd.DataFrame(
        [
            {
                "doc_id": u.doc_id,
                "src_lang": u.src_lang,
                "tgt_lang": u.tgt_lang,
                "src": u.src,
                "tgt": u.tgt,
                "score": u.score,
                "src_spans": json.dumps([list(x) for x in u.src_spans]),
                "tgt_spans": json.dumps([list(x) for x in u.tgt_spans]),
            }
            for u in units
        ],
        columns=[
            "doc_id",
            "src_lang",
            "tgt_lang",
            "src",
            "tgt",
            "score",
            "src_spans",
            "tgt_spans",
        ],  # fmt: skip
    )
    with atomic_writer(path) as fh:
        frame.to_csv(fh, sep="\t", index=False, lineterminator="\n")


def _card(fmt: str, counts: Mapping[str, int], pairs: Mapping[str, int], docs: int,
          skipped: int, files: Sequence[str], plan: SplitPlan, no_units: int) -> str:  # fmt: skip
    lines = [
        "# Parallel corpus (annotkit)",
        "",
        f"Sentence-aligned translation units from {docs} document(s), exported as `{fmt}` by",
        "`annotkit export` from `annotkit align` output. Each unit is one sentence bead",
        "(several sentences of one side joined by a space); beads with an empty side",
        f"({skipped}) are not exported. Alignments are automatic: check before training.",
        "",
        "| split | units |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in counts.items()),
        "",
        "Language pairs: " + ", ".join(f"{k} ({v})" for k, v in sorted(pairs.items())) + ".",
        "Splits are by a hash of each document's group id (a document and its translation share",
        "a split; no document in two splits)"
        + (
            f"; {no_units} document(s) without translation units are not in any."
            if no_units
            else "."
        ),
        *(["", "Splits not written:", ""] if plan.left_out else []),
        *(f"- `{k}`: {v}" for k, v in plan.left_out.items()),
        "",
        "Files: " + ", ".join(f"`{f}`" for f in files) + ".",
        "",
        "Licence: that of the source documents; check it before sharing this corpus.",
        "",
    ]
    return "\n".join(lines)


def export_parallel(
    docs: Iterable[Document],
    fmt: str,
    out_dir: str | os.PathLike[str],
    *,
    split: str | Sequence[float] | None = None,
    skip_empty_splits: bool = False,
    backups: Backups | None = None,
    force: bool = False,
) -> dict[str, Any]:
    """Write the sentence beads of align records as ``tmx``, ``moses`` or ``tsv`` files.

    Args:
        docs (Iterable[Document]): aligned documents (``doc.pairs`` set).
        fmt (str): ``"tmx"``, ``"moses"`` or ``"tsv"``.
        out_dir (str | PathLike): folder to write (created).
        split (str | Sequence[float] | None): two or three shares (train/test or
            train/dev/test), e.g. ``"80/10/10"``.
        skip_empty_splits (bool): leave out a split that would be empty (warning) instead of
            raising :class:`~annotkit.errors.InputError`.
        backups (Backups | None), force (bool): files in the folder annotkit did not write (or
            changed since): :func:`~annotkit.export.folder.prepare_folder`.

    RETURNS:
        dict: ``{"format", "files", "units", "splits", "left_out", "removed",
        "skipped_beads", "documents", "documents_without_units"}``.

    EXAMPLE:
        >>> from annotkit.doc import PassagePair, SentencePair
        >>> pair = PassagePair((0, 3), (4, 7), "en", "zh", 0.5,
        ...                    (SentencePair(((0, 3),), ((4, 7),), 0.5),))
        >>> doc = Document("d", "Hi. 你好。", pairs=(pair,))
        >>> export_parallel([doc], "moses", "/tmp/moses")["files"]
        ['all.en-zh.en', 'all.en-zh.zh', 'README.md']
    """
    if fmt not in PARALLEL_FORMATS:
        raise InputError(
            f"unknown parallel format {fmt!r}; choose one of {', '.join(PARALLEL_FORMATS)}"
        )
    shares = parse_split(split)
    docs = list(docs)
    by_doc: dict[str, list[Unit]] = {}
    skipped = 0
    for doc in docs:
        units, n_skip = units_of(doc)
        skipped += n_skip
        if units:
            by_doc[doc.id] = units
    if not by_doc:
        raise InputError(
            f"nothing to export: none of the {len(docs)} document(s) has an aligned sentence "
            "pair with text on both sides; check the input with `annotkit align`"
        )
    plan = plan_splits([d for d in docs if d.id in by_doc], shares, skip_empty=skip_empty_splits)
    groups = {name: [u for d in part for u in by_doc[d.id]] for name, part in plan.parts.items()}
    moses: dict[str, list[str]] = {}  # file name -> lines
    if fmt == "moses":
        for name, units in groups.items():
            moses.update(_moses_files(units, name))
    names = list(moses) if fmt == "moses" else [f"{name}.{fmt}" for name in groups]
    files = [*names, "README.md"]
    out = Path(out_dir)
    # checks and cleans before any write
    removed = prepare_folder(out, files, fmt=fmt, backups=backups, force=force)
    for fname, lines in moses.items():
        _write_moses(lines, out / fname)
    if fmt != "moses":
        for name, units in groups.items():
            (_write_tmx if fmt == "tmx" else _write_tsv)(units, out / f"{name}.{fmt}")
    pairs: dict[str, int] = {}
    for units in groups.values():
        for u in units:
            key = "-".join(sorted((u.src_lang, u.tgt_lang)))
            pairs[key] = pairs.get(key, 0) + 1
    counts = {k: len(v) for k, v in groups.items()}
    no_units = len(docs) - len(by_doc)
    with atomic_writer(out / "README.md") as fh:
        fh.write(_card(fmt, counts, pairs, len(docs), skipped, files, plan, no_units))
    finish_folder(out, files, fmt=fmt)
    return {
        "format": fmt,
        "files": files,
        "units": sum(counts.values()),
        "splits": counts,
        "left_out": dict(plan.left_out),
        "removed": removed,
        "skipped_beads": skipped,
        "documents": len(docs),
        "documents_without_units": no_units,
    }
