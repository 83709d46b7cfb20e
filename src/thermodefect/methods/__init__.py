"""Classical processing methods, registered by name for the CLI, benchmarks and tests."""

from __future__ import annotations

from thermodefect.methods.pct import NORMALIZATIONS, PCTResult, pct

#: name -> function(data, ...) for every classical method.
METHODS = {"pct": pct}

__all__ = ["METHODS", "NORMALIZATIONS", "PCTResult", "pct"]
