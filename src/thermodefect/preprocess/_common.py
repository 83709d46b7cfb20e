"""Helpers shared by the preprocessing modules."""

from __future__ import annotations

from thermodefect.errors import ThermodefectError
from thermodefect.sequence import Sequence


def fail(seq: Sequence, message: str) -> ThermodefectError:
    """A one-line error about ``seq``, naming its source file."""
    return ThermodefectError(message, seq.meta.source)
