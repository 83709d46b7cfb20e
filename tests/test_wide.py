"""The randomised generator (``wide``), its families, and the axes it draws."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from thermodefect import ThermodefectError
from thermodefect.cli import main
from thermodefect.simulate import Camera, Defect, Mark, Plate, Surface, from_dict, material, run
from thermodefect.simulate.materials import porous
from thermodefect.simulate.presets import PRESETS
from thermodefect.simulate.solver import Flash
from thermodefect.simulate.specimen import check_coexistence, inside_polygon
from thermodefect.simulate.wide import FAMILIES, METALS, family_of, wide


def _draws(family: str, n: int = 24):
    return [wide(np.random.default_rng([11, i]), f"w_{i:04d}", family) for i in range(n)]


def test_same_seed_draws_the_same_spec_and_every_family_in_turn():
    a = PRESETS["wide"](np.random.default_rng([3, 7]), "wide_0007")
    b = PRESETS["wide"](np.random.default_rng([3, 7]), "wide_0007")
    assert json.dumps(a.to_dict()) == json.dumps(b.to_dict())
    assert a.family == family_of(7) == FAMILIES[7]
    assert [family_of(i) for i in range(len(FAMILIES))] == list(FAMILIES)
    again = from_dict(json.loads(json.dumps(a.to_dict())))  # the JSON holds every draw
    assert json.dumps(again.to_dict()) == json.dumps(a.to_dict())


def test_every_draw_stays_in_its_documented_range():
    for family in FAMILIES:
        for spec in _draws(family):
            cam, body = spec.camera, spec.plate.body_material()
            assert 50 <= cam.n_frames <= 2000 and 10 <= cam.frame_rate <= 500
            assert 0 <= cam.preflash_frames <= 30 and cam.bits in (8, 14, 16)
            assert 0.002 <= spec.flash.duration_s <= 0.02
            assert 1 <= spec.plate.thickness_mm <= 8
            assert body.k_x / body.k_y <= 20.001
            assert cam.netd_k <= 0.1
            check_coexistence(spec.plate, cam.shape, cam.pixel_pitch_mm)
            assert spec.family == family


def test_each_family_pushes_its_own_axes():
    metal = _draws("metal")
    assert all(s.plate.body_material().name in METALS for s in metal)
    assert all(3 <= s.plate.thickness_mm <= 8 for s in metal)
    assert all(1 <= s.plate.thickness_mm <= 2 for s in _draws("thin"))
    assert all(s.solver.method == "fe" for s in _draws("fe"))
    assert all(not s.plate.defects for s in _draws("sound"))
    inserts = [d for s in _draws("inserts") for d in s.plate.defects]
    assert {d.kind for d in inserts} == {"insert"}
    assert {d.material for d in inserts} == {"air", "ptfe", "resin", "kapton"}
    assert all(0.01 <= d.thickness_mm <= 0.3 for d in inserts)
    holes = [d for s in _draws("holes") for d in s.plate.defects]
    assert {d.shape for d in holes} == {"circle", "square", "rectangle", "ellipse", "polygon"}
    impacts = [s for s in _draws("impact") if s.plate.defects]
    stacks = [[d for d in s.plate.defects if d.shape == "polygon"] for s in impacts]
    stacks = [stack for stack in stacks if stack]
    assert len(stacks) == len(impacts) and all(len(stack) >= 3 for stack in stacks)
    for stack in stacks:  # deeper delaminations are larger
        areas = [np.ptp(np.array(d.points_mm), axis=0).prod() for d in stack]
        assert np.all(np.diff([d.depth_mm for d in stack]) > 0) and areas[-1] > areas[0]
    assert any(d.kind == "porosity" for s in impacts for d in s.plate.defects)
    heating = _draws("heating")
    assert all(s.flash.profile != "uniform" and s.flash.nonuniformity >= 0.2 for s in heating)
    assert any(s.surface.marks for s in heating) and any(s.surface.reflection_k for s in heating)
    assert any(s.plate.size_mm is not None for s in heating)
    camera = _draws("camera")
    assert any(s.camera.bits == 8 for s in camera)
    assert any(s.camera.output == "counts" for s in camera)
    netd = {f: np.mean([s.camera.netd_k for s in _draws(f)]) for f in ("camera", "holes")}
    assert netd["camera"] > 2 * netd["holes"]
    # one plate in four of a defect family is sound, so every kind of plate is sound somewhere
    specs = [wide(np.random.default_rng([11, i]), f"w_{i:04d}") for i in range(72)]
    assert sum(not s.plate.defects for s in specs) >= 72 // 9 + 7 * 2


def test_an_unknown_family_is_refused():
    with pytest.raises(ThermodefectError, match="unknown family 'bricks'"):
        wide(np.random.default_rng(0), "w_0000", "bricks")


def _base(**changes):
    """A small plate with one hole, every camera artefact off, quantisation included."""
    doc = {
        "name": "axis",
        "seed": 5,
        "plate": {"thickness_mm": 2.0, "material": "cfrp"},
        "defects": [{"kind": "hole", "center_mm": [6, 6], "size_mm": 4, "depth_mm": 0.6}],
        "camera": {
            "height": 24, "width": 24, "n_frames": 30, "frame_rate": 10.0, "preflash_frames": 2,
            "blur_px": 0, "netd_k": 0, "offset_k": 0, "gain": 0, "dead_pixels": 0,
            "hot_pixels": 0, "emissivity_variation": 0, "drift_k": 0,
        },
        "solver": {"nz": 8},
    }  # fmt: skip
    for section, values in changes.items():
        if isinstance(values, dict):
            doc[section] = {**doc.get(section, {}), **values}
        else:
            doc[section] = values
    return from_dict(doc)


AXES = {
    "anisotropy": {"plate": {"material": {"k_x": 8.0, "k_y": 0.4, "k_z": 0.6,
                                          "density": 1560, "heat_capacity": 1000}}},
    "thickness": {"plate": {"thickness_mm": 1.2}},
    "rectangle": {"defects": [{"kind": "hole", "center_mm": [6, 6], "size_mm": [6, 2],
                               "shape": "rectangle", "depth_mm": 0.6}]},
    "polygon": {"defects": [{"kind": "hole", "center_mm": [6, 6], "shape": "polygon",
                             "points_mm": [[-2, -2], [3, 0], [0, 3]], "depth_mm": 0.6}]},
    "insert material": {"defects": [{"kind": "insert", "center_mm": [6, 6], "size_mm": 4,
                                     "depth_mm": 0.6, "material": "kapton",
                                     "thickness_mm": 0.05}]},
    "porosity": {"defects": [{"kind": "porosity", "center_mm": [6, 6], "size_mm": 4,
                              "depth_mm": 0.3, "thickness_mm": 0.6, "porosity": 0.2}]},
    "sound": {"defects": []},
    "frame rate": {"camera": {"frame_rate": 20.0}},
    "frames": {"camera": {"n_frames": 40}},
    "pre-flash frames": {"camera": {"preflash_frames": 5}},
    "pulse length": {"flash": {"duration_s": 0.02}},
    "pulse shape": {"flash": {"duration_s": 0.02, "pulse": [0.2, 1.0, 0.5, 0.2, 0.05]}},
    "bits": {"camera": {"bits": 8, "count_k": 0.1, "floor_k": 2.0}},
    "raw counts": {"camera": {"output": "counts"}},
    "planck response": {"camera": {"response": "planck", "count_k": 0.02}},
    "gradient": {"flash": {"profile": "gradient", "nonuniformity": 0.5}},
    "off-centre lamp": {"flash": {"profile": "gaussian", "center": [0.1, 0.8]}},
    "several lamps": {"flash": {"profile": "lamps", "lamps": [[0.1, 0.1], [0.9, 0.5]]}},
    "plate edges": {"plate": {"thickness_mm": 2.0, "size_mm": [9, 10]}},
    "ply texture": {"surface": {"texture": 0.03, "texture_period_mm": 3.0}},
    "texture conductivity": {"surface": {"texture_k": 0.5, "texture_period_mm": 4.0}},
    "emissivity mark": {"surface": {"marks": [{"center_mm": [8, 4], "size_mm": [3, 2]}]}},
    "reflection": {"surface": {"reflection_k": 0.3}},
    "netd": {"camera": {"netd_k": 0.05}},
    "fixed pattern": {"camera": {"offset_k": 0.1, "gain": 0.02}},
    "stripes": {"camera": {"stripes_k": 0.05}},
    "row noise": {"camera": {"row_noise_k": 0.05}},
    "interlace": {"camera": {"interlace_k": 0.05}},
    "vignetting": {"camera": {"vignetting": 0.3}},
    "bad pixels": {"camera": {"dead_pixels": 3, "hot_pixels": 2, "bad_clusters": 2}},
    "blur": {"camera": {"blur_px": 1.0}},
    "drift": {"camera": {"drift_k": 0.2}},
    "motion": {"camera": {"motion_px": 0.5}},
    "mesh texture": {"camera": {"mesh_k": 0.05}},
    "fe solver": {"solver": {"nz": 8, "method": "fe"}},
}  # fmt: skip


@pytest.fixture(scope="module")
def base_frames():
    return run(_base())[0].frames


@pytest.mark.parametrize("axis", list(AXES))
def test_each_axis_changes_the_output(axis, base_frames):
    frames = run(_base(**AXES[axis]))[0].frames
    assert frames.shape != base_frames.shape or np.abs(frames - base_frames).max() > 1e-3


def test_polygon_rectangle_and_coexistence_by_hand():
    triangle = np.array([[0, 0], [4, 0], [0, 4]], float)
    x, y = np.array([1.0, 3.0, 1.0, -0.5]), np.array([1.0, 3.0, 2.5, 1.0])
    np.testing.assert_array_equal(inside_polygon(x, y, triangle), [True, False, True, False])
    rect = Defect("hole", 1.0, (5, 5), (6, 2), shape="rectangle")
    foot = rect.footprint((10, 10), 1.0)
    assert foot.sum() == 6 * 2 and foot[4:6, 2:8].all()
    hole = Defect("hole", 1.0, (5, 5), 4)
    deeper_insert = Defect("insert", 1.5, (6, 5), 4)
    with pytest.raises(ThermodefectError, match=r"defects\[1\] lies in the material removed"):
        check_coexistence(Plate(3.0, defects=(hole, deeper_insert)), (10, 10), 1.0)
    stacked = (Defect("insert", 1.0, (5, 5), 4, thickness_mm=0.3), Defect("insert", 1.2, (5, 5), 6))
    with pytest.raises(ThermodefectError, match="overlap in the same volume"):
        check_coexistence(Plate(3.0, defects=stacked), (10, 10), 1.0)
    apart = (stacked[0], replace(stacked[1], depth_mm=1.4))
    check_coexistence(Plate(3.0, defects=apart), (10, 10), 1.0)  # an impact's stack
    check_coexistence(Plate(3.0, defects=(hole, Defect("hole", 2.0, (6, 5), 4))), (10, 10), 1.0)
    with pytest.raises(ThermodefectError, match="reaches the back face"):
        Plate(2.0, defects=(Defect("insert", 1.8, (5, 5), 4, thickness_mm=0.3),))


def test_porous_material_follows_maxwell_eucken():
    body = material("cfrp")
    holey = porous(body, 0.2)
    assert holey.k_z == pytest.approx(0.65 * 2 * 0.8 / 2.2)
    assert holey.rho_c == pytest.approx(body.rho_c * 0.8)
    frames = run(_base(**AXES["porosity"]))[0].frames
    late = frames[-1]
    assert late[10:14, 10:14].mean() > late[-4:, -4:].mean()  # heat held above the pores


def test_lamps_flash_and_surface_maps():
    lamps = Flash(profile="lamps", lamps=((0.1, 0.1), (0.9, 0.9)), nonuniformity=0.9)
    p = lamps.pattern((40, 40))
    assert p.mean() == pytest.approx(6000.0)
    assert p[4, 4] > p[20, 20] and p[36, 36] > p[20, 20]
    with pytest.raises(ThermodefectError, match="lamps go with profile 'lamps'"):
        Flash(profile="lamps")
    surface = Surface(marks=(Mark((5, 5), (4, 4), 1.2),), reflection_k=0.5, reflection_fade_s=0.1)
    e = surface.emissivity((20, 20), 0.5)
    assert e[10, 10] == pytest.approx(1.2) and e[0, 0] == pytest.approx(1.0)
    glare = surface.reflection(np.array([0.1, 0.2]), (20, 20))
    assert glare[1].max() / glare[0].max() == pytest.approx(np.exp(-1), rel=1e-5)
    textured = Surface(texture=0.04, texture_k=0.3)
    assert np.abs(textured.emissivity((40, 40), 0.25) - 1).max() == pytest.approx(0.04, rel=0.05)
    with pytest.raises(ThermodefectError, match="texture_k in"):
        Surface(texture_k=0.95)
    with pytest.raises(ThermodefectError, match="FE solver does not model a ply texture"):
        run(_base(surface={"texture_k": 0.2}, solver={"nz": 8, "method": "fe"}))


def test_counts_through_the_lookup_table_and_raw():
    rise = np.linspace(0, 5, 10 * 8 * 8, dtype=np.float32).reshape(10, 8, 8)
    quiet = dict(blur_px=0, netd_k=0, offset_k=0, gain=0, dead_pixels=0, hot_pixels=0,
                 emissivity_variation=0, drift_k=0, height=8, width=8, n_frames=12,
                 preflash_frames=2, subtract_first_frame=False, count_k=0.01)  # fmt: skip
    for response in ("linear", "planck"):
        kelvin = Camera(**quiet, response=response).record(rise, np.random.default_rng(0))
        np.testing.assert_allclose(kelvin[2:] - 293.15, rise, atol=0.006)  # half a count
        counts = Camera(**quiet, response=response, output="counts").record(
            rise, np.random.default_rng(0)
        )
        assert np.all(counts == np.round(counts)) and np.all(np.diff(counts[2:].ravel()) >= 0)
        step = counts[2:].max() - counts[2:].min()
        if response == "linear":
            assert step == pytest.approx(500, abs=1)
        else:  # radiance grows faster than temperature: more counts per kelvin above ambient
            assert step > 520
    with pytest.raises(ThermodefectError, match="output 'counts' needs count_k > 0"):
        Camera(output="counts", count_k=0)


def test_bad_specs_exit_2_and_write_nothing(tmp_path, capsys):
    overlapping = {
        "name": "bad", "plate": {"thickness_mm": 3.0},
        "defects": [{"kind": "hole", "center_mm": [5, 5], "size_mm": 4, "depth_mm": 1.0},
                    {"kind": "insert", "center_mm": [6, 5], "size_mm": 4, "depth_mm": 2.0}],
    }  # fmt: skip
    cases = {
        "overlap.json": (overlapping, "lies in the material removed by the hole"),
        "thin.json": ({"name": "b", "plate": {"thickness_mm": -1}}, "must be positive"),
        "deep.json": (
            {
                "name": "b",
                "plate": {"thickness_mm": 2},
                "defects": [{"kind": "hole", "center_mm": [5, 5], "size_mm": 4, "depth_mm": 2.5}],
            },
            "is not inside the 2 mm plate",
        ),
        "family.json": ({"name": "b", "plate": {"thickness_mm": 2}, "famly": "x"}, "famly"),
    }
    for name, (doc, message) in cases.items():
        (tmp_path / name).write_text(json.dumps(doc))
        out = tmp_path / f"out_{name}"
        assert main(["simulate", str(out), "--spec", str(tmp_path / name)]) == 2
        err = capsys.readouterr().err
        assert message in err and name in err and err.count("\n") == 1
        assert not out.exists()
    with pytest.raises(SystemExit) as stop:
        main(["simulate", str(tmp_path / "o"), "--preset", "wide-bricks", "--n", "1"])
    assert stop.value.code == 2 and "invalid choice: 'wide-bricks'" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_same_spec_same_bytes_with_every_new_axis_on():
    every = {
        "surface": {"texture": 0.03, "texture_k": 0.2, "reflection_k": 0.2,
                    "marks": [{"center_mm": [8, 4], "size_mm": [3, 2]}]},
        "flash": {"profile": "lamps", "lamps": [[0.1, 0.1], [0.9, 0.5]],
                  "pulse": [0.2, 1.0, 0.3], "duration_s": 0.01},
        "camera": {"output": "counts", "response": "planck", "bits": 14, "netd_k": 0.05,
                   "motion_px": 0.3, "bad_clusters": 2, "mesh_k": 0.02},
        "defects": [{"kind": "porosity", "center_mm": [6, 6], "size_mm": 4, "depth_mm": 0.3,
                     "thickness_mm": 0.6, "porosity": 0.2}],
    }  # fmt: skip
    a, truth_a = run(_base(**every))
    b, truth_b = run(_base(**every))
    assert a.frames.tobytes() == b.frames.tobytes() and truth_a == truth_b
    assert a.meta.units == "counts"
