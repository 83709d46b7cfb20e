"""Depth of detected defects: each estimator against an analytic case, the simulator with a
known depth, and the settings a user can get wrong."""

from __future__ import annotations

import numpy as np
import pytest

from thermodefect.detect.depth import (
    blind_frequency,
    contrast_peak_time,
    depth_of_region,
    diffusivity_of,
    lateral_spread,
    normalised_peak_time,
    slope_peak_time,
    tsr_peak_time,
)
from thermodefect.errors import ThermodefectError
from thermodefect.sequence import Meta, Sequence
from thermodefect.simulate import (
    Boundary,
    Camera,
    Defect,
    Flash,
    Plate,
    SimulationSpec,
    surface_rise,
)
from thermodefect.simulate.analytic import parker_front
from thermodefect.simulate.materials import LIBRARY

A = 4e-7  # m^2/s


def test_over_a_wide_defect_the_second_log_derivative_peaks_at_z2_over_pi_a():
    """The material over a wide hole cools like a plate of its depth (Parker): the second
    log-derivative of T_defect / T_sound peaks at z^2 / (pi a) (1 % measured)."""
    z, thickness = 0.6e-3, 3e-3
    times = np.geomspace(0.02, 40.0, 800)
    defect, sound = parker_front(times, z, A), parker_front(times, thickness, A)
    assert tsr_peak_time(times, defect, sound) == pytest.approx(z**2 / (np.pi * A), rel=0.03)


def test_contrast_peaks_where_the_bump_is_and_an_edge_peak_gives_none():
    times = np.geomspace(0.05, 50.0, 500)
    sound = times**-0.5
    bump = 0.2 * np.exp(-((np.log(times / 2.0)) ** 2) / 0.5)
    # the contrast t^-1/2 bump peaks where -1/2 = 4 ln(t / 2): t = 2 exp(-1/8)
    peak = contrast_peak_time(times, sound * (1 + bump), sound)
    assert peak == pytest.approx(2.0 * np.exp(-1 / 8), rel=0.02)
    growing = sound * (1 + 0.1 * times / times[-1])  # contrast largest at the last frame
    assert contrast_peak_time(times, growing, sound) is None


def test_the_first_log_derivative_and_the_normalised_contrast_peak_where_the_bump_says():
    """ln(T_defect / T_sound) = ln(1 + 0.2 exp(-ln(t / 2)^2 / 0.5)), whatever the sound curve:
    it rises fastest at ln(t / 2) = -0.528 (g's inflection at -1/2, moved by the log of
    1 + g), and peaks at t = 2. Over a wide defect (Parker's plate against a thicker one) the ratio
    climbs to a plateau: no peak, no time (the calibration reads both on finite defects,
    where lateral diffusion makes the peaks)."""
    times = np.geomspace(0.01, 60.0, 1500)
    sound = parker_front(times, 4e-3, A)
    bump = 1 + 0.2 * np.exp(-((np.log(times / 2.0)) ** 2) / 0.5)
    assert slope_peak_time(times, sound * bump, sound) == pytest.approx(1.180, rel=0.03)
    assert normalised_peak_time(times, sound * bump, sound) == pytest.approx(2.0, rel=0.02)
    assert normalised_peak_time(times, parker_front(times, 1e-3, A), sound) is None


def test_blind_frequency_falls_as_the_defect_deepens_and_noise_alone_has_none():
    rate, n = 50.0, 2000
    times = (np.arange(n) + 1) / rate
    sound = parker_front(times, 4e-3, A)
    blinds = [blind_frequency(rate, parker_front(times, z, A), sound) for z in (0.5e-3, 1e-3)]
    assert blinds[0] is not None and blinds[1] is not None
    assert blinds[0] / blinds[1] == pytest.approx(4.0, rel=0.1)  # as 1 / z^2
    noise = np.random.default_rng(0).normal(0, 1e-3, n)
    assert blind_frequency(rate, sound + noise, sound) is None


