"""Outlines redrawn at the halo-corrected size: shrinking and growing by hand, and the
classical detection's regions at the diameter the correction gives."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from thermodefect.detect.outline import early_map, halo_corrected, resized, with_early_sizes

from .conftest import simulated_plate


def _disc(shape=(25, 25), centre=(12, 12), radius=6.0) -> np.ndarray:
    y, x = np.mgrid[: shape[0], : shape[1]]
    return (y - centre[0]) ** 2 + (x - centre[1]) ** 2 <= radius**2


def test_shrinking_keeps_the_deepest_pixels_and_drops_the_weakest_of_a_tie():
    disc = _disc()
    image = np.tile(np.arange(25.0), (25, 1))  # stronger to the right
    kept = resized(disc, 60, np.zeros_like(disc), image)
    assert kept.sum() == 60 and not (kept & ~disc).any()
    inside = ndimage.distance_transform_edt(disc)
    assert inside[kept].min() >= inside[disc & ~kept].max()
    level = inside[kept].min()  # the distance the cut fell on: its weakest pixels went
    cut, stay = disc & ~kept & (inside == level), kept & (inside == level)
    assert cut.any() and stay.any() and image[cut].max() <= image[stay].min()
    assert abs(np.nonzero(kept)[0].mean() - 12) < 0.6
    assert resized(np.pad(np.ones((3, 3), bool), 2), 1, np.zeros((7, 7), bool),
                   np.zeros((7, 7))).sum() == 1  # fmt: skip


def test_a_lobed_region_shrunk_stays_one_region_its_largest_lobe_grown_back_inside_it():
    lobes = _disc(centre=(12, 7), radius=5.0) | _disc(centre=(12, 19), radius=3.0)
    lobes[12, 12:17] = True  # a one-pixel neck
    assert ndimage.label(lobes, structure=np.ones((3, 3)))[1] == 1
    kept = resized(lobes, 70, np.zeros_like(lobes), np.zeros(lobes.shape))
    # deepest-first alone keeps 57 pixels of the big lobe and 13 of the small one (113 -> 70):
    # two regions; the big piece is grown back to 70 inside the region instead
    assert ndimage.label(kept, structure=np.ones((3, 3)))[1] == 1
    assert kept.sum() == 70 and not (kept & ~lobes).any()
    assert not kept[:, 16:].any()


def test_growing_takes_the_nearest_free_pixels_and_never_the_kept_off_ones():
    disc = _disc()
    keep_off = np.zeros_like(disc)
    keep_off[:, 19:] = True
    grown = resized(disc, 150, keep_off, np.zeros(disc.shape))
    assert grown.sum() == 150 and not (disc & ~grown).any() and not (grown & keep_off).any()
    outside = ndimage.distance_transform_edt(~disc)
    added, left = grown & ~disc, ~grown & ~keep_off
    assert outside[added].max() <= outside[left].min()
    few = np.ones((5, 5), bool)
    few[1:4, 1:4] = False
    assert resized(~few, 100, few, np.zeros((5, 5))).sum() == 9  # nothing free: unchanged


def test_classical_regions_are_drawn_at_the_halo_corrected_diameter():
    from thermodefect.detect import detect
    from thermodefect.detect.classical import mask_of
    from thermodefect.detect.depth import corrected_diameter, early_diameter
    from thermodefect.detect.features import features

    seq = simulated_plate([(20, 20, 8, 0.3), (20, 42, 14, 0.6)])
    found = detect(seq, "pct")
    feature, faint = features(found.cooling, "pct")
    decided = mask_of(feature, found.cooling, faint=faint)
    labels, n = ndimage.label(decided, structure=np.ones((3, 3)))
    assert n == 2 == len(found.regions)
    for k in range(1, n + 1):
        own = 2 * np.sqrt((labels == k).sum() / np.pi)
        first = early_diameter(found.cooling, labels == k, decided, feature)
        target = corrected_diameter(own, first)
        region = min(found.regions, key=lambda r: abs(r.col - (labels == k).nonzero()[1].mean()))
        assert region.area_px == round(np.pi * target**2 / 4)
        pitch = seq.meta.pixel_pitch_mm
        assert region.early_diameter_mm == pytest.approx(first * pitch, rel=1e-5)
        assert region.corrected_diameter_mm == region.diameter_mm
    redrawn, early = halo_corrected(decided, feature, found.cooling)
    assert (
        (redrawn == found.mask).all() and (early[redrawn] > 0).all() and not early[~redrawn].any()
    )
    again = with_early_sizes(found.regions, found.mask, early_map(found.regions, found.mask))
    assert again == found.regions


def test_a_sound_mask_and_an_unknown_pitch_pass_through():
    seq = simulated_plate([])
    from thermodefect.detect.classical import prepare

    cooling = prepare(seq)
    empty = np.zeros(cooling.frames.shape[1:], bool)
    mask, early = halo_corrected(empty, np.zeros(empty.shape), cooling)
    assert not mask.any() and not early.any()
    assert with_early_sizes([], empty, early) == []


def test_a_region_redrawn_on_its_crop_is_the_one_the_whole_image_gives():
    from thermodefect.detect.depth import EARLY_REACH, early_diameter_of
    from thermodefect.detect.outline import _around, _redrawn

    rng = np.random.default_rng(5)
    feature = ndimage.gaussian_filter(rng.normal(size=(90, 120)), 1.5)
    mask = feature > 0.25
    mask[40:50, 0:120:3] = True  # a comb of thin regions: growth must go around them
    labels, n = ndimage.label(mask, structure=np.ones((3, 3)))
    assert n > 20
    for k, box in enumerate(ndimage.find_objects(labels), start=1):
        region = labels == k
        others = ndimage.binary_dilation(mask & ~region, np.ones((3, 3)), iterations=2)
        for area in (max(int(region.sum()) // 2, 1), 4 * int(region.sum()) + 60):
            at, drawn = _redrawn(labels, k, box, area, feature)
            whole = np.zeros(mask.shape, bool)
            whole[at] = drawn
            assert np.array_equal(whole, resized(region, area, others, feature)), (k, area)
    band = np.zeros(mask.shape, bool)
    band[:, 55:60] = True  # what a caller keeps them off (the method's regions, by a network's)
    for k, box in enumerate(ndimage.find_objects(labels), start=1):
        region = labels == k
        others = ndimage.binary_dilation(mask & ~region, np.ones((3, 3)), iterations=2) | band
        area = 4 * int(region.sum()) + 60
        at, drawn = _redrawn(labels, k, box, area, feature, band)
        whole = np.zeros(mask.shape, bool)
        whole[at] = drawn
        assert np.array_equal(whole, resized(region, area, others, feature)), k
        assert not (whole & band & ~region).any()
    # The early diameter reads the window means within EARLY_REACH of the region alone.
    windows = np.stack([feature * s for s in (1.0, 0.8, 0.5)]).astype(np.float32)
    for k, box in enumerate(ndimage.find_objects(labels), start=1):
        near = _around(box, EARLY_REACH, mask.shape)
        region = labels == k
        full = early_diameter_of(windows, region, mask, feature)
        crop = early_diameter_of(
            windows[:, near[0], near[1]], region[near], mask[near], feature[near]
        )
        assert crop == full, k
