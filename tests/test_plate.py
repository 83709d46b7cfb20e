"""The plate in the view (background, edge cooling, slow trends) and outlines at half maximum."""

from __future__ import annotations

import numpy as np
import pytest

from thermodefect.detect import DECISIONS, detect, prepare
from thermodefect.detect.decision import regions_touching, trim_halo
from thermodefect.methods import METHODS, robust_z
from thermodefect.preprocess.plate import (
    detrend,
    fill_off_plate,
    flatten_edges,
    interior,
    plate_mask,
)
from thermodefect.simulate import from_dict, run


def _framed(h=40, w=50, box=(4, 36, 5, 47)):
    plate = np.zeros((h, w), bool)
    plate[box[0] : box[1], box[2] : box[3]] = True
    return plate


def test_plate_mask_is_the_rectangle_inside_a_frame_of_background():
    plate = _framed()
    frames = np.where(plate, 3.0, 0.01)[None].repeat(20, axis=0)
    frames[:, 20, 20] = 0.0  # a pixel inside the outline that never warms (a dark mark)
    frames[:, 30:, 40:] = 0.0  # a corner the flash missed is still plate
    assert np.array_equal(plate_mask(frames), plate)
    assert plate_mask(np.full((20, 8, 8), 2.0)).all()
    assert plate_mask(np.zeros((20, 8, 8))).all()  # nothing warms: no plate to find


def test_a_plate_the_flash_fades_across_is_all_plate():
    ramp = np.clip(np.linspace(-0.3, 1.0, 50), 0, None)  # the left sixth gets nothing
    frames = np.broadcast_to(ramp, (20, 40, 50))
    assert plate_mask(frames).all()


def test_off_plate_pixels_take_the_nearest_plate_pixels_frames():
    plate = _framed()
    frames = np.random.default_rng(0).normal(size=(5, 40, 50)).astype(np.float32)
    kept = frames.copy()
    fill_off_plate(frames, plate)
    assert np.array_equal(frames[:, plate], kept[:, plate])
    assert np.array_equal(frames[:, 0, 0], kept[:, 4, 5])  # the corner's nearest
    assert np.array_equal(frames[:, 20, 49], kept[:, 20, 46])


def test_edge_profiles_inside_the_view_are_removed_and_a_defect_kept():
    plate = _framed()
    yy, xx = np.mgrid[:40, :50]
    edges = -np.exp(-(yy - 4) / 2.0) - 0.5 * np.exp(-(xx - 5) / 2.0)
    image = np.where(plate, 1.0 + edges, 0.0)
    image[18:22, 20:24] += 0.3
    out = flatten_edges(image, plate)
    band = interior(plate)[0].start - 4
    assert band == 8  # a quarter of the plate's 32 rows
    # Each band is flat at its inner end's level: the profile along the side is gone.
    np.testing.assert_allclose(out[4 : 4 + band, 25], image[4 + band - 1, 25], atol=1e-12)
    np.testing.assert_allclose(out[20, 5 : 5 + band], image[20, 5 + band - 1], atol=1e-12)
    assert out[19, 21] - out[30, 30] == pytest.approx(0.3, abs=0.01)
    # The bottom and right sides show (almost) no cooling: (almost) nothing changes there.
    np.testing.assert_allclose(out[30:36, 30], image[30:36, 30], atol=1e-5)
    assert flatten_edges(image, np.ones_like(plate)) is image


