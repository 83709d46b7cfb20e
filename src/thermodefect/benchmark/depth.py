"""The benchmark's depth and size table: each depth estimator, their combination and the early
diameter against the simulated truth, binned by diameter/depth, and a plot of estimated
against true depth."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from thermodefect.detect.depth import ESTIMATORS, corrected_diameter

__all__ = [
    "BINS",
    "ROWS",
    "DepthHit",
    "bounded",
    "coverage",
    "depth_hits",
    "depth_markdown",
    "errors",
    "plot_depths",
]

#: Diameter/depth bins of the table.
BINS = ((0.0, 2.0), (2.0, 4.0), (4.0, 8.0), (8.0, np.inf))

#: Rows of the table: each estimator, their combination (the reported depth), and the three
#: diameters (the early half-contrast one the depth uses, the detection's outline, and the
#: outline corrected for the halo with the early one).
ROWS = (*ESTIMATORS, "combined", "early diameter", "outline diameter", "corrected diameter")


@dataclass(frozen=True)
class DepthHit:
    """One defect a detector found, with what the depth step made of it.

    Parameters
    ----------
    true_mm : float
        Simulated depth, mm.
    true_diameter_mm : float
        Equivalent diameter, mm.
    estimates_mm : dict of str to float
        Each estimator's depth and, where at least two agreed, ``combined``, mm.
    interval_mm : (float, float) or None
        The reported interval of the combined depth, mm.
    early_diameter_mm : float or None
        The early half-contrast diameter, mm.
    outline_ratio : float or None
        The region's equivalent diameter over the true one.
    shallower_mm : float or None
        The bound reported instead of a depth for a defect shallower than the record
        resolves, mm.
    outline_corrected : bool
        The detector drew the outline at the halo-corrected size already
        (:mod:`thermodefect.detect.outline`): the corrected diameter is the outline's.
    """

    true_mm: float
    true_diameter_mm: float
    estimates_mm: dict
    interval_mm: tuple[float, float] | None
    early_diameter_mm: float | None
    outline_ratio: float | None
    shallower_mm: float | None = None
    outline_corrected: bool = False

    @property
    def ratio(self) -> float:
        """Diameter / depth of the defect."""
        return self.true_diameter_mm / self.true_mm

    def error(self, row: str) -> float | None:
        """Estimated / true - 1 for a row of :data:`ROWS` (``None`` where it has no value)."""
        if row == "outline diameter":
            return None if self.outline_ratio is None else self.outline_ratio - 1
        if row == "early diameter":
            d = self.early_diameter_mm
        elif row == "corrected diameter":
            ratio = self.outline_ratio
            outline = None if ratio is None else ratio * self.true_diameter_mm
            d = (
                outline
                if self.outline_corrected
                else corrected_diameter(outline, self.early_diameter_mm)
            )
        else:
            value = self.estimates_mm.get(row)
            return None if value is None else value / self.true_mm - 1
        return None if d is None else d / self.true_diameter_mm - 1


def depth_hits(
    found, feet, match, depths, diameters, settings: dict, cooling=None
) -> list[DepthHit]:
    """Estimate the depth of every region that hits a defect (each defect read from the
    region covering most of it), as ``detect --material --thickness`` would.

    Parameters
    ----------
    found : Detection
        A detection whose cooling holds the frame rate.
    feet : list of (H, W) ndarray of bool
        The defects' footprints.
    match : Match
        :func:`thermodefect.evaluate.match_footprints` of ``found`` and ``feet``.
    depths, diameters : (n,) ndarray
        Each defect's simulated depth and equivalent diameter, mm.
    settings : dict
        ``diffusivity`` (m^2/s), ``spread`` and ``thickness_mm``
        (:func:`thermodefect.benchmark.truth.depth_truth`).
    cooling : Sequence, optional
        The frames to read depths from (:func:`thermodefect.detect.depth.depth_cooling`);
        default ``found.cooling``.

    Returns
    -------
    list of DepthHit
    """
    from scipy import ndimage

    from thermodefect.detect.depth import depth_of_region, size_windows

    cooling = found.cooling if cooling is None else cooling
    if cooling.meta.frame_rate is None or not match.hits.any():
        return []
    labels, n = ndimage.label(found.mask, structure=np.ones((3, 3)))
    windows = size_windows(cooling)
    corrected = {r.id: r.corrected_diameter_mm is not None for r in found.regions}
    out = []
    for i, foot in enumerate(feet):
        overlap = np.bincount(labels[np.asarray(foot, bool)], minlength=n + 1)[1:]
        if not match.hits[i] or not overlap.any():
            continue
        k = int(np.argmax(overlap)) + 1
        est = depth_of_region(cooling, labels == k, found.mask,
                              found.feature, settings["diffusivity"],
                              thickness_mm=settings["thickness_mm"], spread=settings["spread"],
                              windows=windows)  # fmt: skip
        values = dict(est.estimates_mm)
        interval = None
        if est.depth_mm is not None and est.lo_mm is not None and est.hi_mm is not None:
            values["combined"] = est.depth_mm
            interval = (est.lo_mm, est.hi_mm)
        ratio = None if match.diameter_ratio is None else float(match.diameter_ratio[i])
        out.append(DepthHit(float(depths[i]), float(diameters[i]), values, interval,
                            est.diameter_mm, ratio, est.shallower_mm,
                            corrected.get(k, False)))  # fmt: skip
    return out


def errors(hits: list[DepthHit], row: str, low: float = 0.0, high: float = np.inf) -> np.ndarray:
    """``|estimated / true - 1|`` of ``row`` over the hits with low <= d/z < high that have it."""
    values = [h.error(row) for h in hits if low <= h.ratio < high]
    return np.abs(np.array([v for v in values if v is not None], np.float64))


def coverage(hits: list[DepthHit]) -> tuple[int, int]:
    """How many true depths lie inside the reported interval, of the hits that got one."""
    inside = [h.interval_mm[0] <= h.true_mm <= h.interval_mm[1] for h in hits if h.interval_mm]
    return int(np.sum(inside)), len(inside)


def bounded(hits: list[DepthHit]) -> tuple[int, int]:
    """How many true depths lie below the bound, of the hits reported as shallower than the
    record resolves."""
    below = [h.true_mm <= h.shallower_mm for h in hits if h.shallower_mm is not None]
    return int(np.sum(below)), len(below)


def _cell(e: np.ndarray) -> str:
    return f"{np.median(e):.2f}, {np.quantile(e, 0.9):.2f} ({len(e)})" if len(e) else "-"


def depth_markdown(stats: dict) -> str:
    """The depth and size tables of every detector that found a defect with a depth.

    Parameters
    ----------
    stats : dict of str to dict
        :attr:`BenchmarkResult.stats`; each detector's ``depth_hits`` list.

    Returns
    -------
    str
        Markdown ('' when no detector has a hit).
    """
    parts = []
    bins = " | ".join(f"d/z {lo:g}-{hi:g}" if np.isfinite(hi) else f"d/z >= {lo:g}"
                      for lo, hi in BINS)  # fmt: skip
    for label, s in stats.items():
        hits = s.get("depth_hits") or []
        if not hits:
            continue
        inside, n = coverage(hits)
        lines = [
            f"### {label}: {len(hits)} defects found",
            "",
            f"| estimate | defects with a value | median, p90 all | {bins} |",
            "| --- | --- | --- |" + " --- |" * len(BINS),
        ]
        for row in ROWS:
            cells = [_cell(errors(hits, row, lo, hi)) for lo, hi in BINS]
            every = errors(hits, row)
            lines.append(f"| {row} | {len(every)}/{len(hits)} | {_cell(every)} | "
                         + " | ".join(cells) + " |")  # fmt: skip
        if n:
            lines += ["", f"True depth inside the reported interval: {inside}/{n} "
                          f"({inside / n:.0%})."]  # fmt: skip
        below, m = bounded(hits)
        if m:
            lines += ["", f"Shallower than the record resolves (a bound, no depth): {m} "
                          f"defects, the true depth below the bound for {below}."]  # fmt: skip
        parts.append("\n".join(lines))
    if not parts:
        return ""
    head = (
        "## Depth and size\n\n"
        "|estimated / true - 1| of each depth estimator, their combination (the reported "
        "depth: the median of the analytic ones where two or more were read; the learned one "
        "is not in it) and the three diameters, over the defects "
        "each detector found, with the specimen's own material and thickness (`detect "
        "--material --thickness`): median, 90th percentile (number of defects), all and per "
        "diameter/depth bin. See docs/depth.md.\n"
    )
    return head + "\n" + "\n\n".join(parts) + "\n"


def plot_depths(stats: dict, path: Path) -> Path | None:
    """Estimated against true depth, one panel per detector with hits, one colour per
    estimator, and the bounds of defects shallower than the record as downward triangles;
    ``None`` (nothing written) when no detector has a hit."""
    from thermodefect.io.images import figure, save_figure

    panels = {label: s["depth_hits"] for label, s in stats.items() if s.get("depth_hits")}
    if not panels:
        return None
    cols = min(len(panels), 4)
    rows = -(-len(panels) // cols)
    fig, axes = figure((4.2 * cols, 4.2 * rows), rows=rows, cols=cols, squeeze=False)
    colours = {"tsr": "tab:blue", "tsr1": "tab:cyan", "contrast": "tab:orange",
               "normalised": "tab:brown", "ppt": "tab:green", "learned": "tab:purple",
               "combined": "black"}  # fmt: skip
    for ax in axes.ravel()[len(panels) :]:
        ax.set_visible(False)
    for ax, (label, hits) in zip(axes.ravel(), panels.items(), strict=False):
        top = max(h.true_mm for h in hits) * 1.3
        ax.plot([0, top], [0, top], color="0.6", lw=0.8)
        for key, colour in colours.items():
            pairs = [(h.true_mm, h.estimates_mm[key]) for h in hits if key in h.estimates_mm]
            if pairs:
                x, y = zip(*pairs, strict=True)
                ax.scatter(x, y, s=16 if key == "combined" else 7, color=colour, label=key,
                           zorder=3 if key == "combined" else 2)  # fmt: skip
        bounds = [(h.true_mm, h.shallower_mm) for h in hits if h.shallower_mm is not None]
        if bounds:
            x, y = zip(*bounds, strict=True)
            ax.scatter(x, y, s=22, marker="v", facecolors="none", edgecolors="red",
                       label="shallower than (bound)", zorder=3)  # fmt: skip
        ax.set(xlim=(0, top), ylim=(0, 2 * top), xlabel="true depth (mm)",
               ylabel="estimated depth (mm)",
               title=f"{label}: {len(hits)} defects found")  # fmt: skip
        ax.legend(fontsize=7, loc="upper left")
    return save_figure(fig, path, dpi=100)
