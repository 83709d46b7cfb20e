"""Heating spread of every specimen of a simulated dataset, by flash profile.

Classical detection corrects the heating only at a spread of at least
``thermodefect.preprocess.UNEVEN_HEATING`` (2 %); this prints how the specimens of a dataset
written by ``thermodefect simulate`` fall on either side.

    python benchmarks/heating_spread_survey.py bench
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def main() -> None:
    from thermodefect.io import load
    from thermodefect.preprocess import UNEVEN_HEATING, extract_cooling, heating_spread

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir", type=Path)
    args = ap.parse_args()
    spreads: dict[str, list[float]] = {}
    for path in sorted(args.data_dir.glob("*.mat")):
        profile = json.loads(path.with_suffix(".json").read_text())["flash"]["profile"]
        spreads.setdefault(profile, []).append(heating_spread(extract_cooling(load(path))))
    for profile, values in sorted(spreads.items()):
        below = sum(v < UNEVEN_HEATING for v in values)
        low, high = min(values), max(values)
        print(f"{profile:9s} {len(values):3d} specimens: spread {low:.3f}-{high:.3f}, "
              f"{below} below {UNEVEN_HEATING:g} (heating left uncorrected)")  # fmt: skip


if __name__ == "__main__":
    main()
