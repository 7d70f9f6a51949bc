"""annotkit: bilingual (English/Chinese) biomedical corpus toolkit.

The Python API is first-class; the ``annotkit`` command wraps these functions.
"""

from __future__ import annotations

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
    "content_id",
    "document_from_record",
    "document_to_record",
    "from_graphemes",
    "from_utf16",
    "read_documents",
    "text_hash",
    "to_graphemes",
    "to_utf16",
    "write_jsonl",
]