def _hole_depth(n_frames: int, frame_rate: float | None = None):
    """The depth step on a hole of diameter 5 times its 0.9 mm depth in 3 mm CFRP, ideal
    camera; by default 500 frames over 1.5 z^2 / a."""
    plate = Plate(3.0, "cfrp", defects=(Defect("hole", 0.9, center_mm=(12, 12), size_mm=4.5),))
    a = plate.body_material().diffusivity("z")
    rate = frame_rate or (n_frames - 1) / (1.5 * 9e-6 / a)
    camera = Camera(height=48, width=48, pixel_pitch_mm=0.5, n_frames=n_frames,
                    preflash_frames=0, frame_rate=rate, ideal=True,
                    subtract_first_frame=False)  # fmt: skip
    rise, times, _ = surface_rise(
        SimulationSpec("d", plate, Flash(duration_s=0.0), Boundary(0, 0, 0), camera)
    )
    keep = times > 0
    seq = Sequence(np.ascontiguousarray(rise[keep]), times[keep],
                   meta=Meta(frame_rate=rate, pixel_pitch_mm=0.5))  # fmt: skip
    truth = plate.ground_truth((48, 48), 0.5)
    return depth_of_region(
        seq, truth, truth, truth.astype(float), a, thickness_mm=3.0, spread=lateral_spread("cfrp")
    )


def test_a_simulated_hole_has_its_depth_within_the_interval():
    found = _hole_depth(500)
    assert found.depth_mm == pytest.approx(0.9, rel=0.15)
    assert found.lo_mm <= 0.9 <= found.hi_mm
    assert {"tsr", "tsr1", "contrast", "normalised", "ppt", "learned"} <= set(found.estimates_mm)
    assert found.shallower_mm is None


def test_a_hole_too_shallow_for_a_slow_record_gets_a_bound_not_a_wrong_depth():
    """At 2 Hz the hole's contrast (peak near 1.3 s) is past its peak when the log-time curves
    start (the fifth frame, 2.5 s): every time read later belongs to another event, which
    read 1.5-3 times the depth before the bound replaced it."""
    found = _hole_depth(100, frame_rate=2.0)
    assert found.depth_mm is None and found.estimates_mm == {}
    assert found.methods == "shallow"
    assert 0.9 < found.shallower_mm < 2.0


def _bump_record(rate: float) -> Sequence:
    """20 x 20 pixels of t^-1/2 cooling from 1 / rate s on; over a 6 x 6 square, ln(defect /
    sound) = 0.2 exp(-ln(t / 2)^2 / 2), whose second log-derivative peaks at 2 e^-sqrt(3) =
    0.35 s (the defect showing) and again at 2 e^sqrt(3) = 11.3 s (its decline flattening),
    while the contrast peaks near 1.8 s."""
    times = (np.arange(int(40 * rate)) + 1) / rate
    sound = times**-0.5
    frames = np.repeat(sound[:, None, None], 20, axis=1).repeat(20, axis=2)
    frames[:, 7:13, 7:13] *= np.exp(0.2 * np.exp(-(np.log(times / 2) ** 2) / 2))[:, None, None]
    return Sequence(frames.astype(np.float32), times, meta=Meta(frame_rate=rate))


def test_tsr_is_dropped_when_it_reads_the_later_peak_of_a_record_that_starts_too_late():
    region = np.zeros((20, 20), bool)
    region[7:13, 7:13] = True
    fast = depth_of_region(_bump_record(100.0), region, region, region.astype(float), A)
    assert fast.times_s["tsr"] == pytest.approx(2 * np.exp(-np.sqrt(3)), rel=0.1)
    assert fast.times_s["tsr"] < fast.times_s["contrast"]
    slow = depth_of_region(_bump_record(10.0), region, region, region.astype(float), A)
    assert "tsr" not in slow.times_s and "contrast" in slow.times_s  # read 11 s, after it


def test_diffusivity_comes_from_the_value_or_the_material_and_nonsense_is_refused():
    assert diffusivity_of(diffusivity=1e-6) == 1e-6
    assert diffusivity_of("aluminium") == pytest.approx(LIBRARY["aluminium"].diffusivity("z"))
    assert diffusivity_of() is None
    with pytest.raises(ThermodefectError, match="diffusivity must be positive"):
        diffusivity_of(diffusivity=-1e-7)
    with pytest.raises(ThermodefectError):
        diffusivity_of("unobtainium")


