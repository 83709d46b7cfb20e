"""Classical detection end to end: silence on sound plates, detection, files, scoring, benchmark."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from thermodefect.cli import main
from thermodefect.detect import DECISIONS, decide, detect, gate, prepare
from thermodefect.errors import ThermodefectError
from thermodefect.methods import METHODS, clean
from thermodefect.sequence import Sequence
from thermodefect.simulate import from_dict, run


def _plate(heating: str, *, holes=(), size_mm=None, seed=0):
    spec = from_dict({
        "name": f"p_{heating}",
        "seed": seed,
        "plate": {"thickness_mm": 2.0, "material": "cfrp", "size_mm": size_mm},
        "defects": [
            {"kind": "hole", "center_mm": [x, y], "size_mm": d, "depth_mm": z}
            for x, y, d, z in holes
        ],
        "flash": {"profile": heating, "nonuniformity": 0.4, "angle_deg": 30},
        "camera": {"height": 48, "width": 64, "n_frames": 48, "frame_rate": 4.0, "netd_k": 0.04},
        "solver": {"nz": 12},
    })  # fmt: skip
    return run(spec)[0]


@pytest.mark.parametrize(
    "heating, size_mm",
    [("uniform", None), ("gaussian", None), ("gradient", None), ("uniform", [26.0, 18.0])],
)
def test_sound_plates_give_empty_tables_for_every_method(heating, size_mm):
    seq = _plate(heating, size_mm=size_mm)
    for method in METHODS:
        found = detect(seq, method)
        assert found.regions == [], (method, [(r.row, r.col, r.area_px) for r in found.regions])


@pytest.mark.parametrize("heating", ["gaussian", "gradient"])
def test_every_decision_rule_stays_silent_on_sound_plates(heating):
    seq = _plate(heating, seed=3)
    for rule in DECISIONS:
        assert detect(seq, "pct", decision=rule).regions == [], rule


def test_decision_rules_by_hand():
    z = np.zeros((20, 20))
    z[2:6, 2:6] = 8.0  # significant square with a halo at z = 4
    z[1, 2:6] = z[6, 2:6] = 4.0
    z[12:16, 12:16] = 4.0  # a faint square that never reaches z_min
    assert decide(z, "significance").sum() == 16
    hyst = decide(z, "hysteresis")
    assert hyst.sum() == 24 and not hyst[12:16, 12:16].any()  # halo joined, faint square not
    for rule in ("otsu", "kmeans", "region"):
        mask = decide(z, rule)
        assert mask[2:6, 2:6].all() and not mask[12:16, 12:16].any(), rule
    assert not gate(z > 3, z, 9.0).any()
    with pytest.raises(ThermodefectError, match=r"unknown decision rule .watershed.; choose from"):
        decide(z, "watershed")


def test_shallow_holes_are_found_and_measured():
    seq = _plate("gaussian", holes=[(10, 12, 5.0, 0.3), (22, 12, 6.0, 0.4)])
    found = detect(seq, "pct")
    assert len(found.regions) == 2
    by_col = sorted(found.regions, key=lambda r: r.col)
    assert by_col[0].col == pytest.approx(10 / 0.5, abs=2) and by_col[0].row == pytest.approx(
        24, abs=2
    )
    assert all(r.diameter_mm is not None and 2.5 < r.diameter_mm < 8 for r in found.regions)
    assert by_col[0].peak_frame <= by_col[1].peak_frame  # the shallower hole peaks first


def test_peak_frames_count_from_the_files_first_frame_and_times_need_a_rate():
    from dataclasses import replace

    from thermodefect.detect import detect_with_model, load_model

    seq = _plate("uniform", holes=[(10, 12, 6.0, 0.3)])
    found = detect(seq, "pct")
    region = found.regions[0]
    flash = int(np.argmax(seq.frames.mean(axis=(1, 2))))
    cooling = found.cooling  # frames flash + 1, flash + 2, ... of the file
    sound = ~ndimage.binary_dilation(found.mask, iterations=2)
    contrast = cooling.frames[:, found.mask].mean(axis=1) - cooling.frames[:, sound].mean(axis=1)
    assert region.peak_frame == flash + 1 + int(np.argmax(contrast))  # a frame of the file
    assert region.peak_time_s == pytest.approx(seq.times[region.peak_frame] - seq.times[flash])
    no_rate = Sequence(seq.frames, np.arange(seq.n_frames, dtype=float),
                       meta=replace(seq.meta, frame_rate=None))  # fmt: skip
    assert detect(no_rate, "pct").regions[0].peak_time_s is None
    by_model = detect_with_model(seq, load_model())
    assert all(r.peak_frame > flash for r in by_model.regions)


def test_detect_evaluate_cli_and_benchmark(tmp_path, capsys):
    data = tmp_path / "data"
    assert (
        main(["--quiet", "simulate", str(data), "--preset", "tiny", "--n", "4", "--seed", "1"]) == 0
    )
    out = tmp_path / "found"
    files = sorted(str(p) for p in data.glob("*.mat"))
    assert main(["--quiet", "detect", *files, "--method", "ppt", "--out", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    for suffix in ("mask.png", "prob.png", "overlay.png", "defects.csv", "defects.json"):
        assert f"tiny_0_{suffix}" in names
    mask = np.asarray(Image.open(out / "tiny_0_mask.png"))
    assert mask.shape == (48, 64) and set(np.unique(mask)) <= {0, 255}
    assert main(["evaluate", str(out), str(data)]) == 0
    assert "mean IoU" in capsys.readouterr().out
    rows = (out / "evaluation.csv").read_text().splitlines()
    assert rows[0] == "name,iou,f1,precision,recall,ap,hits,defects,false_calls" and len(rows) == 5
    bench = tmp_path / "bench"
    assert main(["--quiet", "benchmark", str(data), "--out", str(bench), "--split", "all",
                 "--methods", "pct", "dac"]) == 0  # fmt: skip
    text = (bench / "results.md").read_text()
    assert "| pct |" in text and "| dac |" in text and "nan" not in text.lower()
    assert (bench / "pod.png").exists() and (bench / "results.csv").exists()
    chosen = tmp_path / "chosen"
    assert main(["--quiet", "benchmark", str(data), "--out", str(chosen), "--methods", "pct",
                 "--decisions", "significance", "kmeans", "--models", "default"]) == 0  # fmt: skip
    text = (chosen / "results.md").read_text()
    assert ("| pct |" in text or "| pct (kmeans) |" in text) and "| unet |" in text
    assert "## Networks" in text


def test_detect_bad_input_and_registry(tmp_path, capsys):
    (tmp_path / "flat.npy").write_bytes(b"")
    assert main(["detect", str(tmp_path / "flat.npy"), "--out", str(tmp_path / "o")]) == 2
    assert "flat.npy: the file is empty" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
    const = np.ones((20, 8, 8), np.float32)
    np.save(tmp_path / "const.npy", const)
    assert main(["detect", str(tmp_path / "const.npy"), "--out", str(tmp_path / "o2")]) == 2
    assert "never changes: there is no flash" in capsys.readouterr().err
    rising = np.cumsum(np.ones((20, 8, 8), np.float32), axis=0)
    np.save(tmp_path / "rising.npy", rising)
    assert main(["detect", str(tmp_path / "rising.npy"), "--out", str(tmp_path / "o3")]) == 2
    assert "no cooling after the flash" in capsys.readouterr().err


def test_absolute_temperatures_and_counts_give_the_answer_of_the_rise(caplog):
    """With pre-flash frames, an ambient of 295 K or linear counts with a fixed pattern change
    nothing; without them, the offset-free methods agree and the others warn."""
    from thermodefect.detect import detect_with_model, load_model
    from thermodefect.detect.model import load_detector
    from thermodefect.preprocess import subtract_baseline

    seq = _plate("gaussian", holes=[(10, 12, 5.0, 0.3), (22, 12, 6.0, 0.4)])
    pattern = np.random.default_rng(1).normal(0, 40, seq.frames.shape[1:])

    def variant(frames, times=seq.times):
        return Sequence(np.asarray(frames, np.float32), times, seq.mask, seq.meta)

    rise = subtract_baseline(seq, "preflash")
    kelvin = variant(seq.frames + 295.15)
    counts = variant(1000 + pattern + 250 * seq.frames)
    for method in METHODS:  # float32 rounding may move a pixel on an outline at half maximum
        expected = detect(rise, method).mask
        for other in (kelvin, counts):
            assert (detect(other, method).mask ^ expected).sum() <= 3, method
    model = load_model()
    for network in (model, load_detector()):  # through torch and through onnxruntime
        expected = detect_with_model(rise, network)
        for other in (kelvin, counts):
            found = detect_with_model(other, network)
            np.testing.assert_allclose(found.feature, expected.feature, atol=2e-3)
    assert "pre-flash" not in caplog.text

    flash = int(np.argmax(seq.frames.mean(axis=(1, 2))))
    after = variant(seq.frames[flash:], seq.times[flash:])
    after_kelvin = variant(seq.frames[flash:] + 295.15, seq.times[flash:])
    for method in ("pct", "contrast"):
        assert (detect(after_kelvin, method).mask ^ detect(after, method).mask).sum() <= 3
    assert "pre-flash" not in caplog.text
    for method in ("tsr", "dac"):
        detect(after_kelvin, method)
        assert f"counts?): {method} reads the level of the rise" in caplog.text
    detect_with_model(after_kelvin, model)
    assert "the network reads the level of the rise" in caplog.text


def test_an_insert_in_noise_free_quantised_textured_data_is_found_by_every_method():
    """Like the independent FE simulations: UD-CFRP (17:1 in-plane), no noise, 2 mK counts, a
    polygonal mesh texture in the early frames, a thin resin insert, an even flash. The
    heating correction must stay out of the way (it absorbed such inserts entirely)."""
    resin = {"name": "resin", "k_x": 0.2, "k_y": 0.2, "k_z": 0.2, "density": 1200,
             "heat_capacity": 1200}  # fmt: skip
    quiet = {k: 0 for k in ("blur_px", "netd_k", "offset_k", "gain", "dead_pixels",
                            "hot_pixels", "emissivity_variation", "drift_k")}  # fmt: skip
    spec = from_dict({
        "name": "fe_like", "seed": 2,
        "plate": {"thickness_mm": 2.0, "material": "cfrp-ud"},
        "defects": [{"kind": "insert", "shape": "square", "center_mm": [6, 6], "size_mm": 4,
                     "depth_mm": 0.8, "material": resin, "thickness_mm": 0.05}],
        "flash": {"profile": "uniform", "duration_s": 0.005},
        "camera": {"height": 64, "width": 64, "pixel_pitch_mm": 0.2, "frame_rate": 30.0,
                   "n_frames": 300, "preflash_frames": 1, "count_k": 0.002, "mesh_k": 0.02,
                   **quiet},
        "solver": {"nz": 12},
    })  # fmt: skip
    seq = run(spec)[0]
    prepared = prepare(seq)
    assert "not corrected" in prepared.meta.history[-1]
    for method in METHODS:
        found = detect(seq, method, prepared=prepared)
        iou = (found.mask & seq.mask).sum() / (found.mask | seq.mask).sum()
        assert iou > 0.3, (method, iou)


def _marked(material: str, *, holes=(), marks=(), fps=20.0):
    spec = from_dict({
        "name": "marked", "seed": 3,
        "plate": {"thickness_mm": 2.0, "material": material},
        "defects": [{"kind": "hole", "center_mm": [x, y], "size_mm": d, "depth_mm": z}
                    for x, y, d, z in holes],
        "surface": {"marks": list(marks)},
        "camera": {"height": 48, "width": 64, "pixel_pitch_mm": 0.2, "n_frames": 100,
                   "frame_rate": fps, "netd_k": 0.02},
        "solver": {"nz": 12},
    })  # fmt: skip
    return run(spec)[0]


def test_an_emissivity_mark_is_not_a_defect_and_a_hole_in_steel_still_is():
    """A paint mark (emissivity +15 %) shines from the first frame and keeps its relative
    contrast; PCT, TSR, HOS and contrast called it before marks were recognised. A hole in
    steel at 400 Hz also shows from the first frames, but its contrast fades."""
    from thermodefect.detect.marks import surface_marks

    mark = {"center_mm": [6.0, 5.0], "size_mm": [2.5, 2.0], "emissivity": 1.15}
    marked = _marked("cfrp", marks=[mark])
    steel = _marked("steel", holes=[(9, 5, 3.0, 0.5)], fps=400.0)
    yy, xx = np.mgrid[:48, :64]
    at_mark = (yy - 25) ** 2 + (xx - 30) ** 2 <= 25  # 5 x 6 mm from the top-left, 0.2 mm px
    assert np.array_equal(surface_marks(at_mark, prepare(marked)), at_mark)
    assert not surface_marks(steel.mask, prepare(steel)).any()
    for method in METHODS:
        assert detect(marked, method).regions == [], method
    assert len(detect(steel, "pct").regions) == 1


def test_a_mark_is_still_a_mark_when_the_camera_clipped_the_first_frames():
    """A camera saturated by the flash holds its top count for the first frames, which after
    the pre-flash subtraction is a constant per pixel: no contrast. The mark's early contrast
    is read from the first frame the camera did not clip."""
    from thermodefect.detect.marks import surface_marks
    from thermodefect.preprocess import clipped_frames, detect_flash

    marked = _marked("cfrp", marks=[{"center_mm": [6.0, 5.0], "size_mm": [2.5, 2.0],
                                     "emissivity": 1.15}])  # fmt: skip
    flash = detect_flash(marked)
    top = float(np.percentile(marked.frames[flash + 5], 5))  # 95 % of the pixels clipped
    clipped = Sequence(np.minimum(marked.frames, top), marked.times, meta=marked.meta)
    assert clipped_frames(marked.frames, flash + 1) == 0
    assert clipped_frames(clipped.frames, flash + 1) >= 5
    prepared = prepare(clipped)
    assert prepared.meta.extra["clipped_frames"] == clipped_frames(clipped.frames, flash + 1)
    yy, xx = np.mgrid[:48, :64]
    at_mark = (yy - 25) ** 2 + (xx - 30) ** 2 <= 25
    assert np.array_equal(surface_marks(at_mark, prepared), at_mark)


def _blob(shape, centre, radius):
    y, x = np.mgrid[: shape[0], : shape[1]]
    return np.exp(-((y - centre[0]) ** 2 + (x - centre[1]) ** 2) / (2 * radius**2))


def test_a_defect_of_the_other_sign_is_kept_and_a_strong_defects_rim_is_not():
    """One image, unit noise: a bright defect of peak 40 with a dark rim of -8 around it, and
    a separate dark defect of -12 (a deeper row in a PCT component)."""
    from thermodefect.methods import max_z

    shape = (48, 96)
    image = np.random.default_rng(0).normal(0, 1, shape)
    image += 40 * _blob(shape, (24, 24), 3)
    image -= 8 * (_blob(shape, (24, 24), 7) - _blob(shape, (24, 24), 4)).clip(0) / 0.3
    image -= 12 * _blob(shape, (24, 72), 3)
    z = max_z([image])
    regions, n = ndimage.label(z >= 6)
    assert n == 2
    assert z[24, 72] >= 6 and z[24, 24] >= 20
    assert not (regions > 0)[24, 24 + 6]  # the rim, 8 sigma deep, is not a region
    flipped = max_z([-image])  # which sign dominates the image does not matter
    np.testing.assert_allclose(flipped, z)


def test_spread_frames_averages_log_spaced_windows_by_hand():
    from thermodefect.methods._backend import spread_frames

    frames = np.arange(10, dtype=np.float64)[:, None, None] * np.ones((1, 2, 3))
    means = [float(image[0, 0]) for image in spread_frames(frames, 12)]
    # window edges unique(int(geomspace(1, 11, 13)) - 1) = 0, 1, 2, 3, 5, 6, 8, 10
    assert means == [0.0, 1.0, 2.0, 3.5, 5.0, 6.5, 8.5]


@functools.cache
def _recorded(rate: float, frames: int) -> Sequence:
    """One 3 mm CFRP plate (L^2/a about 21 s) with a 20 um air delamination, at ``rate`` Hz."""
    spec = from_dict({
        "name": f"r{rate:.0f}",
        "plate": {"thickness_mm": 3.0, "material": "cfrp"},
        "defects": [{"kind": "insert", "center_mm": [20.0, 14.0], "size_mm": 6.0,
                     "depth_mm": 0.6, "material": "air", "thickness_mm": 0.02}],
        "camera": {"height": 64, "width": 96, "n_frames": frames, "frame_rate": rate,
                   "netd_k": 0.02},
        "solver": {"nz": 12},
    })  # fmt: skip
    return run(spec)[0]


@pytest.mark.parametrize("method", ["pct", "tsr", "contrast", "dac"])
def test_a_short_fast_record_and_a_long_slow_one_find_the_same_insert(method):
    """3.8 s at 130 Hz and 47 s at 10 Hz of one plate: each method's windows (all frames,
    log-spaced windows of frames) follow the record, so both find the insert and nothing
    else. (PCT outlines it within IoU 0.5 on both; on the long record the heating
    correction, fooled by the insert, takes part of its contrast from the others. PPT's 16
    lowest bins miss it on the long record: not yet handled.)"""
    from thermodefect.evaluate import pixel_scores

    for rate, frames in ((130.0, 500), (10.0, 470)):
        seq = _recorded(rate, frames)
        detection = detect(seq, method)
        assert len(detection.regions) == 1, (rate, method)
        iou = pixel_scores(detection.mask, seq.mask).iou
        assert iou >= (0.5 if method == "pct" else 0.2), (rate, method, iou)


def _decide(feature, faint, z_min):
    """The classical path's decision (surface marks aside) on a method's feature and faint
    evidence (:func:`thermodefect.methods.max_z_and_faint`), the faint regions included."""
    from thermodefect.detect.classical import MIN_AREA
    from thermodefect.detect.decision import faint_regions

    mask = gate(clean(decide(feature, z_min=z_min), min_area=MIN_AREA), feature, z_min)
    return mask | faint_regions(faint, feature, mask, z_min)


@pytest.mark.parametrize("blur_px", [0.0, 1.0, 1.5])
def test_noise_alone_makes_no_region_at_the_default_level_nor_at_z_4(blur_px):
    """Twenty stacks of six images (a PCT stack) of Gaussian noise, white or blurred: the
    opening and the area floor, not the level, keep noise out
    (docs/results.md#the-decision-level)."""
    from thermodefect.detect.decision import Z_MIN
    from thermodefect.methods import max_z_and_faint

    rng = np.random.default_rng(int(10 * blur_px))
    for _ in range(20):
        images = [ndimage.gaussian_filter(rng.normal(size=(96, 96)), blur_px) for _ in range(6)]
        feature, faint = max_z_and_faint(images)
        assert not _decide(feature, faint, Z_MIN).any()
        assert not _decide(feature, faint, 4.0).any()


def test_a_faint_disc_is_found_in_the_blurred_evidence_and_a_hot_spot_is_not():
    """A disc 2.5 sigma above white noise reaches z 5 in a pixel or two, which the opening
    removes; blurred by one pixel, the noise falls to about 0.28 sigma and the disc stands
    near z 9. A 2 x 2 spot at 30 sigma is not faint: the decision left it out for its size."""
    from thermodefect.detect.classical import MIN_AREA
    from thermodefect.detect.decision import Z_MIN, faint_regions
    from thermodefect.methods import FAINT_BLUR, max_z

    rng = np.random.default_rng(5)
    images = [rng.normal(size=(96, 96)) for _ in range(6)]
    yy, xx = np.mgrid[:96, :96]
    disc = (yy - 30) ** 2 + (xx - 60) ** 2 <= 36
    images[0][disc] += 2.5
    images[0][70:72, 20:22] += 30.0
    feature = max_z(images)
    mask = gate(clean(decide(feature, z_min=Z_MIN), min_area=MIN_AREA), feature, Z_MIN)
    assert not mask.any()
    found = faint_regions(max_z(images, blur=FAINT_BLUR), feature, mask, Z_MIN)
    assert (found & disc).sum() / (found | disc).sum() > 0.5
    assert not found[65:77, 15:27].any()
    assert feature[70:72, 20:22].max() > Z_MIN + 2  # the spot was strong, not faint
    assert np.nonzero(found.any(axis=1))[0].max() == 35
    faint = max_z(images, blur=FAINT_BLUR)
    kept = np.zeros_like(mask)
    kept[39:41, 60:62] = True  # a region the decision kept, 4 rows below the faint one
    assert not faint_regions(faint, feature, kept, Z_MIN).any()
    kept = np.roll(kept, 1, axis=0)  # 5 rows below: the faint region stands on its own
    assert (faint_regions(faint, feature, kept, Z_MIN) == found).all()


def test_a_strip_along_the_image_border_is_dropped_and_a_defect_the_border_cuts_is_kept():
    from thermodefect.detect.decision import drop_border_strips

    mask = np.zeros((40, 50), bool)
    mask[10:20, 47:50] = True  # 3 px wide along the right border
    mask[0:2, 5:30] = True  # 2 px along the top
    mask[25:35, 0:8] = True  # a defect cut by the left border, 8 px deep
    mask[15:22, 20:27] = True  # inside
    kept = drop_border_strips(mask)
    assert not kept[10:20, 47:50].any() and not kept[0:2, 5:30].any()
    np.testing.assert_array_equal(kept[25:35, 0:8], True)
    np.testing.assert_array_equal(kept[15:22, 20:27], True)
    assert kept.sum() == 10 * 8 + 7 * 7
    assert not drop_border_strips(np.zeros((5, 5), bool)).any()


def test_clean_opens_by_a_disc_fills_holes_and_floors_4_connected_regions_by_hand():
    mask = np.zeros((12, 14), bool)
    mask[1:6, 1:6] = True  # 25 pixels: the opening by the cross cuts its 4 corners
    mask[8:10, 1:3] = True  # 2 x 2: opened away
    expected = mask.copy()
    expected[8:10, 1:3] = False
    expected[[1, 1, 5, 5], [1, 5, 1, 5]] = False
    np.testing.assert_array_equal(clean(mask, min_area=9), expected)
    ring = np.zeros((9, 9), bool)
    ring[2:7, 2:7] = True
    ring[3:6, 3:6] = False  # a 16-pixel outline, filled to 25
    assert clean(ring, min_area=20, opening=0).sum() == 25
    corners = np.zeros((8, 8), bool)
    corners[1:4, 1:4] = corners[4:7, 4:7] = True  # two 3 x 3 blocks touching by a corner
    assert not clean(corners, min_area=10, opening=0).any()  # 4-connected: 9 pixels each
    np.testing.assert_array_equal(clean(corners, min_area=9, opening=0), corners)
