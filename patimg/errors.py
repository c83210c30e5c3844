"""Errors PatImg raises for bad input: each names the input and says what is wrong with it."""

from __future__ import annotations


class PatImgError(Exception):
    """Base class: a problem the user can act on (shown as a message, never as a traceback)."""


class BadInputError(PatImgError):
    """An input file is unreadable, corrupt, hostile or of an unknown kind."""

    def __init__(self, source: str, problem: str) -> None:
        self.source = str(source)
        self.problem = problem
        super().__init__(f"{self.source}: {problem}")


class ModelUnavailableError(PatImgError):
    """Model weights are missing and cannot be downloaded; the message says what to put where."""


class BackendMismatchError(PatImgError):
    """A query would be encoded with other backends than the ones that built the collection."""
