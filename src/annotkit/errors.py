"""The annotkit exception hierarchy.

Every error annotkit raises on purpose derives from :class:`AnnotkitError`, and every
message says what failed, the offending value and what to do about it::

    AnnotkitError
    ├── ConfigError                 bad settings, environment or credentials
    ├── InputError                  unreadable/invalid input (file, line, document named)
    │   └── OffsetError             a span outside its text, unsorted or overlapping
    ├── ModelNotFoundError          (also FileNotFoundError) no model where one was expected
    ├── AlignmentError              inputs the aligner cannot work with
    ├── TrainingError               stanza training failed
    └── SyncError                   doccano server/API failures (wraps client errors)

Catch the root to handle them all::

    try:
        docs = list(annotkit.read_documents(["corpus/"]))
    except annotkit.AnnotkitError as err:
        print(f"error: {err}")
"""

from __future__ import annotations

__all__ = [
    "AlignmentError",
    "AnnotkitError",
    "ConfigError",
    "InputError",
    "ModelNotFoundError",
    "OffsetError",
    "SyncError",
    "TrainingError",
]


class AnnotkitError(Exception):
    """Root of every error annotkit raises on purpose."""


class ConfigError(AnnotkitError):
    """Settings, environment variables or credentials are missing or invalid."""


class InputError(AnnotkitError):
    """An input file, line or document cannot be used.

    ``source`` names the file (and line or document) so batch runs can report it.
    """

    def __init__(self, message: str, *, source: str | None = None) -> None:
        super().__init__(f"{source}: {message}" if source else message)
        self.source = source
        self.reason = message


class OffsetError(InputError):
    """A span lies outside its text, or spans are unsorted or overlapping."""


class ModelNotFoundError(AnnotkitError, FileNotFoundError):
    """No model where one was expected (not trained, not promoted, wrong path)."""


class AlignmentError(AnnotkitError):
    """The aligner cannot work with its inputs."""


class TrainingError(AnnotkitError):
    """Training a model failed."""


class SyncError(AnnotkitError):
    """The doccano server rejected a request or could not be reached."""
