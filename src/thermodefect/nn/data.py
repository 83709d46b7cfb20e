"""Training data from a simulated dataset: specimens split strictly by specimen, samples
drawn with consistent augmentation of frames and mask.

Splits come from the manifest's ``split`` column, or from k folds over specimen names
(:func:`kfold_splits`); a specimen is never in two splits (:func:`check_disjoint`).

Augmentation, in the raw temperature domain before the input representation: a smooth
multiplicative heating field (linear and quadratic terms up to +-30 %), an additive offset,
extra Gaussian noise up to the measured noise, clip-offset jitter of the log-spaced frames;
then on the representation and mask together: flips, 90-degree rotations and a small affine
(rotation up to 10 degrees, scale 0.9-1.1). Balanced sampling centres half of the patches
(half of the pixels for per-pixel models) on defects.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from thermodefect.errors import ThermodefectError
from thermodefect.nn.inputs import (
    InputConfig,
    evidence_stack,
    feature_stack,
    frame_stack,
    ratio_frames,
)
from thermodefect.sequence import Sequence

__all__ = [
    "Augmenter",
    "Specimen",
    "check_disjoint",
    "geometric",
    "heating_field",
    "kfold_splits",
    "load_specimens",
    "load_unlabelled",
    "manifest_splits",
    "pixel_batch",
    "random_patch",
    "unlabelled_patches",
]


@dataclass
class Specimen:
    """One specimen held in memory for training.

    Parameters
    ----------
    name : str
        Its name in the dataset.
    cooling : Sequence
        The cooling frames.
    mask : (H, W) ndarray of bool
        Ground truth.
    noise : float
        Temporal noise estimate, in the frames' units.
    """

    name: str
    cooling: Sequence  # the cooling frames
    mask: np.ndarray  # (H, W) bool
    noise: float  # temporal noise estimate, same units as the frames


def kfold_splits(names: list[str], k: int, fold: int, seed: int = 0) -> dict[str, list[str]]:
    """Fold ``fold`` of ``k`` over specimen names: that fold is ``val``, the rest ``train``.

    Parameters
    ----------
    names : list of str
        Specimens.
    k : int
        Folds.
    fold : int
        Which one is validation.
    seed : int
        Shuffle seed.

    Returns
    -------
    dict of str to list of str
        ``train`` and ``val`` names.

    Raises
    ------
    ThermodefectError
        When k is not in 2..len(names) or fold not in 0..k-1.
    """
    if not 2 <= k <= len(names) or not 0 <= fold < k:
        raise ThermodefectError(f"cannot take fold {fold} of {k} from {len(names)} specimens")
    order = np.random.default_rng(seed).permutation(sorted(names))
    val = set(order[fold::k])
    return {"train": [n for n in order if n not in val], "val": sorted(val)}


def manifest_splits(rows: list[dict]) -> dict[str, list[str]]:
    """Specimen names by the manifest's ``split`` column.

    Parameters
    ----------
    rows : list of dict
        Rows of :func:`thermodefect.simulate.dataset.read_manifest`.

    Returns
    -------
    dict of str to list of str
    """
    out: dict[str, list[str]] = {}
    for row in rows:
        out.setdefault(row["split"], []).append(row["name"])
    return out


def check_disjoint(splits: dict[str, list[str]]) -> None:
    """Raise if any specimen appears in two splits.

    Parameters
    ----------
    splits : dict of str to list of str
        Split -> specimen names.

    Raises
    ------
    ThermodefectError
        Naming the specimen and the two splits.
    """
    seen: dict[str, str] = {}
    for split, names in splits.items():
        for name in names:
            if name in seen and seen[name] != split:
                raise ThermodefectError(f"specimen {name} is in both {seen[name]} and {split}")
            seen[name] = split


def _noise(frames: np.ndarray) -> float:
    """Temporal noise: robust std of the difference of the last two frames / sqrt(2)."""
    d = (frames[-1] - frames[-2]).ravel()
    return float(1.4826 * np.median(np.abs(d - np.median(d))) / np.sqrt(2))


def load_specimens(data_dir: Path, names: list[str], *, quiet: bool = True) -> list[Specimen]:
    """Read each specimen's sequence and mask; the mask must exist.

    Parameters
    ----------
    data_dir : Path
        The dataset.
    names : list of str
        Specimens.
    quiet : bool
        No progress bar.

    Returns
    -------
    list of Specimen

    Raises
    ------
    ThermodefectError
        For an unreadable specimen or one without its label.
    """
    from tqdm import tqdm

    from thermodefect.io import load
    from thermodefect.preprocess import extract_cooling, to_rise

    out = []
    for name in tqdm(names, desc="loading", unit="specimen", disable=quiet or None):
        path = Path(data_dir) / f"{name}.mat"
        seq = load(path)
        if seq.mask is None:
            raise ThermodefectError("no ground-truth label next to the sequence", path)
        cooling = extract_cooling(to_rise(seq))
        out.append(Specimen(name, cooling, np.asarray(seq.mask, bool), _noise(cooling.frames)))
    return out


def load_unlabelled(files: list[Path], *, quiet: bool = True) -> list[Specimen]:
    """Read sequences without labels (pretraining, domain adaptation) as specimens whose
    mask is all background; a label next to a file is ignored.

    Each file goes through the same path as :func:`load_specimens`: the rise (pre-flash
    baseline removed when there is one), then the cooling after the flash.

    Parameters
    ----------
    files : list of Path
        Sequence files (:func:`thermodefect.io.files.sequence_files` of a folder).
    quiet : bool
        No progress bar.

    Returns
    -------
    list of Specimen
        Named by file stem; ``mask`` is all ``False`` and is not a label.

    Raises
    ------
    ThermodefectError
        Naming the file, for one that cannot be read or has no cooling.
    """
    from tqdm import tqdm

    from thermodefect.io import load
    from thermodefect.preprocess import extract_cooling, to_rise

    out = []
    for path in tqdm(files, desc="loading", unit="sequence", disable=quiet or None):
        cooling = extract_cooling(to_rise(load(path)))
        blank = np.zeros(cooling.frames.shape[1:], bool)
        out.append(Specimen(Path(path).stem, cooling, blank, _noise(cooling.frames)))
    return out


def heating_field(shape: tuple[int, int], rng: np.random.Generator, amplitude: float = 0.3):
    """A smooth positive gain: 1 + linear and quadratic terms, each within +-``amplitude``.

    Parameters
    ----------
    shape : (int, int)
        (H, W).
    rng : numpy.random.Generator
        The draws.
    amplitude : float
        Largest coefficient.

    Returns
    -------
    (H, W) ndarray of float32
        At least 0.4 everywhere.
    """
    h, w = shape
    y, x = np.meshgrid(np.linspace(-1, 1, h), np.linspace(-1, 1, w), indexing="ij")
    a, b, c = rng.uniform(-amplitude, amplitude, 3)
    cx, cy = rng.uniform(-1, 1, 2)
    field = 1 + a * x + b * y + c * ((x - cx) ** 2 + (y - cy) ** 2) / 4
    return np.clip(field, 0.4, None).astype(np.float32)


class Augmenter:
    """Draws augmented inputs and masks of whole specimens (see the module docstring).

    Parameters
    ----------
    config : InputConfig
        The representation.
    augment : bool
        ``False`` draws plain inputs (validation).
    max_offset : int
        Largest jitter of the log-spaced window, frames.
    """

    def __init__(self, config: InputConfig, *, augment: bool = True, max_offset: int = 3):
        self.config, self.augment, self.max_offset = config, augment, max_offset
        self._features: dict[str, np.ndarray] = {}

    def full(self, spec: Specimen, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Augmented representation and mask of a whole specimen.

        Parameters
        ----------
        spec : Specimen
            The specimen.
        rng : numpy.random.Generator
            The draws.

        Returns
        -------
        x : ndarray of float32
            (C, H, W), or (1, T, H, W) for clips.
        y : (H, W) ndarray of float32
            The mask.
        """
        if self.config.mode in ("features", "evidence"):
            if spec.name not in self._features:  # PCT + TSR per draw would be too slow
                images = feature_stack if self.config.mode == "features" else evidence_stack
                self._features[spec.name] = images(spec.cooling, self.config)
            x = self._features[spec.name]
        else:
            frames = spec.cooling.frames
            spare = frames.shape[0] - self.config.n_frames - 1
            offset = int(rng.integers(0, min(self.max_offset, spare) + 1)) if self.augment else 0
            stack = frame_stack(frames, self.config.n_frames, offset)
            if self.augment:
                level = float(np.median(np.abs(stack[0]))) or 1.0
                stack = stack * heating_field(stack.shape[1:], rng)
                stack = stack + np.float32(rng.uniform(-0.02, 0.02) * level)
                sigma = rng.uniform(0, 1) * spec.noise
                stack = stack + rng.normal(0, sigma, stack.shape).astype(np.float32)
            x = ratio_frames(stack)
        y = spec.mask.astype(np.float32)
        if self.augment:
            x, y = geometric(x, y, rng)
        return (x[None] if self.config.mode == "clip" else x), y


