"""What an infrared camera makes of the surface temperature.

Effects, each switchable (set its parameter to 0 or False): emissivity variation across the
surface, optical blur, fixed-pattern offset and gain, temporal noise (NETD), slow ambient
drift, quantisation to camera counts, a few dead and hot pixels, and the seed's subtraction
of the first frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from thermodefect.errors import ThermodefectError

__all__ = [
    "FULL_SCALE_COUNTS",
    "Camera",
]

FULL_SCALE_COUNTS = 65535


@dataclass(frozen=True)
class Camera:
    """Camera and recording settings.

    Parameters
    ----------
    height, width : int
        Image size in pixels; the simulation uses one cell per pixel.
    pixel_pitch_mm : float
        Size of a pixel on the specimen, mm.
    frame_rate : float
        Frames per second (Hz).
    n_frames : int
        Frames recorded in all.
    preflash_frames : int
        How many of them come before the flash.
    blur_px : float
        Standard deviation of the Gaussian optical blur, pixels.
    netd_k : float
        Temporal noise, K (noise-equivalent temperature difference; 25 mK is a cooled MWIR).
    offset_k, gain : float
        Standard deviations of the per-pixel fixed-pattern offset (K) and relative gain.
    dead_pixels, hot_pixels : int
        Pixels stuck at zero and at full scale.
    emissivity, emissivity_variation : float
        Mean emissivity and the relative standard deviation of its smooth variation.
    drift_k : float
        Ambient drift over the whole recording, K (linear).
    ambient_k : float
        Ambient temperature, K.
    count_k : float
        Temperature step of one camera count, K (0 = no quantisation).
    subtract_first_frame : bool
        Subtract the first frame from every frame, as the seed's data do.
    ideal : bool
        Switch every artefact off (blur, noise, fixed patterns, drift, emissivity variation,
        quantisation, dead and hot pixels), whatever their fields say: frames are the
        surface temperature plus the ambient, for physics checks and ground truth.
    """

    height: int = 128
    width: int = 128
    pixel_pitch_mm: float = 0.5
    frame_rate: float = 30.0
    n_frames: int = 200
    preflash_frames: int = 5
    blur_px: float = 0.7
    netd_k: float = 0.025
    offset_k: float = 0.05
    gain: float = 0.01
    dead_pixels: int = 2
    hot_pixels: int = 2
    emissivity: float = 0.95
    emissivity_variation: float = 0.01
    drift_k: float = 0.03
    ambient_k: float = 293.15
    count_k: float = 0.002
    subtract_first_frame: bool = True
    ideal: bool = False

    def __post_init__(self):
        if min(self.height, self.width) < 4:
            raise ThermodefectError("camera height and width must be at least 4 pixels")
        if self.frame_rate <= 0 or self.pixel_pitch_mm <= 0:
            raise ThermodefectError("camera frame_rate and pixel_pitch_mm must be positive")
        if not 0 <= self.preflash_frames < self.n_frames - 1:
            raise ThermodefectError(
                f"camera needs 0 <= preflash_frames < n_frames - 1, got {self.preflash_frames} "
                f"and {self.n_frames}"
            )
        if not 0 < self.emissivity <= 1:
            raise ThermodefectError(f"camera emissivity must be in (0, 1], got {self.emissivity}")
        negative = [
            n
            for n in ("blur_px", "netd_k", "offset_k", "gain", "dead_pixels", "hot_pixels",
                      "emissivity_variation", "count_k")
            if getattr(self, n) < 0
        ]  # fmt: skip
        if negative:
            raise ThermodefectError(f"camera {', '.join(negative)} must not be negative")

    @property
    def shape(self) -> tuple[int, int]:
        """Image size (H, W) in pixels.

        Returns
        -------
        (int, int)
        """
        return (self.height, self.width)

    def times(self) -> np.ndarray:
        """Frame times in s; the flash fires at 0, frames at or before it are pre-flash.

        Returns
        -------
        (n_frames,) ndarray of float64
        """
        return (np.arange(self.n_frames) - self.preflash_frames + 1) / self.frame_rate

    def record(self, rise: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Camera frames in K from the surface rise at the post-flash times.

        Parameters
        ----------
        rise : (T_post, H, W) ndarray
            Noise-free surface temperature rise (K) at the frames with positive times.
        rng : numpy.random.Generator
            Draws the noise, fixed patterns, dead and hot pixels.

        Returns
        -------
        (n_frames, H, W) ndarray of float32

        Raises
        ------
        ThermodefectError
            When ``rise`` does not have one frame per post-flash time.
        """
        from scipy.ndimage import gaussian_filter

        t = self.times()
        post = t > 0
        if rise.shape != (int(post.sum()), *self.shape):
            raise ThermodefectError(
                f"surface rise has shape {rise.shape}, expected {(int(post.sum()), *self.shape)}"
            )
        signal = np.zeros((self.n_frames, *self.shape), np.float32)
        signal[post] = rise
        if self.ideal:
            frames = signal + np.float32(self.ambient_k)
            return frames - frames[0] if self.subtract_first_frame else frames
        if self.emissivity_variation > 0:
            field = gaussian_filter(rng.standard_normal(self.shape), 6.0, mode="wrap")
            field /= max(field.std(), 1e-12)
            signal *= (1 + self.emissivity_variation * field).astype(np.float32)
        if self.blur_px > 0:
            signal = gaussian_filter(signal, (0, self.blur_px, self.blur_px), mode="nearest")
        if self.gain > 0:
            signal *= (1 + self.gain * rng.standard_normal(self.shape)).astype(np.float32)
        frames = signal + np.float32(self.ambient_k)
        if self.drift_k:
            frames += (self.drift_k * (t - t[0]) / max(t[-1] - t[0], 1e-12)).astype(np.float32)[
                :, None, None
            ]
        if self.offset_k > 0:
            frames += (self.offset_k * rng.standard_normal(self.shape)).astype(np.float32)
        if self.netd_k > 0:
            frames += (self.netd_k * rng.standard_normal(frames.shape)).astype(np.float32)
        floor = self.ambient_k - 20.0
        if self.count_k > 0:
            counts = np.clip(np.round((frames - floor) / self.count_k), 0, FULL_SCALE_COUNTS)
            frames = (counts * self.count_k + floor).astype(np.float32)
        top = floor + FULL_SCALE_COUNTS * (self.count_k or 0.002)
        stuck = rng.choice(
            self.height * self.width, self.dead_pixels + self.hot_pixels, replace=False
        )
        rows, cols = np.unravel_index(stuck, self.shape)
        frames[:, rows[: self.dead_pixels], cols[: self.dead_pixels]] = floor
        frames[:, rows[self.dead_pixels :], cols[self.dead_pixels :]] = top
        if self.subtract_first_frame:
            frames -= frames[0].copy()
        return frames
