"""thermodefect: subsurface defect detection in optical pulsed thermography sequences.

The package imports cheaply: readers, methods and torch load when first used.
"""

import logging

from thermodefect.lazy import lazy_exports

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

__getattr__, __dir__, _names = lazy_exports(
    __name__,
    {
        "Meta": ".sequence",
        "Sequence": ".sequence",
        "ThermodefectError": ".errors",
        "load": ".io",
        "save": ".io",
    },
)
__all__ = ["__version__", *_names]
