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
]


def default_pixels(seq: Sequence) -> list[tuple[int, int]]:
    """The image centre and the pixels of highest and lowest mean cooling response.

    Parameters
    ----------
    seq : Sequence
        Any sequence.

    Returns
    -------
    list of (int, int)
        (row, col), duplicates removed.
    """
    from thermodefect.preprocess import detect_flash

    flash = detect_flash(seq)
    cooling = seq.frames[flash + 1 :] if flash + 1 < seq.n_frames else seq.frames
    mean = cooling.mean(axis=0)
    h, w = seq.image_shape
    hot = np.unravel_index(int(np.argmax(mean)), mean.shape)
    cold = np.unravel_index(int(np.argmin(mean)), mean.shape)
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


def _write_curves(seq, out: Path, name: str, pixels, flash: int) -> list[Path]:
    curves = np.stack([seq.frames[:, r, c] for r, c in pixels], axis=1).astype(np.float64)
    since = seq.times - seq.times[flash]
    unit = "s" if seq.meta.frame_rate else "frames"
    fig, (lin, log) = figure((10, 4), 1, 2)
    after = since > 0
    for k, (r, c) in enumerate(pixels):
        lin.plot(seq.times, curves[:, k], label=f"row {r}, col {c}")
        values = np.abs(curves[after, k])
        log.loglog(since[after], np.where(values > 0, values, np.nan), label=f"row {r}, col {c}")
    lin.axvline(seq.times[flash], color="0.6", ls="--", lw=0.8)
    lin.set(xlabel=f"time ({unit})", ylabel=f"value ({seq.meta.units})", title="history")
    log.set(
        xlabel=f"time after flash ({unit})", ylabel=f"|value| ({seq.meta.units})", title="log-log"
    )
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
