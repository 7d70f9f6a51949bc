"""Parallel corpora from aligned documents (``annotkit align`` records): TMX 1.4, Moses, TSV.

A document's ``pairs`` (docs/record.md) give its sentence beads; every bead with text on
both sides becomes one translation unit; beads with an empty side are counted, not
exported. Files, per split (``all`` without ``split``):

- ``tmx``: ``<split>.tmx`` (TMX 1.4, ``xml:lang`` on every ``<tuv>``, one ``<tu>`` per bead);
- ``moses``: ``<split>.<l1>-<l2>.<l1>`` and ``<split>.<l1>-<l2>.<l2>``, line-parallel, the
  sentences of a bead joined by a space, newlines inside a sentence turned into spaces;
- ``tsv``: ``<split>.tsv`` (pandas), columns ``doc_id src_lang tgt_lang src tgt score
  src_spans tgt_spans``;

plus a ``README.md`` dataset card. Splits are by a hash of the document id, so a document
(and the translation inside it) never straddles two splits.

EXAMPLE:
    >>> from annotkit.export.parallel import export_parallel
    >>> from annotkit.io import read_documents
    >>> docs = read_documents(["pairs.jsonl"])  # doctest: +SKIP
    >>> export_parallel(docs, "tmx", "out/tmx")["files"]  # doctest: +SKIP
    ['all.tmx', 'README.md']
"""

from __future__ import annotations

import hashlib
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
from annotkit.io import atomic_writer
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
def _split_names(split: Sequence[float] | None) -> tuple[str, ...]:
    if split is None:
        return ("all",)
    return ("train", "test") if len(split) == 2 else ("train", "dev", "test")


def _split_of(doc_id: str, split: Sequence[float] | None) -> str:
    names = _split_names(split)
    if split is None:
        return names[0]
    x = int(hashlib.sha1(doc_id.encode("utf-8")).hexdigest()[:8], 16) / 0x100000000
    total, acc = float(sum(split)), 0.0
    for name, share in zip(names, split, strict=True):
        acc += share / total
        if x < acc:
            return name
    return names[-1]


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


def _write_moses(units: Sequence[Unit], prefix: str, out: Path) -> list[str]:
    by_pair: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for u in units:
        a, b = sorted((u.src_lang, u.tgt_lang))
        sides = {u.src_lang: u.src, u.tgt_lang: u.tgt}
        by_pair.setdefault((a, b), []).append((sides[a], sides[b]))
    files = []
    for (a, b), rows in sorted(by_pair.items()):
        for k, lang in enumerate((a, b)):
            name = f"{prefix}.{a}-{b}.{lang}"
            with atomic_writer(out / name) as fh:
                fh.write("".join(f"{row[k]}\n" for row in rows))
            files.append(name)
    return files


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
          skipped: int, files: Sequence[str]) -> str:  # fmt: skip
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
        "Splits are by a hash of the document id (no document in two splits).",
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
    split: Sequence[float] | None = None,
) -> dict[str, Any]:
    """Write the sentence beads of align records as ``tmx``, ``moses`` or ``tsv`` files.

    Args:
        docs (Iterable[Document]): aligned documents (``doc.pairs`` set).
        fmt (str): ``"tmx"``, ``"moses"`` or ``"tsv"``.
        out_dir (str | PathLike): folder to write (created).
        split (Sequence[float] | None): two or three shares (train/test or train/dev/test).

    RETURNS:
        dict: ``{"format", "files", "units", "splits", "skipped_beads", "documents"}``.

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
    if split is not None and (len(split) not in (2, 3) or sum(split) <= 0):
        raise InputError(f"bad split {list(split)!r}; give two or three shares like 80/10/10")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    groups: dict[str, list[Unit]] = {name: [] for name in _split_names(split)}
    skipped, n_docs = 0, 0
    for doc in docs:
        units, n_skip = units_of(doc)
        skipped += n_skip
        n_docs += 1
        groups[_split_of(doc.id, split)].extend(units)
    files: list[str] = []
    for name, units in groups.items():
        if fmt == "tmx":
            _write_tmx(units, out / f"{name}.tmx")
            files.append(f"{name}.tmx")
        elif fmt == "moses":
            files.extend(_write_moses(units, name, out))
        else:
            _write_tsv(units, out / f"{name}.tsv")
            files.append(f"{name}.tsv")
    pairs: dict[str, int] = {}
    for units in groups.values():
        for u in units:
            key = "-".join(sorted((u.src_lang, u.tgt_lang)))
            pairs[key] = pairs.get(key, 0) + 1
    counts = {k: len(v) for k, v in groups.items()}
    with atomic_writer(out / "README.md") as fh:
        fh.write(_card(fmt, counts, pairs, n_docs, skipped, files))
    files.append("README.md")
    return {
        "format": fmt,
        "files": files,
        "units": sum(counts.values()),
        "splits": counts,
        "skipped_beads": skipped,
        "documents": n_docs,
    }