def test_a_defect_filling_most_of_a_sides_middle_is_not_taken_for_its_edge_profile():
    """The left side's middle part (rows 12-27) is three quarters defect: its median is the
    defect's profile. Subtracted along the whole side, it would leave wedges of the
    defect's contrast at both corners; the full side's median (a defect on 12 of its 32
    lines) is the smaller correction, and the edge cooling alone goes."""
    plate = _framed()
    xx = np.mgrid[:40, :50][1]
    image = np.where(plate, 1.0 - 0.5 * np.exp(-(xx - 5) / 2.0), 0.0)
    image[14:26, 5:9] -= 0.3  # a cold defect in the left band, as the edge is cold
    out = flatten_edges(image, plate)
    level = image[20, 12]  # the band's inner end, where the profile stops
    np.testing.assert_allclose(out[5:12, 5:13], level, atol=1e-9)  # the top-left corner
    np.testing.assert_allclose(out[28:36, 5:13], level, atol=1e-9)  # the bottom-left one
    np.testing.assert_allclose(out[14:26, 5:9], level - 0.3, atol=1e-9)  # the defect kept


def test_interior_leaves_out_the_edge_bands_inside_the_view_only():
    plate = np.zeros((40, 50), bool)
    plate[4:, :45] = True  # edges inside the view at the top and on the right
    assert interior(plate) == (slice(13, 40), slice(0, 36))


def test_detrend_removes_a_quadratic_surface_and_keeps_a_defect():
    y, x = np.mgrid[-1:1:48j, -1:1:64j]
    surface = 2.0 + 0.5 * x - 0.3 * y + 0.8 * x * x + 0.2 * x * y - 0.4 * y * y
    image = surface.copy()
    image[20:26, 30:36] += 1.0
    out = detrend(image)
    np.testing.assert_allclose(out[:10, :10], 0.0, atol=1e-9)
    np.testing.assert_allclose(out[20:26, 30:36], 1.0, atol=1e-9)


def test_detrend_of_a_large_image_fits_a_sample_and_removes_the_trend_everywhere(monkeypatch):
    from thermodefect.preprocess import plate as plate_module

    y, x = np.mgrid[-1:1:480j, -1:1:640j]
    surface = 2.0 + 0.5 * x - 0.3 * y + 0.8 * x * x + 0.2 * x * y - 0.4 * y * y
    image = surface + np.random.default_rng(3).normal(0, 0.01, surface.shape)
    image[200:260, 300:360] += 1.0
    sampled = detrend(image)  # 307200 pixels: every second row and column fitted
    np.testing.assert_allclose(sampled[:100, :100].mean(), 0.0, atol=1e-3)
    np.testing.assert_allclose(sampled[200:260, 300:360].mean(), 1.0, atol=1e-3)
    monkeypatch.setattr(plate_module, "DETREND_SAMPLE", image.size)
    np.testing.assert_allclose(sampled, detrend(image), atol=2e-3)


def test_robust_z_keeps_gaussian_noise_and_does_not_blow_up_quantised_levels():
    noise = np.random.default_rng(1).normal(size=(100, 100))
    assert robust_z(noise).std() == pytest.approx(1.0, abs=0.03)
    levels = np.zeros((10, 10))
    levels[:3] = 1.0  # a third of the pixels one quantisation step up: MAD 0
    # central 90 %: std 0.458, floor 0.229, so the step is 4.4 "sigma", not infinity
    assert robust_z(levels).max() == pytest.approx(1 / (0.5 * np.sqrt(0.21)), rel=1e-9)


def test_robust_z_of_a_large_image_reads_a_sample_and_gives_the_whole_images_answer(
    monkeypatch,
):
    from thermodefect.methods import _segment

    image = np.random.default_rng(2).normal(3.0, 0.5, (480, 640))
    image[100:140, 200:240] += 4.0  # a defect: 0.5 % of the pixels
    sampled = robust_z(image)
    monkeypatch.setattr(_segment, "ROBUST_SAMPLE", image.size)
    whole = robust_z(image)
    np.testing.assert_allclose(sampled, whole, rtol=0.01, atol=0.01)
    assert sampled[100:140, 200:240].mean() == pytest.approx(8.0, rel=0.03)  # 4.0 / sigma 0.5