def geometric(x: np.ndarray, y: np.ndarray, rng: np.random.Generator):
    """Random flips, and with probability 1/2 a small rotation and scaling about the centre,
    applied alike to every channel of ``x`` and to ``y``.

    Parameters
    ----------
    x : (C, H, W) ndarray
        Input channels.
    y : (H, W) ndarray
        Mask.
    rng : numpy.random.Generator
        The draws.

    Returns
    -------
    x, y : ndarray
        Transformed, C-contiguous.
    """
    from scipy import ndimage

    if rng.random() < 0.5:
        x, y = x[:, :, ::-1], y[:, ::-1]
    if rng.random() < 0.5:
        x, y = x[:, ::-1, :], y[::-1, :]
    if rng.random() < 0.5:
        angle = np.deg2rad(rng.uniform(-10, 10))
        scale = rng.uniform(0.9, 1.1)
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]) / scale
        centre = (np.array(y.shape) - 1) / 2
        offset = centre - rot @ centre
        x = np.stack([ndimage.affine_transform(c, rot, offset, order=1, mode="reflect")
                      for c in x])  # fmt: skip
        y = ndimage.affine_transform(y, rot, offset, order=0, mode="reflect")
    return np.ascontiguousarray(x), np.ascontiguousarray(y)


def random_patch(
    x: np.ndarray, y: np.ndarray, size: int, rng: np.random.Generator, *, on_defect: bool
):
    """A ``size`` x ``size`` patch, centred on a random defect pixel when ``on_defect`` and the
    specimen has one; rotated by a random k x 90 degrees. An image smaller than the patch is
    mirrored at its far edges first, so that patches of every specimen stack into one batch.

    Parameters
    ----------
    x : (..., H, W) ndarray
        Input.
    y : (H, W) ndarray
        Mask.
    size : int
        Patch side, pixels.
    rng : numpy.random.Generator
        The draws.
    on_defect : bool
        Centre on a defect.

    Returns
    -------
    x, y : ndarray
        The patches.
    """
    short = (max(0, size - y.shape[0]), max(0, size - y.shape[1]))
    if any(short):
        x = np.pad(x, [(0, 0)] * (x.ndim - 2) + [(0, short[0]), (0, short[1])], mode="symmetric")
        y = np.pad(y, [(0, short[0]), (0, short[1])], mode="symmetric")
    h, w = y.shape
    if on_defect and y.any():
        rows, cols = np.nonzero(y > 0.5)
        i = rng.integers(len(rows))
        jitter = (rng.integers(-size // 4, size // 4 + 1), rng.integers(-size // 4, size // 4 + 1))
        r0 = int(np.clip(rows[i] - size // 2 + jitter[0], 0, h - size))
        c0 = int(np.clip(cols[i] - size // 2 + jitter[1], 0, w - size))
    else:
        r0, c0 = int(rng.integers(0, h - size + 1)), int(rng.integers(0, w - size + 1))
    xp, yp = x[..., r0 : r0 + size, c0 : c0 + size], y[r0 : r0 + size, c0 : c0 + size]
    k = int(rng.integers(4))
    xp, yp = np.rot90(xp, k, axes=(-2, -1)), np.rot90(yp, k)
    return np.ascontiguousarray(xp), np.ascontiguousarray(yp)


def unlabelled_patches(specimens: list[Specimen], aug: Augmenter, size: int, rngs) -> np.ndarray:
    """One augmented patch per generator, each from a specimen that generator picks; masks
    play no part (pretraining, the target side of domain training).

    Parameters
    ----------
    specimens : list of Specimen
        The sequences.
    aug : Augmenter
        How a whole specimen is drawn.
    size : int
        Patch side, pixels.
    rngs : sequence of numpy.random.Generator
        One per patch.

    Returns
    -------
    (len(rngs), C, size, size) ndarray of float32
    """
    out = []
    for rng in rngs:
        x, y = aug.full(specimens[rng.integers(len(specimens))], rng)
        out.append(random_patch(x, y, size, rng, on_defect=False)[0])
    return np.stack(out)


def pixel_batch(x: np.ndarray, y: np.ndarray, n: int, rng: np.random.Generator):
    """``n`` pixel series and labels, half of them defect pixels where the specimen has any.

    Parameters
    ----------
    x : (T, H, W) ndarray
        Input of a per-pixel network.
    y : (H, W) ndarray
        Mask.
    n : int
        Series drawn.
    rng : numpy.random.Generator
        The draws.

    Returns
    -------
    series : (n, T) ndarray
    labels : (n,) ndarray of float32
    """
    series = x.reshape(x.shape[0], -1).T
    labels = y.ravel() > 0.5
    pos, neg = np.flatnonzero(labels), np.flatnonzero(~labels)
    n_pos = n // 2 if pos.size else 0
    pick = np.concatenate([rng.choice(pos, n_pos), rng.choice(neg, n - n_pos)])
    return series[pick], labels[pick].astype(np.float32)
