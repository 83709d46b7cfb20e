"""The benchmark's files: results.md, results.csv, the POD plot and the depth plot."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from thermodefect.benchmark.depth import plot_depths
from thermodefect.benchmark.run import BenchmarkResult
from thermodefect.benchmark.summary import csv_text, markdown, pod_fits, pod_sizes
from thermodefect.io.files import atomic_path
from thermodefect.io.images import figure, save_figure

__all__ = [
    "plot_pod",
    "write_benchmark",
]


def write_benchmark(result: BenchmarkResult, out: Path) -> str:
    """Write ``out/results.md``, ``out/results.csv``, ``out/pod.png`` and, where defects got a
    depth, ``out/depth.png`` (estimated against true depth).

    Parameters
    ----------
    result : BenchmarkResult
        What :func:`thermodefect.benchmark.run_benchmark` returned.
    out : Path
        Output folder (created when missing).

    Returns
    -------
    str
        The Markdown of ``results.md``.
    """
    out = Path(out)
    fits = pod_fits(result)
    text = markdown(result, fits)
    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / "results.md") as tmp:
        tmp.write_text(text)
    with atomic_path(out / "results.csv") as tmp:
        tmp.write_text(csv_text(result, fits))
    plot_pod({m: (fit, result.stats[m]) for m, (fit, _) in fits.items()}, out / "pod.png")
    plot_depths(result.stats, out / "depth.png")
    return text


def plot_pod(fits: dict, path: Path) -> Path:
    """POD curves (solid) and their 95% lower bounds (dotted) against diameter/depth.

    Parameters
    ----------
    fits : dict of str to (PODFit or None, dict)
        Detector label -> (its fit, its score lists with the ``ratio`` sizes).
    path : Path
        The PNG to write.

    Returns
    -------
    Path
    """
    from matplotlib import colormaps
    from matplotlib.ticker import FuncFormatter, LogLocator

    fig, ax = figure((7, 4.8))
    palette = colormaps["tab20"]
    colours = [palette(i) for i in (*range(0, 20, 2), *range(1, 20, 2))]  # dark shades first
    for i, (m, (fit, s)) in enumerate(fits.items()):
        if fit is None:
            continue
        a = np.geomspace(min(s["ratio"]), max(s["ratio"]), 200)
        a90_95 = pod_sizes(fit, s["ratio"])["a90_95"]
        bound = "n/a" if a90_95 is None else f"{a90_95:.1f}"
        line = ax.semilogx(a, fit.pod(a), color=colours[i % 20], label=f"{m}: a90/95 = {bound}")
        ax.semilogx(a, fit.lower_bound(a), ":", color=line[0].get_color())
    ax.axhline(0.9, color="0.6", lw=0.8)
    ax.set(xlabel="defect diameter / depth", ylabel="probability of detection", ylim=(0, 1.02),
           title="POD (solid) and its 95% lower bound (dotted)")  # fmt: skip
    missing = [m for m, (fit, _) in fits.items() if fit is None]
    if len(missing) < len(fits):
        ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
        ax.legend(fontsize=8, loc="lower right")
    else:
        ax.text(0.5, 0.5, "no method's POD was estimable", ha="center", transform=ax.transAxes)
    if missing and len(missing) < len(fits):
        fig.text(0.01, 0.005, f"no curve (POD not estimable, see results.md): {', '.join(missing)}",
                 fontsize=7, color="0.3")  # fmt: skip
    return save_figure(fig, path, dpi=100)
