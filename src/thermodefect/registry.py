"""Registries: one table of name -> entry for each kind of thing a user can choose.

Readers, writers, methods, decision rules, networks, losses, attention blocks and presets
are each listed once, in a :class:`Registry`; the command line takes its choices and help
from them, the docs their tables, and the tests run every entry. An entry may name its
object as ``"module:attribute"`` so that listing names loads nothing heavy (torch).
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from thermodefect.errors import ThermodefectError

__all__ = [
    "Registry",
    "T",
    "did_you_mean",
    "unknown_name",
]

T = TypeVar("T")


def did_you_mean(name: str, choices) -> str:
    """``" (did you mean 'x'?)"`` for the closest of ``choices`` to ``name``, else ``""``.

    Parameters
    ----------
    name : str
        What the user wrote.
    choices : iterable of str
        The valid names.

    Returns
    -------
    str
        The suggestion, with a leading space, or an empty string.

    Examples
    --------
    >>> did_you_mean("unte", ["unet", "unetpp", "lstm"])
    " (did you mean 'unet'?)"
    """
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown_name(kind: str, name: str, choices) -> ThermodefectError:
    """The error for a name that is not among ``choices``: the closest match and every choice.

    Parameters
    ----------
    kind : str
        What the name names (``"method"``, ``"model"`` ...).
    name : str
        What the user wrote.
    choices : iterable of str
        The valid names.

    Returns
    -------
    ThermodefectError
        To be raised by the caller.
    """
    choices = list(choices)
    return ThermodefectError(
        f"unknown {kind} {name!r}{did_you_mean(name, choices)}; choose from {', '.join(choices)}"
    )


@dataclass(frozen=True)
class _Entry:
    value: Any  # the entry, or None while ``target`` is not imported
    target: str | None
    summary: str


class Registry(Mapping[str, T]):
    """An ordered, read-only mapping of names to entries of one kind, filled by :meth:`add`.

    Looking up an unknown name raises :class:`~thermodefect.errors.ThermodefectError` that
    suggests the closest name and lists all of them. Entries given as ``"module:attribute"``
    are imported on first lookup.

    Parameters
    ----------
    kind : str
        What an entry is, in the singular (used in error messages), e.g. ``"method"``.

    Examples
    --------
    >>> colours = Registry("colour")
    >>> colours.add("red", "#f00", summary="pure red")
    >>> colours["red"], list(colours), colours.summary("red")
    ('#f00', ['red'], 'pure red')
    """

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, _Entry] = {}
        self._loaded: dict[str, T] = {}

    def add(self, name: str, value: T | str, *, summary: str = "") -> None:
        """Register ``value`` (or ``"module:attribute"``, imported on first use) as ``name``.

        Parameters
        ----------
        name : str
            The name users type.
        value : object or str
            The entry, or where to import it from.
        summary : str
            One line for help texts and docs tables.

        Raises
        ------
        ValueError
            If ``name`` is already registered (a programming error, not a user's).
        """
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        if isinstance(value, str) and ":" in value:
            self._entries[name] = _Entry(None, value, summary)
        else:
            self._entries[name] = _Entry(value, None, summary)

    def register(self, name: str, *, summary: str = "") -> Callable[[T], T]:
        """Decorator form of :meth:`add`.

        Parameters
        ----------
        name : str
            The name users type.
        summary : str
            One line for help texts and docs tables.

        Returns
        -------
        callable
            A decorator that registers and returns its argument.
        """

        def decorate(value: T) -> T:
            self.add(name, value, summary=summary)
            return value

        return decorate

    def check(self, name: str) -> str:
        """Return ``name`` if registered.

        Parameters
        ----------
        name : str
            What the user wrote.

        Returns
        -------
        str
            ``name``.

        Raises
        ------
        ThermodefectError
            Naming the closest registered name and every choice.
        """
        if name not in self._entries:
            raise unknown_name(self.kind, name, self._entries)
        return name

    def summary(self, name: str) -> str:
        """The one-line summary of ``name``.

        Parameters
        ----------
        name : str
            A registered name.

        Returns
        -------
        str

        Raises
        ------
        ThermodefectError
            For an unknown name.
        """
        return self._entries[self.check(name)].summary

    def help(self) -> str:
        """``name: summary`` of every entry, separated by semicolons, for ``--help`` texts.

        Returns
        -------
        str
        """
        return "; ".join(f"{n}: {e.summary}" if e.summary else n for n, e in self._entries.items())

    def __getitem__(self, name: str) -> T:
        entry = self._entries[self.check(name)]
        if entry.target is None:
            return entry.value
        if name not in self._loaded:
            module, _, attribute = entry.target.partition(":")
            self._loaded[name] = getattr(importlib.import_module(module), attribute)
        return self._loaded[name]

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}: {', '.join(self._entries)})"
