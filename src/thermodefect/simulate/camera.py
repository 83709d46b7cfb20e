"""What an infrared camera makes of the surface temperature.

Effects, each switchable (set its parameter to 0 or False), in the order they act: emissivity
variation across the surface, small rigid motion of the scene between frames, optical blur,
vignetting, fixed-pattern gain, offset and row and column stripes, slow ambient drift,
temporal noise (NETD), row noise and interlaced line noise, dead and hot pixels alone and in
clusters, quantisation to camera counts of a given bit depth (linear in temperature, or
through Planck's law for the camera's band), written as counts or as temperatures through the
counts-to-temperature lookup table, and the seed's subtraction of the first frame. ``ideal``
switches them all off. One solver artefact is added here too: the polygonal texture a
finite-element mesh leaves in the early frames (``mesh_k``), kept by an ideal camera.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from thermodefect.errors import ThermodefectError

__all__ = [
    "OUTPUTS",
    "RESPONSES",
    "Camera",
]

OUTPUTS = ("kelvin", "counts")
RESPONSES = ("linear", "planck")
SECOND_RADIATION_UM_K = 14388.0  # c2 = h c / k_B, um K


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
    bits : int
        Bit depth of the counts (8 to 16): values outside the ``2**bits`` counts clip.
    floor_k : float
        How far below the ambient the lowest count lies, K.
    stripes_k : float
        Standard deviation of the fixed offsets of whole rows and of whole columns, K.
    row_noise_k : float
        Standard deviation of an offset drawn for every row of every frame, K.
    interlace_k : float
        Standard deviation of an offset between the odd and the even rows, drawn for every
        frame (an interlaced read-out), K.
    vignetting : float
        Share of the signal lost in the image's corners, falling as the squared distance
        from the centre, in [0, 1).
    motion_px : float
        Standard deviation of the scene's rigid displacement in each frame, pixels (a
        camera or specimen on a vibrating stand); the fixed patterns stay with the sensor.
    bad_clusters : int
        Clusters of 2-9 adjacent dead or hot pixels.
    mesh_k : float
        A solver's artefact rather than the camera's: the standard deviation of a polygonal
        (Voronoi, one cell per 150 pixels) texture added to the rise after the flash, as a
        finite-element mesh leaves in the early frames, K.
    mesh_fade_s : float
        Time constant over which that texture fades, s.
    output : {'kelvin', 'counts'}
        Write temperatures (the counts through the camera's lookup table) or the raw counts.
    response : {'linear', 'planck'}
        Counts linear in temperature, or in the radiance of the camera's band (Planck's
        law): then one count is ``count_k`` at the ambient and fewer kelvin above it.
    band_um : float
        Wavelength of the camera's band for the ``planck`` response, um (4: mid-wave,
        10: long-wave).
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
    bits: int = 16
    floor_k: float = 20.0
    stripes_k: float = 0.0
    row_noise_k: float = 0.0
    interlace_k: float = 0.0
    vignetting: float = 0.0
    motion_px: float = 0.0
    bad_clusters: int = 0
    mesh_k: float = 0.0
    mesh_fade_s: float = 0.5
    output: str = "kelvin"
    response: str = "linear"
    band_um: float = 4.0

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
                      "emissivity_variation", "count_k", "floor_k", "stripes_k", "row_noise_k",
                      "interlace_k", "motion_px", "bad_clusters", "mesh_k")
            if getattr(self, n) < 0
        ]  # fmt: skip
        if negative:
            raise ThermodefectError(f"camera {', '.join(negative)} must not be negative")
        if not 8 <= self.bits <= 16:
            raise ThermodefectError(f"camera bits must be 8 to 16, got {self.bits}")
        if self.mesh_fade_s <= 0:
            raise ThermodefectError(f"camera mesh_fade_s must be positive, got {self.mesh_fade_s}")
        if not 0 <= self.vignetting < 1:
            raise ThermodefectError(f"camera vignetting must be in [0, 1), got {self.vignetting}")
        if self.output not in OUTPUTS or self.response not in RESPONSES:
            raise ThermodefectError(
                f"camera output must be one of {', '.join(OUTPUTS)} and response one of "
                f"{', '.join(RESPONSES)}, got {self.output!r} and {self.response!r}"
            )
        if self.output == "counts" and (self.count_k == 0 or self.ideal):
            raise ThermodefectError("camera output 'counts' needs count_k > 0 and no ideal camera")
        if self.band_um <= 0:
            raise ThermodefectError(f"camera band_um must be positive, got {self.band_um}")

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

    def record(
        self,
        rise: np.ndarray,
        rng: np.random.Generator,
        *,
        emissivity: np.ndarray | None = None,
        reflection: np.ndarray | None = None,
    ) -> np.ndarray:
        """Camera frames in K (or counts) from the surface rise at the post-flash times.

        Parameters
        ----------
        rise : (T_post, H, W) ndarray
            Noise-free surface temperature rise (K) at the frames with positive times.
        rng : numpy.random.Generator
            Draws the noise, fixed patterns, dead and hot pixels.
        emissivity : (H, W) ndarray, optional
            The surface's emissivity relative to its mean (texture, marks): scales the rise.
        reflection : (T_post, H, W) ndarray, optional
            Apparent temperature reflected by the surface (a hood reflection), K.

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
        if self.mesh_k > 0:
            fade = np.exp(-t[post] / self.mesh_fade_s)[:, None, None]
            signal[post] += (self.mesh_k * fade * self._mesh(rng)).astype(np.float32)
        if emissivity is not None:
            signal *= np.asarray(emissivity, np.float32)
        if reflection is not None:
            signal[post] += reflection
        if self.ideal:
            frames = signal + np.float32(self.ambient_k)
            return frames - frames[0] if self.subtract_first_frame else frames
        if self.emissivity_variation > 0:
            field = gaussian_filter(rng.standard_normal(self.shape), 6.0, mode="wrap")
            field /= max(field.std(), 1e-12)
            signal *= (1 + self.emissivity_variation * field).astype(np.float32)
        if self.motion_px > 0:
            signal = self._move(signal, rng)
        if self.blur_px > 0:
            signal = gaussian_filter(signal, (0, self.blur_px, self.blur_px), mode="nearest")
        if self.vignetting > 0:
            signal *= self._vignette()
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
        self._add_line_patterns(frames, rng)
        floor = self.ambient_k - self.floor_k
        top = floor + (2**self.bits - 1) * (self.count_k or 0.002)
        stuck = rng.choice(
            self.height * self.width, self.dead_pixels + self.hot_pixels, replace=False
        )
        rows, cols = np.unravel_index(stuck, self.shape)
        frames[:, rows[: self.dead_pixels], cols[: self.dead_pixels]] = floor
        frames[:, rows[self.dead_pixels :], cols[self.dead_pixels :]] = top
        for cluster, hot in self._clusters(rng):
            frames[:, cluster] = top if hot else floor
        if self.count_k > 0:
            frames = self._quantise(frames, floor)
        if self.subtract_first_frame:
            frames -= frames[0].copy()
        return frames

    def _quantise(self, frames: np.ndarray, floor: float) -> np.ndarray:
        """Counts of ``bits`` bits from temperatures; back to K through the lookup table
        unless ``output`` is ``counts``."""
        full_scale = 2**self.bits - 1
        if self.response == "planck":
            level = (self._radiance(frames) - self._radiance(floor)) / self._slope()
        else:
            level = frames - floor
        counts = np.clip(np.round(level / self.count_k), 0, full_scale)
        if self.output == "counts":
            return counts.astype(np.float32)
        if self.response == "planck":
            return self._temperature(counts * self.count_k * self._slope() + self._radiance(floor))
        return (counts * self.count_k + floor).astype(np.float32)

    def _radiance(self, kelvin):
        """Planck's spectral radiance at ``band_um``, up to a constant factor."""
        b = SECOND_RADIATION_UM_K / self.band_um
        return 1 / np.expm1(b / np.asarray(kelvin, np.float64))

    def _slope(self) -> float:
        """d radiance / dT at the ambient, per K."""
        b = SECOND_RADIATION_UM_K / self.band_um
        e = np.exp(b / self.ambient_k)
        return float(b / self.ambient_k**2 * e / (e - 1) ** 2)

    def _temperature(self, radiance: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`_radiance`, K."""
        b = SECOND_RADIATION_UM_K / self.band_um
        return (b / np.log1p(1 / radiance)).astype(np.float32)

    def _move(self, signal: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Each frame shifted rigidly by a normal draw of ``motion_px`` per axis."""
        from scipy.ndimage import shift

        moved = np.empty_like(signal)
        for k, frame in enumerate(signal):
            moved[k] = shift(frame, rng.normal(0, self.motion_px, 2), order=1, mode="nearest")
        return moved

    def _vignette(self) -> np.ndarray:
        """Relative response (H, W): 1 at the centre, ``1 - vignetting`` in the corners."""
        y = np.linspace(-1, 1, self.height)[:, None]
        x = np.linspace(-1, 1, self.width)[None, :]
        return (1 - self.vignetting * (x * x + y * y) / 2).astype(np.float32)

    def _add_line_patterns(self, frames: np.ndarray, rng: np.random.Generator) -> None:
        """Row and column stripes (fixed), row noise and interlaced line noise (per frame)."""
        t, h, w = frames.shape
        if self.stripes_k > 0:
            frames += (self.stripes_k * rng.standard_normal((h, 1))).astype(np.float32)
            frames += (self.stripes_k * rng.standard_normal((1, w))).astype(np.float32)
        if self.row_noise_k > 0:
            frames += (self.row_noise_k * rng.standard_normal((t, h, 1))).astype(np.float32)
        if self.interlace_k > 0:
            field = np.where(np.arange(h) % 2 == 0, 0.5, -0.5)[None, :, None]
            frames += (self.interlace_k * rng.standard_normal((t, 1, 1)) * field).astype(np.float32)

    def _clusters(self, rng: np.random.Generator):
        """(mask, hot) of each cluster: 2-9 pixels grown from a seed by random 4-neighbours."""
        steps = ((0, 1), (1, 0), (0, -1), (-1, 0))
        for _ in range(self.bad_clusters):
            cells = [(int(rng.integers(self.height)), int(rng.integers(self.width)))]
            for _ in range(int(rng.integers(1, 9))):
                r, c = cells[int(rng.integers(len(cells)))]
                dr, dc = steps[int(rng.integers(4))]
                cells.append((min(max(r + dr, 0), self.height - 1),
                              min(max(c + dc, 0), self.width - 1)))  # fmt: skip
            mask = np.zeros(self.shape, bool)
            mask[tuple(np.array(cells).T)] = True
            yield mask, bool(rng.random() < 0.5)

    def _mesh(self, rng: np.random.Generator) -> np.ndarray:
        """Unit-variance values, constant over the Voronoi cells of random seeds (H, W)."""
        from scipy.spatial import cKDTree

        cells = max(2, self.height * self.width // 150)
        seeds = rng.uniform(0, 1, (cells, 2)) * (self.height, self.width)
        rows, cols = np.mgrid[0 : self.height, 0 : self.width]
        _, nearest = cKDTree(seeds).query(np.column_stack([rows.ravel(), cols.ravel()]))
        return rng.standard_normal(cells)[nearest].reshape(self.shape)