def test_detect_writes_depth_columns_given_the_material_and_refuses_bad_settings(tmp_path, capsys):
    import csv
    import json

    from PIL import Image

    from thermodefect.cli import main

    data = tmp_path / "data"
    assert main(["--quiet", "simulate", str(data), "--preset", "cfrp-fbh", "--n", "1"]) == 0
    spec = json.loads((data / "cfrp_fbh_0.json").read_text())
    material = spec["plate"]["material"]
    files = sorted(str(p) for p in data.glob("*.mat"))
    out = tmp_path / "found"
    thickness = str(spec["plate"]["thickness_mm"])
    assert main(["--quiet", "detect", *files, "--out", str(out), "--material", material,
                 "--thickness", thickness]) == 0  # fmt: skip
    rows = list(csv.DictReader((out / "cfrp_fbh_0_defects.csv").open()))
    assert rows and all(k in rows[0] for k in ("depth_mm", "depth_lo_mm", "depth_hi_mm",
                                               "early_diameter_mm"))  # fmt: skip
    assert all(0 < float(r["early_diameter_mm"]) < 2 * float(r["diameter_mm"]) for r in rows)
    redrawn = 0
    for r in rows:  # the halo correction: outline and early diameters' geometric mean
        outline, early = float(r["diameter_mm"]), float(r["early_diameter_mm"])
        corrected = float(r["corrected_diameter_mm"])
        if corrected == pytest.approx(outline, rel=1e-4):  # PCT's: drawn at that size
            redrawn += 1
        else:  # the network's additions keep their outline
            assert corrected == pytest.approx(np.sqrt(outline * early), rel=1e-4)
    assert redrawn >= len(rows) // 2
    depth_map = np.load(out / "cfrp_fbh_0_depth.npy")
    mask = np.asarray(Image.open(out / "cfrp_fbh_0_mask.png")) > 0
    assert depth_map.shape == mask.shape and not np.isfinite(depth_map[~mask]).any()
    plate = np.load(out / "cfrp_fbh_0_thickness.npy")
    assert not np.isfinite(plate[mask]).any()
    assert np.nanmedian(plate) == pytest.approx(spec["plate"]["thickness_mm"], rel=0.15)
    mapped = depth_map[np.isfinite(depth_map)]
    assert mapped.size and mapped.min() > 0 and mapped.max() < spec["plate"]["thickness_mm"]
    assert Image.open(out / "cfrp_fbh_0_depth.png").size[0] > 300
    # the shallowest row of holes (0.5 mm) peaks before this 3.4 Hz record resolves: bounds
    shallow = [row for row in rows if row["depth_method"] == "shallow"]
    depths = [float(row["depth_mm"]) for row in rows if row["depth_mm"]]
    assert len(depths) + len(shallow) >= len(rows) // 2 and depths and shallow
    for row in rows:
        if row["depth_mm"]:
            assert float(row["depth_lo_mm"]) <= float(row["depth_mm"]) <= float(row["depth_hi_mm"])
            assert 0 < float(row["depth_mm"]) < spec["plate"]["thickness_mm"]
    for row in shallow:
        assert not row["depth_mm"] and 0.5 < float(row["depth_hi_mm"]) < 2.0
    alone = tmp_path / "alone"
    assert main(["--quiet", "depth", files[0], "--out", str(alone), "--material", material,
                 "--thickness", thickness]) == 0  # fmt: skip
    assert sorted(p.name for p in alone.iterdir()) == [
        f"cfrp_fbh_0_{s}"
        for s in ("defects.csv", "defects.json", "depth.npy", "depth.png", "run.json",
                  "thickness.npy", "thickness.png")
    ]  # fmt: skip
    np.testing.assert_array_equal(np.load(alone / "cfrp_fbh_0_depth.npy"), depth_map)
    assert main(["depth", files[0], "--out", str(tmp_path / "none")]) == 2
    assert "depth needs the plate's --material" in capsys.readouterr().err
    assert not (tmp_path / "none").exists()
    bench = tmp_path / "bench"
    assert main(["--quiet", "benchmark", str(data), "--split", "all", "--methods", "pct",
                 "--out", str(bench)]) == 0  # fmt: skip
    row = next(csv.DictReader((bench / "results.csv").open()))
    assert np.isfinite(float(row["depth error"]))  # its accuracy: benchmarks/depth_errors.py
    table = (bench / "results.md").read_text().split("## Depth and size")[1]
    assert "### pct:" in table and "| combined |" in table and "| early diameter |" in table
    assert Image.open(bench / "depth.png").size[0] > 300
    bad = tmp_path / "bad"
    with pytest.raises(SystemExit) as stop:
        main(["detect", files[0], "--out", str(bad), "--diffusivity=-1e-7"])
    assert stop.value.code == 2 and "positive" in capsys.readouterr().err and not bad.exists()
    assert main(["detect", files[0], "--out", str(bad), "--material", material,
                 "--thickness", "0.01"]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert "deeper than the plate's thickness of 0.01 mm" in err and "cfrp_fbh_0" in err


def test_the_back_wall_gives_the_diffusivity_and_a_short_record_is_refused():
    """Parker's plate with 1 % noise per pixel: a = L^2 / (pi t) at the second log-derivative's
    peak, within 3 % (2 % measured); a record of 0.2 L^2 / a ends before the back wall."""
    from thermodefect.detect.depth import back_wall_diffusivity

    def plate(rate, n):
        t = (np.arange(n) + 1) / rate
        curve = parker_front(t, 2e-3, A)
        frames = np.repeat(np.repeat(curve[:, None, None], 16, 1), 16, 2).astype(np.float32)
        noise = np.random.default_rng(0).normal(0, 0.01 * curve[-1], frames.shape)
        return Sequence(np.ascontiguousarray(frames + noise.astype(np.float32)), t,
                        meta=Meta(frame_rate=rate, source="p.npy"))  # fmt: skip

    none = np.zeros((16, 16), bool)
    assert back_wall_diffusivity(plate(20.0, 400), none, 2.0) == pytest.approx(A, rel=0.03)
    with pytest.raises(ThermodefectError, match="back wall of a 2 mm plate does not show"):
        back_wall_diffusivity(plate(20.0, 40), none, 2.0)


def test_the_benchmark_depth_table_bins_each_estimate_by_diameter_over_depth():
    """Hand-computed: two defects at d/z 1 and 5; errors, medians, coverage and the table."""
    from thermodefect.benchmark.depth import DepthHit, coverage, depth_markdown, errors

    shallow = DepthHit(1.0, 5.0, {"tsr": 1.2, "contrast": 0.9, "combined": 1.05},
                       (0.9, 1.2), 4.0, 1.5)  # fmt: skip
    deep = DepthHit(2.0, 2.0, {"ppt": 3.0}, None, None, None)
    assert (shallow.ratio, deep.ratio) == (5.0, 1.0)
    assert shallow.error("tsr") == pytest.approx(0.2)
    assert shallow.error("early diameter") == pytest.approx(-0.2)
    assert shallow.error("outline diameter") == pytest.approx(0.5)
    assert shallow.error("corrected diameter") == pytest.approx(np.sqrt(7.5 * 4.0) / 5 - 1)
    assert deep.error("combined") is None and deep.error("outline diameter") is None
    np.testing.assert_allclose(errors([shallow, deep], "ppt"), [0.5])
    np.testing.assert_allclose(errors([shallow, deep], "tsr", 4.0, 8.0), [0.2])
    assert errors([shallow, deep], "tsr", 0.0, 2.0).size == 0
    assert coverage([shallow, deep]) == (1, 1)
    text = depth_markdown({"pct": {"depth_hits": [shallow, deep]}, "tsr": {"depth_hits": []}})
    assert "### pct: 2 defects found" in text and "### tsr" not in text
    rows = {line.split(" | ")[0].strip("| "): line for line in text.splitlines() if "|" in line}
    assert rows["tsr"].startswith("| tsr | 1/2 | 0.20, 0.20 (1) | - | - | 0.20, 0.20 (1) | - |")
    assert rows["combined"].startswith("| combined | 1/2 | 0.05, 0.05 (1) |")
    assert "inside the reported interval: 1/1 (100%)" in text
    assert depth_markdown({"pct": {"depth_hits": []}}) == ""


def test_first_peaks_finds_the_earliest_tall_enough_maximum_per_column():
    from thermodefect.detect.log_time import first_peaks

    rise = np.zeros((40, 3))
    rise[10, 0], rise[25, 0] = 0.5, 1.0  # a shoulder at half the peak, then the peak
    rise[30, 1] = 1.0
    rise[:, 2] = -1.0  # nothing positive
    np.testing.assert_array_equal(first_peaks(rise), [10, 30, -1])
    np.testing.assert_array_equal(first_peaks(rise, share=1.0), [25, 30, -1])


def test_thickness_map_reads_a_plate_thinned_over_its_left_third():
    """3 mm CFRP whose left third is 1.5 mm thick (a flat-bottom hole wider than the view's
    height), ideal camera over 2 L^2/a: the map's median reads each thickness within 5 %
    away from the step (measured 1.46 and 2.96 mm); nothing is read over the regions left
    out."""
    from thermodefect.detect import prepare
    from thermodefect.detect.thickness import thickness_map
    from thermodefect.simulate import from_dict, run

    a = LIBRARY["cfrp"].diffusivity("z")
    spec = from_dict({
        "name": "thinned", "plate": {"thickness_mm": 3.0, "material": "cfrp"},
        "defects": [{"kind": "hole", "center_mm": [5.0, 10.0], "size_mm": [10.0, 40.0],
                     "shape": "rectangle", "depth_mm": 1.5}],
        "camera": {"height": 24, "width": 60, "pixel_pitch_mm": 0.5, "n_frames": 200,
                   "frame_rate": 199 / (2.0 * 9e-6 / a), "ideal": True},
    })  # fmt: skip
    seq, _ = run(spec)
    regions = np.zeros(seq.image_shape, bool)
    regions[:, 55:] = True
    plate = thickness_map(prepare(seq, heating=False), regions, a)
    assert np.nanmedian(plate[:, :14]) == pytest.approx(1.5, rel=0.05)
    assert np.nanmedian(plate[:, 30:50]) == pytest.approx(3.0, rel=0.05)
    assert not np.isfinite(plate[:, 52:]).any()


def test_a_network_detection_reads_its_depths_from_every_frame_and_keeps_its_own():
    """A network's detection holds the 16 frames it read; the depth step prepares the whole
    cooling instead and hands back the detection with its own frames."""
    from dataclasses import replace

    from thermodefect.detect import prepare
    from thermodefect.detect.depth import depth_cooling, with_depth
    from thermodefect.detect.model import detect_with_model, load_model

    from .conftest import simulated_plate

    seq = simulated_plate([(20, 30, 12, 0.5)], n_frames=80)
    found = detect_with_model(seq, load_model(None), fallback=None, confirm=None)
    full = depth_cooling(seq, found)
    assert found.cooling.n_frames == 16 and full.n_frames == prepare(seq).n_frames
    deep = with_depth(found, LIBRARY["cfrp"].diffusivity("z"), cooling=full)
    assert deep.cooling is found.cooling and deep.depth is not None
    classical = prepare(seq)
    assert depth_cooling(seq, replace(found, cooling=classical)) is classical


def test_depth_refuses_absolute_temperatures_with_no_preflash_frame(tmp_path, capsys):
    """Kelvin with no frame before the flash: the offset would bend every log-derivative, so
    the file is refused in one line and nothing of it is written."""
    from thermodefect.cli import main
    from thermodefect.simulate import Boundary, Camera, Flash, Plate, SimulationSpec, run

    camera = Camera(height=16, width=16, n_frames=40, frame_rate=4.0, preflash_frames=0,
                    ideal=True, subtract_first_frame=False)  # fmt: skip
    seq, _ = run(SimulationSpec("kelvin", Plate(2.0, "cfrp"), Flash(), Boundary(), camera))
    assert seq.frames.min() > 290  # absolute kelvin
    np.save(tmp_path / "kelvin.npy", seq.frames)
    out = tmp_path / "out"
    code = main(["detect", str(tmp_path / "kelvin.npy"), "--frame-rate", "4", "--material",
                 "cfrp", "--out", str(out)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "kelvin.npy" in err and "depth needs the temperature rise" in err
    assert not list(out.glob("kelvin*"))