def test_a_weak_second_peak_in_a_halo_is_not_a_second_defect():
    yy, xx = np.mgrid[:48, :64]
    big = 20 * np.exp(-((yy - 24) ** 2 + (xx - 20) ** 2) / 18.0)
    from scipy import ndimage

    for height, regions in ((7, 1), (13, 2)):  # a second defect must reach twice z_min
        feature = big + height * np.exp(-((yy - 24) ** 2 + (xx - 32) ** 2) / 2.0)
        mask = feature >= 4
        mask[23:26, 20:33] = True  # the halo joins them into one region
        out = trim_halo(mask, feature, 6.0)
        assert ndimage.label(out, structure=np.ones((3, 3)))[1] == regions


def test_half_maximum_outline_of_a_blurred_defect_and_a_second_defect_in_its_halo():
    yy, xx = np.mgrid[:48, :64]
    big = 20 * np.exp(-((yy - 24) ** 2 + (xx - 20) ** 2) / 18.0)  # sigma 3 px
    small = 9 * np.exp(-((yy - 24) ** 2 + (xx - 33) ** 2) / 8.0)  # 13 px away
    feature = big + small
    mask = feature >= 4
    out = trim_halo(mask, feature, 6.0, level=0.5)
    from scipy import ndimage

    labels, n = ndimage.label(out, structure=np.ones((3, 3)))
    assert n == 2
    # Big one: radius where 20 exp(-r^2 / 18) = 10, 3.53 px: 39 px at half maximum.
    assert (labels == labels[24, 20]).sum() == pytest.approx(np.pi * 18 * np.log(2), rel=0.15)
    assert labels[24, 33] != labels[24, 20] and labels[24, 33] > 0
    # A lone blob whose halo has no second peak stays one region.
    lone = trim_halo(big >= 4, big, 6.0, level=0.5)
    assert ndimage.label(lone, structure=np.ones((3, 3)))[1] == 1


QUIET = {k: 0 for k in ("blur_px", "netd_k", "offset_k", "gain", "dead_pixels", "hot_pixels",
                        "emissivity_variation", "drift_k")}  # fmt: skip


def _plate_in_view(material: str, holes=()):
    """A noise-free plate smaller than the view (background around it, edges losing heat
    unevenly), 2 mK counts and a mesh texture in the early frames: the independent FE
    exports the classical path once called edges and corners in."""
    spec = from_dict({
        "name": "edges", "seed": 1,
        "plate": {"thickness_mm": 2.0, "material": material, "size_mm": [11.0, 8.4]},
        "defects": [{"kind": "hole", "center_mm": [x, y], "size_mm": d, "depth_mm": z}
                    for x, y, d, z in holes],
        "flash": {"profile": "uniform", "duration_s": 0.005},
        "boundary": {"h_edges": [25.0, 20.0, 10.0, 8.0]},
        "camera": {"height": 48, "width": 60, "pixel_pitch_mm": 0.2, "frame_rate": 20.0,
                   "n_frames": 200, "preflash_frames": 1, "count_k": 0.002, "mesh_k": 0.02,
                   **QUIET},
        "solver": {"nz": 12},
    })  # fmt: skip
    return run(spec)[0]


def test_a_sound_quantised_textured_plate_in_view_gives_no_false_call_anywhere():
    seq = _plate_in_view("cfrp-ud")
    prepared = prepare(seq)
    assert "background filled" in " ".join(prepared.meta.history)
    assert "not corrected" in prepared.meta.history[-1]  # edge cooling is not uneven heating
    for method, rule in [(m, "significance") for m in METHODS] + [("pct", r) for r in DECISIONS]:
        found = detect(seq, method, decision=rule, prepared=prepared)
        assert found.regions == [], (method, rule, [(r.row, r.col) for r in found.regions])


