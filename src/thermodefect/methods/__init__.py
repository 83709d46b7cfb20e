"""Classical processing methods, registered by name for the CLI, benchmarks and tests."""

from __future__ import annotations

from thermodefect.methods._pct import NORMALIZATIONS, PCTResult, pct
from thermodefect.methods._tsr import TSRResult, tsr

#: name -> function(data, ...) for every classical method.
METHODS = {"pct": pct, "tsr": tsr}

__all__ = ["METHODS", "NORMALIZATIONS", "PCTResult", "TSRResult", "pct", "tsr"]
