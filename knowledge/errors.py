"""The small exception vocabulary of chartproof. Messages are written for users.

The CLI maps every ChartproofError to one stderr line and exit status 2; the API maps them to
application/problem+json with a 4xx status.
"""

from __future__ import annotations


class ChartproofError(Exception):
    """Base class: something the user can fix. `status` is the HTTP status the API answers with."""

    status: int = 400


class InputError(ChartproofError):
    """Bad input: an empty phrase, a malformed code, an age out of range, an unknown setting."""

    status = 422


class ChartError(InputError):
    """A chart that cannot be read: empty text, malformed JSON, a FHIR resource with no note."""


class KnowledgeError(ChartproofError):
    """The knowledge base cannot be built or read (unreadable data directory, corrupt index)."""

    status = 503


class ModelError(ChartproofError):
    """The configured LLM failed or answered with something unusable."""

    status = 502


class NotFoundError(ChartproofError):
    """A code, audit record or thread that does not exist."""

    status = 404


class StorageError(ChartproofError):
    """The audit, review or chat-state store cannot be reached or written (database down, directory
    not writable)."""

    status = 503
