"""Parallel corpora from ``annotkit align`` records: TMX 1.4, Moses plain text, TSV.

A record is ``{"id", "text", "pairs": [...]}`` (``annotkit align --with-text`` writes the text;
without it :func:`read_pairs` joins the records with the original documents given beside
them). Every sentence bead with text on both sides becomes one translation unit; beads with an
empty side are counted, not exported. Files, per split (``all`` without ``split``):

- ``tmx``: ``<split>.tmx`` (TMX 1.4, ``xml:lang`` on every ``<tuv>``, one ``<tu>`` per bead);
- ``moses``: ``<split>.<l1>-<l2>.<l1>`` and ``<split>.<l1>-<l2>.<l2>``, line-parallel, the
  sentences of a bead joined by a space, newlines inside a sentence turned into spaces;
- ``tsv``: ``<split>.tsv`` (pandas), columns ``doc_id src_lang tgt_lang src tgt score
  src_spans tgt_spans``;

plus a ``README.md`` dataset card. Splits are by a hash of the document id, so a document
(and the translation inside it) never straddles two splits.

EXAMPLE:
    >>> from annotkit.export.parallel import export_parallel, read_pairs
    >>> records = read_pairs(["pairs.jsonl"])  # doctest: +SKIP
    >>> export_parallel(records, "tmx", "out/tmx")["files"]  # doctest: +SKIP
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

from annotkit.errors import InputError
from annotkit.io import atomic_writer, read_documents

__all__ = ["PARALLEL_FORMATS", "Unit", "export_parallel", "read_pairs", "units_of"]

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
def _is_align_file(path: Path) -> bool:
    if path.suffix.lower() not in (".jsonl", ".ndjson", ".json") or not path.is_file():
        return False
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                try:
                    first = json.loads(line)
                except json.JSONDecodeError:
                    return False
                return isinstance(first, dict) and "pairs" in first
    return False


def read_pairs(paths: Sequence[str | os.PathLike[str]]) -> list[dict[str, Any]]:
    """Read ``annotkit align`` JSONL records; give their text from documents when missing.

    paths: align JSONL files (records with ``"pairs"``) and, for records written without
    ``--with-text``, the original documents (any input :func:`annotkit.io.read_documents`
    reads), matched by document id.

    EXAMPLE:
        >>> read_pairs(["pairs.jsonl", "seeds/"])  # doctest: +SKIP
    """
    records: list[dict[str, Any]] = []
    doc_inputs: list[str] = []
    for raw in paths:
        path = Path(raw)
        if not _is_align_file(path):
            doc_inputs.append(str(path))
            continue
        with path.open(encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as err:
                    raise InputError(
                        f"not JSON ({err.msg}); give `annotkit align` output",
                        source=f"{path}:{lineno}",
                    ) from None
                if not isinstance(rec, dict) or "id" not in rec or "pairs" not in rec:
                    raise InputError(
                        "record has no 'id'/'pairs'; give `annotkit align` output",
                        source=f"{path}:{lineno}",
                    )
                records.append(rec)
    texts = {d.id: d.text for d in read_documents(doc_inputs)} if doc_inputs else {}
    for rec in records:
        if "text" not in rec:
            if str(rec["id"]) not in texts:
                raise InputError(
                    f"align record {rec['id']!r} has no text; run `annotkit align --with-text` "
                    "or pass the original documents after the align file"
                )
            rec["text"] = texts[str(rec["id"])]
    return records


def units_of(record: Mapping[str, Any]) -> tuple[list[Unit], int]:
    """Translation units of one record, and how many one-sided beads were left out."""
    text = record.get("text")
    if not isinstance(text, str):
        raise InputError(f"align record {record.get('id')!r} has no text", source="records")
    units, skipped = [], 0
    for pair in record.get("pairs", []):
        for bead in pair.get("sentences", []):
            src = tuple((int(s), int(e)) for s, e in bead.get("src", []))
            tgt = tuple((int(s), int(e)) for s, e in bead.get("tgt", []))
            if not src or not tgt:
                skipped += 1
                continue
            if any(not 0 <= s < e <= len(text) for s, e in src + tgt):
                raise InputError(
                    f"bead offsets {list(src + tgt)} are outside the text (length {len(text)}); "
                    "the record does not belong to this text",
                    source=str(record.get("id")),
                )
            units.append(
                Unit(
                    str(record["id"]),
                    str(pair["src_lang"]),
                    str(pair["tgt_lang"]),
                    " ".join(" ".join(text[s:e].split()) for s, e in src),
                    " ".join(" ".join(text[s:e].split()) for s, e in tgt),
                    bead.get("score"),
                    src,
                    tgt,
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
    records: Iterable[Mapping[str, Any]],
    fmt: str,
    out_dir: str | os.PathLike[str],
    *,
    split: Sequence[float] | None = None,
) -> dict[str, Any]:
    """Write the sentence beads of align records as ``tmx``, ``moses`` or ``tsv`` files.

    Args:
        records (Iterable[Mapping]): ``annotkit align`` records with ``"text"``
            (:func:`read_pairs`).
        fmt (str): ``"tmx"``, ``"moses"`` or ``"tsv"``.
        out_dir (str | PathLike): folder to write (created).
        split (Sequence[float] | None): two or three shares (train/test or train/dev/test).

    RETURNS:
        dict: ``{"format", "files", "units", "splits", "skipped_beads", "documents"}``.

    EXAMPLE:
        >>> rec = {"id": "d", "text": "Hi. 你好。", "pairs": [{"src": [0, 3], "tgt": [4, 7],
        ...        "src_lang": "en", "tgt_lang": "zh", "score": 0.5, "sentences": [
        ...        {"src": [[0, 3]], "tgt": [[4, 7]], "score": 0.5}]}]}
        >>> export_parallel([rec], "moses", "/tmp/moses")["files"]
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
    skipped, docs = 0, 0
    for rec in records:
        units, n_skip = units_of(rec)
        skipped += n_skip
        docs += 1
        groups[_split_of(str(rec["id"]), split)].extend(units)
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
        fh.write(_card(fmt, counts, pairs, docs, skipped, files))
    files.append("README.md")
    return {
        "format": fmt,
        "files": files,
        "units": sum(counts.values()),
        "splits": counts,
        "skipped_beads": skipped,
        "documents": docs,
    }
