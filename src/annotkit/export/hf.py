"""Hugging Face ``datasets`` export: JSONL rows and the dataset card's YAML front matter.

``datasets.load_dataset(folder)`` loads the export folder as is: the card (``README.md``)
declares the data files per split (``configs``; ``dev`` is the ``validation`` split, ``all``
the ``train`` split) and the features, ``ner_tags`` as a ``ClassLabel`` sequence whose names
are the BIO tags (also in ``labels.json``). One row per sentence::

    {"id": "en01#0", "doc_id": "en01", "lang": "en", "tokens": ["Patients", ...],
     "ner_tags": [0, ...], "offsets": [[0, 8], ...]}

``offsets`` are code points into the document text.

EXAMPLE:
    >>> hf_label_list(["DOSE", "CELL_TYPE"])
    ['O', 'B-CELL_TYPE', 'I-CELL_TYPE', 'B-DOSE', 'I-DOSE']
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from annotkit.doc import Document
from annotkit.tags import TaggedSentence

__all__ = ["HF_SPLITS", "hf_front_matter", "hf_label_list", "hf_rows"]

#: annotkit split name -> Hugging Face split name
HF_SPLITS: dict[str, str] = {"all": "train", "train": "train", "dev": "validation", "test": "test"}

_FEATURES: tuple[tuple[str, str], ...] = (
    ("id", "  - name: id\n    dtype: string"),
    ("doc_id", "  - name: doc_id\n    dtype: string"),
    ("lang", "  - name: lang\n    dtype: string"),
    ("tokens", "  - name: tokens\n    sequence: string"),
    ("ner_tags", ""),  # written with the label names
    ("offsets", "  - name: offsets\n    sequence:\n      sequence: int64"),
)


def hf_label_list(labels: Iterable[str]) -> list[str]:
    """HF tag names for BIO: ``O`` then ``B-X``, ``I-X`` per label in sorted order.

    EXAMPLE:
        >>> hf_label_list(["DOSE", "CELL_TYPE"])
        ['O', 'B-CELL_TYPE', 'I-CELL_TYPE', 'B-DOSE', 'I-DOSE']
    """
    out = ["O"]
    for lab in sorted(set(labels)):
        out += [f"B-{lab}", f"I-{lab}"]
    return out


def hf_rows(
    doc: Document, sents: Sequence[TaggedSentence], label_list: Sequence[str]
) -> Iterator[dict[str, Any]]:
    """The rows of one document: one per sentence, tags as ids into ``label_list``."""
    ids = {tag: i for i, tag in enumerate(label_list)}
    for i, s in enumerate(sents):
        yield {
            "id": f"{doc.id}#{i}",
            "doc_id": doc.id,
            "lang": s.lang,
            "tokens": s.words(doc.text),
            "ner_tags": [ids[t] for t in s.tags],
            "offsets": [list(t) for t in s.tokens],
        }


def _yaml(value: str) -> str:
    """A YAML double-quoted scalar (JSON string syntax is valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def hf_front_matter(
    files: Mapping[str, str], label_list: Sequence[str], languages: Iterable[str]
) -> str:
    """The card's YAML front matter: languages, task, data files per split, features.

    files (Mapping[str, str]): annotkit split name -> file name, in order.
    label_list (Sequence[str]): the ClassLabel names (:func:`hf_label_list`).
    languages (Iterable[str]): ISO 639-1 codes of the documents.
    """
    seen = set(languages)
    langs = sorted({"en", "zh"} if "mixed" in seen else seen & {"en", "zh"})
    lines = ["---"]
    if langs:
        lines += ["language:", *(f"- {x}" for x in langs)]
    lines += [
        "task_categories:",
        "- token-classification",
        "task_ids:",
        "- named-entity-recognition",
        "configs:",
        "- config_name: default",
        "  data_files:",
    ]
    for name, fname in files.items():
        lines += [f"  - split: {HF_SPLITS[name]}", f"    path: {_yaml(fname)}"]
    lines += ["dataset_info:", "  features:"]
    for name, block in _FEATURES:
        if name != "ner_tags":
            lines.append(block)
            continue
        lines += [
            "  - name: ner_tags",
            "    sequence:",
            "      class_label:",
            "        names:",
            *(f"          '{i}': {_yaml(tag)}" for i, tag in enumerate(label_list)),
        ]
    lines += ["---", ""]
    return "\n".join(lines)
