"""annotkit: bilingual (English/Chinese) biomedical corpus toolkit.

The Python API is first-class; the ``annotkit`` command wraps these functions.

EXAMPLE:
    >>> import annotkit
    >>> doc = annotkit.detect(annotkit.Document("d", "背景：MSCs 治疗腰痛。Pain fell."))
    >>> [(doc.text_of(s), s.lang) for s in doc.segments]
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

from annotkit.doc import (
    LABELS,
    Bead,
    Document,
    PassagePair,
    Segment,
    SentencePair,
    Span,
    content_id,
    text_hash,
)
from annotkit.errors import (
    AlignmentError,
    AnnotkitError,
    ConfigError,
    InputError,
    ModelNotFoundError,
    OffsetError,
    SyncError,
    TrainingError,
)
from annotkit.io import document_from_record, document_to_record, read_documents, write_jsonl
from annotkit.offsets import OffsetMap, from_graphemes, from_utf16, to_graphemes, to_utf16

__all__ = [
    "AlignmentError",
    "AnnotkitError",
    "Bead",
    "ConfigError",
    "Document",
    "InputError",
    "LABELS",
    "ModelNotFoundError",
    "OffsetError",
    "OffsetMap",
    "PassagePair",
    "Segment",
    "SentencePair",
    "Span",
    "SyncError",
    "TrainingError",
    "__version__",
    "align_document",
    "align_sentences",
    "annotate_documents",
    "content_id",
    "detect",
    "detect_language",
    "document_from_record",
    "document_to_record",
    "evaluate",
    "evaluate_many",
    "from_graphemes",
    "from_utf16",
    "preannotate",
    "read_documents",
    "run_document",
    "split_sentences",
    "text_hash",
    "to_graphemes",
    "to_utf16",
    "tokenize",
    "write_jsonl",
]

# Stage functions are imported on first use, so `import annotkit` stays light (no jieba,
# pandas or langdetect profiles until a stage runs).
_LAZY: dict[str, str] = {
    "detect": "annotkit.langid",
    "detect_language": "annotkit.langid",
    "split_sentences": "annotkit.langid",
    "tokenize": "annotkit.segment",
    "align_sentences": "annotkit.align",
    "align_document": "annotkit.align",
    "preannotate": "annotkit.annotate",
    "annotate_documents": "annotkit.annotate",
    "evaluate": "annotkit.evaluate",
    "evaluate_many": "annotkit.evaluate",
    "run_document": "annotkit.pipeline",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'annotkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