def test_holes_in_a_plate_in_view_are_found_by_every_method():
    seq = _plate_in_view("cfrp", holes=[(4, 4, 2.5, 0.5), (8, 5, 2.5, 0.8)])
    prepared = prepare(seq)
    for method in METHODS:
        found = detect(seq, method, prepared=prepared)
        iou = (found.mask & seq.mask).sum() / (found.mask | seq.mask).sum()
        assert iou > 0.3, (method, iou)  # 0 for every method before the plate was found


def test_a_structured_edge_band_is_judged_against_its_own_spread_and_a_quiet_one_is_left():
    from thermodefect.methods._significance import edge_band_z
    from thermodefect.preprocess.plate import interior

    plate = np.zeros((48, 60), bool)
    plate[4:44, 5:55] = True  # 40 x 50 px: a band of 10 px inside each side
    band = plate.copy()
    band[interior(plate)] = False
    assert band.sum() == 40 * 50 - 20 * 30
    z = np.where(plate, np.random.default_rng(0).normal(size=plate.shape), 0.0)
    assert edge_band_z(z, plate) is z  # as spread as the plate: left alone
    loud = np.where(band, 3.0 * z, z)
    out = edge_band_z(loud, plate)
    spread = 1.4826 * np.median(np.abs(loud[band] - np.median(loud[band])))
    np.testing.assert_allclose(out[band], loud[band] / spread)
    np.testing.assert_array_equal(out[~band], loud[~band])
    assert 2.7 < spread < 3.3


def _blurred(spots, sigma=1.5):
    """A feature image: each (mask, height) blurred by ``sigma`` pixels, summed."""
    from scipy import ndimage

    return sum(h * ndimage.gaussian_filter(spot.astype(float), sigma) for spot, h in spots)


def test_a_weaker_defect_touching_a_stronger_one_is_kept_beside_it():
    from scipy import ndimage

    yy, xx = np.mgrid[:64, :80]
    hole = (yy - 40) ** 2 + (xx - 40) ** 2 <= 8**2
    square = (yy >= 19) & (yy < 33) & (xx >= 33) & (xx < 47)  # touches the hole's top
    feature = _blurred([(hole, 150.0), (square & ~hole, 30.0)])
    out = trim_halo(feature >= 5, feature, 5.0)
    labels, n = ndimage.label(out, structure=np.ones((3, 3)))
    assert n == 2
    found_square = labels == labels[24, 40]
    assert labels[24, 40] != labels[40, 40] > 0
    assert (found_square & square).sum() >= 0.6 * square.sum()
    assert not (found_square & ~ndimage.binary_dilation(square)).any()  # blurred by 1.5 px


def test_where_the_halos_of_two_defects_add_up_no_third_is_found():
    from scipy import ndimage

    yy, xx = np.mgrid[:64, :112]
    left = (yy - 32) ** 2 + (xx - 30) ** 2 <= 8**2
    right = (yy - 32) ** 2 + (xx - 54) ** 2 <= 8**2  # 8 pixels between their outlines
    # A sharp edge and a long diffusion tail: between the holes the two tails add up. Judged
    # against either hole's halo alone, that sum stands out as two crescents (4 regions).
    spots = [(left, 120.0), (right, 120.0)]
    feature = _blurred(spots, sigma=1.5) + _blurred(spots, sigma=8.0)
    out = trim_halo(feature >= 5, feature, 5.0)
    assert ndimage.label(out, structure=np.ones((3, 3)))[1] == 2


def test_regions_touching_keeps_the_regions_that_hold_a_seed_diagonals_included():
    mask = np.zeros((6, 8), bool)
    mask[0:2, 0:2] = True  # a square
    mask[2, 2] = True  # touching it by a corner: the same 8-connected region
    mask[4:6, 5:8] = True  # another region
    seeds = np.zeros((6, 8), bool)
    seeds[2, 2] = True
    seeds[0, 7] = True  # off every region
    expected = mask.copy()
    expected[4:6, 5:8] = False
    np.testing.assert_array_equal(regions_touching(mask, seeds), expected)
    assert not regions_touching(mask, np.zeros_like(mask)).any()
