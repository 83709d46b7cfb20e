"""Figures of docs/simulator.md: cooling curves against Parker, and a simulated plate beside
the seed's real PCA image.

    python benchmarks/figures_simulator.py [--out docs/images] [--seed-dir ../shared/seed]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def cooling_curves(out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from thermodefect.simulate import LIBRARY, Boundary, Defect, Flash, Plate
    from thermodefect.simulate.analytic import parker_front
    from thermodefect.simulate.solver import Grid, build_model, simulate_surface

    cfrp = LIBRARY["cfrp"]
    q = 6000.0
    times = np.geomspace(0.02, 60.0, 120)
    depths = (0.3, 0.6, 0.9, 1.2)
    holes = tuple(
        Defect("hole", d, center_mm=(12.5 + 25 * i, 12.5), size_mm=12.0)
        for i, d in enumerate(depths)
    )
    model = build_model(
        Plate(3.0, "cfrp", defects=holes), Grid((25, 100), 1.0, 30), Boundary(0, 0, 0)
    )
    surface = simulate_surface(model, Flash(q, 0.0), times)
    fig, ax = plt.subplots(figsize=(7, 5), constrained_layout=True)
    energy = q / cfrp.rho_c
    ax.loglog(times, surface[:, 12, 2], "k", lw=2, label="sound (simulated)")
    ax.loglog(times, parker_front(times, 3e-3, cfrp.diffusivity(), energy), "k--", lw=1,
              label="Parker, 3 mm plate")  # fmt: skip
    for i, d in enumerate(depths):
        line = ax.loglog(
            times, surface[:, 12, 12 + 25 * i], lw=2, label=f"hole, {d} mm deep (simulated)"
        )
        ax.loglog(times, parker_front(times, d * 1e-3, cfrp.diffusivity(), energy), ":",
                  color=line[0].get_color(), lw=1.2, label=f"Parker, {d} mm plate")  # fmt: skip
    ax.loglog(times, energy / np.sqrt(np.pi * cfrp.diffusivity() * times), color="0.6", lw=0.8,
              label="semi-infinite, slope -1/2")  # fmt: skip
    title = "CFRP 3 mm, 12 mm flat-bottom holes, adiabatic faces"
    ax.set(xlabel="time after the flash (s)", ylabel="front-face temperature rise (K)",
           title=title, ylim=(0.05, 100))  # fmt: skip
    ax.legend(fontsize=7, ncol=2)
    path = out / "simulator-cooling-curves.png"
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def plate_beside_seed(out: Path, seed_dir: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from thermodefect.methods import pct
    from thermodefect.preprocess import detect_flash
    from thermodefect.simulate import run
    from thermodefect.simulate.presets import cfrp_fbh

    seq, _ = run(cfrp_fbh(np.random.default_rng([0, 1]), "cfrp_fbh_1"))
    comps = pct(seq, 3).components
    shown = detect_flash(seq) + 8
    real = seed_dir / "N1_1-pca-example.png"
    panels = [(f"simulated frame {shown}", seq.frames[shown]), ("simulated PCT 1", comps[1])]
    if real.exists():
        from PIL import Image

        panels.append(("seed's real PCA image (N1_1)", np.asarray(Image.open(real).convert("L"))))
    fig, axes = plt.subplots(
        1, len(panels), figsize=(4 * len(panels), 3.2), constrained_layout=True
    )
    for ax, (title, image) in zip(axes, panels, strict=True):
        lo, hi = np.percentile(image, (0.5, 99.5))
        ax.imshow(image, cmap="gray", vmin=lo, vmax=hi)
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    path = out / "simulator-plate-vs-seed.png"
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("docs/images"))
    ap.add_argument("--seed-dir", type=Path, default=Path("../shared/seed"))
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    print(cooling_curves(args.out))
    print(plate_beside_seed(args.out, args.seed_dir))


if __name__ == "__main__":
    main()
