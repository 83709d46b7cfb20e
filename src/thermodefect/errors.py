"""The one exception type that carries a user-facing problem."""

from __future__ import annotations

import os

__all__ = [
    "ThermodefectError",
]


class ThermodefectError(Exception):
    """A problem with the user's input or request, reported on one line.

    Parameters
    ----------
    message : str
        What was expected and what was found.
    path : str or os.PathLike, optional
        The file the problem is about; it leads the message.
    """

    def __init__(self, message: str, path: str | os.PathLike | None = None):
        self.path = None if path is None else os.fspath(path)
        self.problem = " ".join(str(message).split())
        super().__init__(self.problem if self.path is None else f"{self.path}: {self.problem}")

    def naming(self, path: str | os.PathLike) -> str:
        """The one-line message, led by ``path`` when the error names no file itself.

        Parameters
        ----------
        path : str or os.PathLike
            The file the caller was working on.

        Returns
        -------
        str
        """
        return str(self) if self.path else f"{os.fspath(path)}: {self.problem}"


def short(exc: BaseException | str, limit: int = 160) -> str:
    """One line describing ``exc``, cut at a word boundary to at most ``limit`` characters.

    Parameters
    ----------
    exc : BaseException or str
        Any exception (its message, or its type when it has none), or a message.
    limit : int
        Longest result.

    Returns
    -------
    str

    Examples
    --------
    >>> short(ValueError("a  message   with  spaces"))
    'a message with spaces'
    """
    text = " ".join(str(exc).split()) or type(exc).__name__
    if len(text) <= limit:
        return text
    cut = text[: limit - 3].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "..."
