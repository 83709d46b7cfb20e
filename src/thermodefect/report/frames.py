"""Frames and temperature curves of one sequence, for people: PNG frames, curve plots, CSV."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from thermodefect.errors import ThermodefectError
from thermodefect.io.files import atomic_path
from thermodefect.io.images import figure, save_figure, stretch, write_png
from thermodefect.sequence import Sequence

__all__ = [
    "default_pixels",
    "export_frames",
    "rise_curves",
]


def default_pixels(seq: Sequence) -> list[tuple[int, int]]:
    """The image centre and the pixels of highest and lowest mean cooling response, dead,
    hot and stuck pixels left out (:func:`~thermodefect.preprocess.find_bad_pixels`).

    Parameters
    ----------
    seq : Sequence
        Any sequence.

    Returns
    -------
    list of (int, int)
        (row, col), duplicates removed.
    """
    from thermodefect.preprocess import detect_flash, find_bad_pixels

    flash = detect_flash(seq)
    cooling = seq.frames[flash + 1 :] if flash + 1 < seq.n_frames else seq.frames
    mean = cooling.mean(axis=0, dtype=np.float64)
    bad = find_bad_pixels(seq)
    if not bad.all():
        mean = np.where(bad, np.nan, mean)
    hot = np.unravel_index(int(np.nanargmax(mean)), mean.shape)
    cold = np.unravel_index(int(np.nanargmin(mean)), mean.shape)
    h, w = seq.image_shape
    pixels = [(h // 2, w // 2), (int(hot[0]), int(hot[1])), (int(cold[0]), int(cold[1]))]
    return list(dict.fromkeys(pixels))


def export_frames(
    seq: Sequence,
    out: Path,
    *,
    indices: list[int] | None = None,
    pixels: list[tuple[int, int]] | None = None,
) -> list[Path]:
    """Write chosen frames as PNG and temperature-versus-time curves of chosen pixels.

    Files: ``{name}_frame{index:04d}.png`` (contrast-stretched grey), ``{name}_curves.png``
    (linear and log-log axes, time from the flash) and ``{name}_curves.csv``.

    Parameters
    ----------
    seq : Sequence
        The sequence.
    out : Path
        Output folder.
    indices : list of int, optional
        Frames; default six log-spaced after the flash.
    pixels : list of (int, int), optional
        (row, col) of the curves; default :func:`default_pixels`.

    Returns
    -------
    list of Path

    Raises
    ------
    ThermodefectError
        For frames or pixels outside the sequence.
    """
    from thermodefect.preprocess import detect_flash, frame_indices

    t, h, w = seq.shape
    flash = detect_flash(seq)
    if indices is None:
        start = min(flash + 1, t - 1)
        indices = list(frame_indices(t, min(6, t - start), start=start, spacing="log"))
    bad = [i for i in indices if not 0 <= i < t]
    if bad:
        raise ThermodefectError(f"frame indices {bad} are outside 0..{t - 1}", seq.meta.source)
    pixels = pixels or default_pixels(seq)
    outside = [p for p in pixels if not (0 <= p[0] < h and 0 <= p[1] < w)]
    if outside:
        raise ThermodefectError(f"pixels {outside} are outside the {h}x{w} image", seq.meta.source)
    out = Path(out)
    name = seq.name
    written = []
    for i in indices:
        path = out / f"{name}_frame{i:04d}.png"
        write_png(stretch(seq.frames[i]), path)
        written.append(path)
    written += _write_curves(seq, out, name, pixels, flash)
    return written


def rise_curves(seq: Sequence, pixels, flash: int) -> tuple[np.ndarray, np.ndarray, str]:
    """What the log-log panel shows: each pixel's rise after the flash.

    The rise is the value minus the pixel's mean before the flash, so absolute temperatures
    and counts plot like a temperature change; without pre-flash frames the values are
    taken as they are (a rise already, as in the seed's files).

    Parameters
    ----------
    seq : Sequence
        The sequence.
    pixels : list of (int, int)
        (row, col) of each curve.
    flash : int
        The flash frame.

    Returns
    -------
    since : (n,) ndarray
        Times after the flash (positive), in the sequence's time unit.
    rise : (n, len(pixels)) ndarray of float64
        The rise at those times.
    label : str
        What ``rise`` is, for the axis.
    """
    curves = np.stack([seq.frames[:, r, c] for r, c in pixels], axis=1).astype(np.float64)
    since = seq.times - seq.times[flash]
    after = since > 0
    if flash > 0:
        rise, label = curves[after] - curves[:flash].mean(axis=0), "rise above pre-flash"
    else:
        rise, label = curves[after], "value"
    return since[after], rise, label


def _write_curves(seq, out: Path, name: str, pixels, flash: int) -> list[Path]:
    curves = np.stack([seq.frames[:, r, c] for r, c in pixels], axis=1).astype(np.float64)
    unit = "s" if seq.meta.frame_rate else "frames"
    since, rise, what = rise_curves(seq, pixels, flash)
    fig, (lin, log) = figure((10, 4), 1, 2)
    for k, (r, c) in enumerate(pixels):
        lin.plot(seq.times, curves[:, k], label=f"row {r}, col {c}")
        positive = np.where(rise[:, k] > 0, rise[:, k], np.nan)
        log.loglog(since, positive, label=f"row {r}, col {c}")
    lin.axvline(seq.times[flash], color="0.6", ls="--", lw=0.8)
    lin.set(xlabel=f"time ({unit})", ylabel=f"value ({seq.meta.units})", title="history")
    log.set(xlabel=f"time after flash ({unit})", ylabel=f"{what} ({seq.meta.units})",
            title="log-log (slope -1/2 until heat reaches the back)")  # fmt: skip
    lin.legend(fontsize=8)
    fig.suptitle(f"{name}: temperature change curves")
    png = out / f"{name}_curves.png"
    save_figure(fig, png, dpi=100)
    csv = out / f"{name}_curves.csv"
    header = "time_s," + ",".join(f"r{r}_c{c}" for r, c in pixels)
    with atomic_path(csv) as tmp:
        np.savetxt(
            tmp,
            np.column_stack([seq.times, curves]),
            delimiter=",",
            header=header,
            comments="",
            fmt="%.6g",
        )
    return [png, csv]
