"""Lazy attributes of a package: public names resolve, and their modules load, on first use.

Keeps ``import thermodefect`` and ``thermodefect --help`` cheap (no torch, no matplotlib)
while every public name is still listed once, in the package's ``__init__``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

__all__ = [
    "lazy_exports",
]


def lazy_exports(
    package: str, exports: dict[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """``__getattr__``, ``__dir__`` and ``__all__`` for a package whose names load on demand.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    exports : dict of str to str
        Public name -> module (relative to ``package``, e.g. ``".model"``) that defines it.

    Returns
    -------
    getattr, dir, all
        Assign them to the package's ``__getattr__``, ``__dir__`` and ``__all__``.

    Examples
    --------
    >>> getattr_, dir_, all_ = lazy_exports("thermodefect", {"load": ".io"})
    >>> getattr_("load").__name__
    'load'
    """

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(exports[name], package), name)

    def __dir__() -> list[str]:
        return sorted(exports)

    return __getattr__, __dir__, sorted(exports)
