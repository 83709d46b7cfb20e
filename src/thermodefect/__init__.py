"""thermodefect: subsurface defect detection in optical pulsed thermography sequences.

The package imports cheaply: readers, methods and torch load when first used.
"""

from thermodefect.errors import ThermodefectError
from thermodefect.io import load, save
from thermodefect.sequence import Meta, Sequence

__version__ = "0.1.0"
__all__ = ["Meta", "Sequence", "ThermodefectError", "__version__", "load", "save"]
