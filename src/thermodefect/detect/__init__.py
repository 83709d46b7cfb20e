"""Detection end to end: a feature image (classical method) or a probability map (network),
a decision, cleaned regions and the defect table.

Names load on first use: ``import thermodefect.detect`` loads neither torch nor matplotlib.
"""

from thermodefect.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "DECISIONS": ".decision",
        "Z_MIN": ".decision",
        "decide": ".decision",
        "gate": ".decision",
        "FEATURES": ".features",
        "with_depth": ".depth",
        "MIN_AREA": ".classical",
        "detect": ".classical",
        "prepare": ".classical",
        "Detection": ".regions",
        "Region": ".regions",
        "TABLE_FIELDS": ".regions",
        "measure": ".regions",
        "write_table": ".regions",
        "detect_combined": ".combined",
        "default_checkpoint_path": ".model",
        "detect_with_model": ".model",
        "load_model": ".model",
    },
)
