"""Detection by a classical method and a network together.

The classical method's regions stand as they are (its decision, outlines and confidence); a
region of the network is added where the method found nothing (it comes no nearer than
:data:`FOUND_CLEARANCE` pixels to the method's regions), when the method's own evidence
reaches :data:`~thermodefect.detect.model.Z_CONFIRM` somewhere in it and its faint evidence
(blurred by a pixel) :data:`FAINT_CONFIRM`, it is not a surface mark, and it does not lie
along the plate's boundary. On the held-out families of the leave-one-family-out protocol
the network sees defects whose evidence stays under the method's level
(docs/results.md#the-default-decision). The network draws its regions wider than the
defects; each added region is redrawn at its halo-corrected size, as the method's are
(:func:`~thermodefect.detect.outline.halo_corrected`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from thermodefect.detect.regions import Detection
from thermodefect.sequence import Sequence

if TYPE_CHECKING:  # torch loads with the first network, not with this module
    from thermodefect.nn.checkpoint import Checkpoint
    from thermodefect.nn.onnx_network import OnnxNetwork

__all__ = [
    "EDGE_CLEARANCE",
    "FAINT_CONFIRM",
    "FOUND_CLEARANCE",
    "detect_combined",
    "network_additions",
]

#: A network region with more than half its pixels within this many pixels of the plate's
#: boundary (its edge inside the view, or the image border) is not added: networks trained on
#: plates that fill the view call the edge band of a plate that does not (FE check set: 4
#: false calls on its 3 sound plates, none with the rule).
EDGE_CLEARANCE = 6

#: Pixels within which a network region that comes near a region the method kept is that
#: region's halo, not a defect of its own (on a `make demo` plate the network drew the rim of a
#: hole PCT had found one pixel off PCT's outline; added, it grew the hole's area by 44 %).
FOUND_CLEARANCE = 2

#: Robust z the method's faint evidence must also reach in a network region: one pixel at z 4
#: in a large region is what noise gives (a held-out thin plate: 729 pixels, faint evidence
#: 1.3); the network's true additions on the held-out families reached 3.1 and more.
FAINT_CONFIRM = 3.0


def _near(found: np.ndarray) -> np.ndarray:
    """``found`` grown by :data:`FOUND_CLEARANCE` pixels (8-connected)."""
    from scipy import ndimage

    return ndimage.binary_dilation(found, np.ones((3, 3), bool), iterations=FOUND_CLEARANCE)


def network_additions(
    network: np.ndarray,
    found: np.ndarray,
    feature: np.ndarray,
    faint: np.ndarray | None = None,
    plate: np.ndarray | None = None,
    *,
    confirm: float | None = None,
    clearance: int = EDGE_CLEARANCE,
) -> np.ndarray:
    """The regions of ``network`` a classical decision missed and its evidence confirms.

    Parameters
    ----------
    network : (H, W) ndarray of bool
        The network's regions (thresholded and cleaned).
    found : (H, W) ndarray of bool
        The classical method's mask; a network region within :data:`FOUND_CLEARANCE` pixels
        of it is not added.
    feature : (H, W) ndarray
        The method's feature image in robust z units.
    faint : (H, W) ndarray, optional
        Its faint evidence (:func:`~thermodefect.detect.features.features`), which must reach
        :data:`FAINT_CONFIRM` in a region; not checked when not given.
    plate : (H, W) ndarray of bool, optional
        :func:`~thermodefect.preprocess.plate.plate_mask` (default: the plate fills the view).
    confirm : float, optional
        Robust z the feature must reach in a region (default
        :data:`~thermodefect.detect.model.Z_CONFIRM`).
    clearance : int
        Pixels from the plate's boundary within which most of a region may not lie.

    Returns
    -------
    (H, W) ndarray of bool
    """
    from scipy import ndimage

    from thermodefect.detect.decision import along_boundary
    from thermodefect.detect.model import Z_CONFIRM
    from thermodefect.methods import region_max

    labels, n = ndimage.label(network, structure=np.ones((3, 3)))
    if n == 0:
        return np.zeros(network.shape, bool)
    level = Z_CONFIRM if confirm is None else confirm
    keep = region_max(feature, labels, n) >= level
    if faint is not None:
        keep &= region_max(faint, labels, n) >= FAINT_CONFIRM
    keep &= ~along_boundary(labels, n, plate, clearance)
    keep &= region_max(_near(found), labels, n) == 0
    return np.concatenate([[False], keep])[labels]


def detect_combined(
    seq: Sequence,
    ckpt: Checkpoint | OnnxNetwork | Callable[[], Checkpoint | OnnxNetwork],
    method: str = "pct",
    *,
    device: str = "cpu",
    threshold: float | None = None,
    min_area: int | None = None,
    z_min: float | None = None,
    decision: str = "significance",
    prepared: Sequence | None = None,
) -> Detection:
    """A classical method's detection with the network's confirmed regions added.

    Parameters
    ----------
    seq : Sequence
        A raw sequence (see :func:`~thermodefect.detect.classical.detect`).
    ckpt : Checkpoint, OnnxNetwork or callable
        The network (:func:`~thermodefect.detect.model.load_detector`), or a function that
        returns it (the command line loads the network while the file loads). The network
        runs in a thread beside the method (its input, onnxruntime and torch work outside
        the interpreter's lock, so two cores do both at once); its answer is used only when
        the method finds the sequence in distribution.
    method : str
        A name of :data:`~thermodefect.methods.METHODS`.
    device : str
        Torch device of the network.
    threshold : float, optional
        The network's probability threshold (default: its tuned one).
    min_area : int, optional
        Smallest region in pixels (default: the method's
        :data:`~thermodefect.detect.classical.MIN_AREA` and the network's own).
    z_min : float, optional
        The method's significance in robust standard deviations (default
        :data:`~thermodefect.detect.decision.Z_MIN`).
    decision : str
        The method's rule of :data:`~thermodefect.detect.DECISIONS`.
    prepared : Sequence, optional
        :func:`~thermodefect.detect.classical.prepare` of ``seq`` when the caller has it.

    Returns
    -------
    Detection
        The method's, unchanged, when the sequence is out of distribution (the method says
        why) or when the network's answer is (``out_of_distribution`` then says why the
        network was not heard); otherwise labelled ``METHOD + model:NAME``.

    Raises
    ------
    ThermodefectError
        For an unknown method or rule, a threshold outside (0, 1) or a sequence too short for
        the network.
    """
    from concurrent.futures import ThreadPoolExecutor
    from dataclasses import replace

    from thermodefect.detect.classical import MIN_AREA, detect_and_faint, prepare
    from thermodefect.detect.decision import Z_MIN, regions_touching
    from thermodefect.detect.marks import surface_marks
    from thermodefect.detect.model import detect_with_model
    from thermodefect.detect.outline import early_map, halo_corrected, with_early_sizes
    from thermodefect.detect.regions import measure, with_confidence
    from thermodefect.preprocess import mean_response

    def hear():
        network = ckpt() if callable(ckpt) else ckpt
        return detect_with_model(seq, network, device=device, threshold=threshold,
                                 min_area=min_area, fallback=None, confirm=None,
                                 plate_checked=True, response=response)  # fmt: skip

    response = mean_response(seq)  # read once for the flash, the baseline and the level
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="network") as pool:
        hearing = pool.submit(hear)
        cooling = prepare(seq, response=response) if prepared is None else prepared
        found, faint = detect_and_faint(seq, method, z_min=Z_MIN if z_min is None else z_min,
                                        min_area=MIN_AREA if min_area is None else min_area,
                                        decision=decision, prepared=cooling,
                                        response=response)  # fmt: skip
        heard = hearing.result()
    if found.out_of_distribution is not None:
        return found
    if heard.out_of_distribution is not None:
        return replace(found, out_of_distribution=f"the network was not used: "
                                                  f"{heard.out_of_distribution}")  # fmt: skip
    tentative = np.zeros(found.mask.shape, bool) if found.tentative is None else found.tentative
    kept = found.mask & ~tentative  # a tentative region gives way to a confirmed network region
    added = network_additions(heard.mask, kept, found.feature, faint,
                              cooling.meta.extra.get("plate"))  # fmt: skip
    added &= ~surface_marks(added, cooling)
    if not added.any():
        return replace(found, method=f"{method} + {heard.method}")
    added, early = halo_corrected(added, found.feature, cooling, _near(kept))
    redrawn = regions_touching(tentative, _near(added))
    mask = (found.mask & ~redrawn) | added
    regions = with_confidence(measure(mask, found.feature, seq=cooling), mask, found.feature)
    early = np.where(redrawn, 0.0, early_map(found.regions, found.mask)) + early
    regions = with_early_sizes(regions, mask, early)
    left = tentative & ~redrawn
    return replace(found, method=f"{method} + {heard.method}", mask=mask, regions=regions,
                   tentative=left if left.any() else None)  # fmt: skip
