"""A classical method and a network together: which of the network's regions are added."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from thermodefect.detect.combined import (
    EDGE_CLEARANCE,
    FAINT_CONFIRM,
    FOUND_CLEARANCE,
    detect_combined,
    network_additions,
)
from thermodefect.detect.model import Z_CONFIRM

from .conftest import simulated_plate


def _box(shape, r0, r1, c0, c1):
    out = np.zeros(shape, bool)
    out[r0:r1, c0:c1] = True
    return out


def test_network_regions_are_added_where_the_method_missed_them_and_its_evidence_confirms():
    shape = (60, 60)
    found = _box(shape, 10, 16, 10, 16)
    feature = np.zeros(shape)
    touching = _box(shape, 14, 20, 14, 20)  # overlaps what the method found
    weak = _box(shape, 30, 36, 10, 16)  # the method's evidence stays under Z_CONFIRM
    confirmed = _box(shape, 30, 36, 30, 36)
    strip = _box(shape, 54, 59, 10, 50)  # 2-6 px from the bottom border, evidence 8
    feature[touching] = feature[confirmed] = Z_CONFIRM + 0.5
    feature[weak] = Z_CONFIRM - 0.5
    feature[strip] = 8.0
    added = network_additions(touching | weak | confirmed | strip, found, feature)
    np.testing.assert_array_equal(added, confirmed)
    # 2 px further in, 3 of its 5 rows lie within the clearance; 8 px further in, none does.
    assert not network_additions(np.roll(strip, -2, 0), found, np.roll(feature, -2, 0)).any()
    assert network_additions(np.roll(strip, -8, 0), found, np.roll(feature, -8, 0)).any()
    assert network_additions(weak, found, feature, confirm=Z_CONFIRM - 1).any()
    # One pixel at z 4.5 in a region whose evidence blurred by a pixel stays under 3 is noise.
    faint = np.where(confirmed, FAINT_CONFIRM - 0.5, 0.0)
    assert not network_additions(confirmed, found, feature, faint).any()
    faint[32, 32] = FAINT_CONFIRM
    np.testing.assert_array_equal(network_additions(confirmed, found, feature, faint), confirmed)


def test_the_plates_edge_inside_the_view_counts_as_its_boundary():
    shape = (60, 60)
    plate = _box(shape, 5, 55, 5, 55)
    band = _box(shape, 7, 11, 15, 45)  # 2-5 px inside the plate's top edge
    feature = np.where(band, 8.0, 0.0)
    nothing = np.zeros(shape, bool)
    assert network_additions(band, nothing, feature).any()  # 7 px from the image border
    assert not network_additions(band, nothing, feature, plate=plate).any()
    assert EDGE_CLEARANCE == 6


class _Heard:
    """What detect_with_model answers: one network mask, or its out-of-distribution reason."""

    def __init__(self, mask, reason=None):
        self.mask, self.reason = mask, reason

    def __call__(self, seq, ckpt, **kwargs):
        from thermodefect.detect.regions import Detection

        assert kwargs["confirm"] is None and kwargs["fallback"] is None
        assert kwargs["plate_checked"]  # the method's out-of-distribution test stands
        return Detection("model:fake", self.mask.astype(np.float32), self.mask, [], seq,
                         out_of_distribution=self.reason)  # fmt: skip


def test_the_combined_detection_keeps_the_methods_regions_and_adds_the_networks(monkeypatch):
    import thermodefect.detect.model as model
    from thermodefect.detect import detect, prepare

    seq = simulated_plate([(15, 15, 7, 0.3), (45, 45, 8, 0.6)], shape=(60, 60))
    prepared = prepare(seq)
    alone = detect(seq, "pct", prepared=prepared)
    assert len(alone.regions) == 2
    missed = alone.mask.copy()
    missed[:, 30:] = False  # as if the method had found the first hole only
    faint = np.full(missed.shape, 5.0)
    monkeypatch.setattr("thermodefect.detect.classical.detect_and_faint",
                        lambda s, m, **kw: (replace(alone, mask=missed), faint))  # fmt: skip
    net = np.zeros(seq.frames.shape[1:], bool)
    net[40:51, 40:51] = True  # the second hole, drawn wider by the network
    monkeypatch.setattr(model, "detect_with_model", _Heard(net))
    both = detect_combined(seq, None, prepared=prepared)
    assert both.method == "pct + model:fake"
    added = both.mask & ~missed
    np.testing.assert_array_equal(both.mask & missed, missed)
    hole = np.pi * 8**2 / 4  # pixels of the second hole
    assert (added <= net).all() and abs(added.sum() - hole) < abs(net.sum() - hole) / 2
    assert len(both.regions) == 2 and all(0 < r.confidence <= 1 for r in both.regions)
    drawn = [r for r in both.regions if r.area_px == added.sum()]  # at its corrected size
    assert drawn[0].early_diameter_mm > 0 and drawn[0].corrected_diameter_mm == drawn[0].diameter_mm
    monkeypatch.setattr(model, "detect_with_model", _Heard(net, "covers most of the plate"))
    unheard = detect_combined(seq, None, prepared=prepared)
    np.testing.assert_array_equal(unheard.mask, missed)
    assert unheard.out_of_distribution == "the network was not used: covers most of the plate"


def test_the_networks_answer_is_left_out_where_the_method_finds_the_sequence_unknown(monkeypatch):
    import thermodefect.detect.model as model
    from thermodefect.detect import detect

    seq = simulated_plate([(30, 30, 8, 0.3)], shape=(60, 60))
    alone = detect(seq, "pct")
    loads = []

    def loader():
        loads.append(1)
        return "the network"

    elsewhere = np.zeros(alone.mask.shape, bool)
    elsewhere[5:15, 45:55] = True  # a region the network would add
    monkeypatch.setattr(model, "detect_with_model", _Heard(elsewhere))
    warms = replace(alone, out_of_distribution="warms")
    monkeypatch.setattr("thermodefect.detect.classical.detect_and_faint",
                        lambda s, m, **kw: (warms, np.full(alone.mask.shape, 9.0)))  # fmt: skip
    unknown = detect_combined(seq, loader)
    assert unknown is warms and loads == [1]  # loaded and run beside the method, not heard
    monkeypatch.setattr("thermodefect.detect.classical.detect_and_faint",
                        lambda s, m, **kw: (replace(alone, feature=np.full(alone.mask.shape, 9.0)),
                                            np.full(alone.mask.shape, 9.0)))  # fmt: skip
    heard = detect_combined(seq, loader)
    assert (heard.mask & ~alone.mask).any() and (heard.mask & ~alone.mask <= elsewhere).all()
    assert loads == [1, 1]


def test_a_network_region_touching_a_found_one_leaves_the_methods_outline(monkeypatch):
    import thermodefect.detect.model as model

    seq = simulated_plate([(30, 30, 8, 0.3)], shape=(60, 60))
    from thermodefect.detect import detect

    alone = detect(seq, "pct")
    wide = np.zeros(alone.mask.shape, bool)
    wide[20:41, 20:41] = True
    monkeypatch.setattr(model, "detect_with_model", _Heard(wide))
    both = detect_combined(seq, None)
    np.testing.assert_array_equal(both.mask, alone.mask)
    assert [r.area_px for r in both.regions] == pytest.approx([r.area_px for r in alone.regions])


def test_a_confirmed_network_region_redraws_a_tentative_one(monkeypatch):
    import thermodefect.detect.model as model
    from thermodefect.detect import detect, prepare

    seq = simulated_plate([(15, 15, 7, 0.3), (45, 45, 8, 0.6)], shape=(60, 60))
    prepared = prepare(seq)
    alone = detect(seq, "pct", prepared=prepared)
    small = alone.mask.copy()
    small[:, 30:] = False
    small[43:48, 43:48] = True  # the second hole drawn too small, on blurred evidence alone
    tentative = small.copy()
    tentative[:, :30] = False
    faint = np.full(small.shape, 5.0)
    found = replace(alone, mask=small, tentative=tentative)
    monkeypatch.setattr("thermodefect.detect.classical.detect_and_faint",
                        lambda s, m, **kw: (found, faint))  # fmt: skip
    net = np.zeros(small.shape, bool)
    net[40:51, 40:51] = True
    monkeypatch.setattr(model, "detect_with_model", _Heard(net))
    both = detect_combined(seq, None, prepared=prepared)
    np.testing.assert_array_equal(both.mask[:, :30], small[:, :30])  # the first hole stays
    second = both.mask[:, 30:]
    hole = np.pi * 8**2 / 4
    assert (second <= net[:, 30:]).all() and second.sum() > 25  # the network's, redrawn
    assert abs(second.sum() - hole) < abs(net.sum() - hole) / 2
    assert both.tentative is None and len(both.regions) == 2
    kept = replace(found, tentative=None)  # the same region found on the feature itself
    monkeypatch.setattr("thermodefect.detect.classical.detect_and_faint",
                        lambda s, m, **kw: (kept, faint))  # fmt: skip
    np.testing.assert_array_equal(detect_combined(seq, None, prepared=prepared).mask, small)


def test_the_network_alone_drops_a_confirmed_region_along_the_plates_boundary(monkeypatch):
    from thermodefect.detect import model

    seq = simulated_plate([(20, 30, 10, 0.3)])
    shape = seq.frames.shape[1:]
    band, hole = _box(shape, 0, 4, 10, 30), _box(shape, 16, 25, 26, 35)
    z = np.where(band | hole, 10.0, 0.0)  # both confirmed by the physics
    monkeypatch.setattr("thermodefect.nn.infer.predict_probability",
                        lambda net, x, device: np.where(band | hole, 0.9, 0.0))  # fmt: skip
    monkeypatch.setattr("thermodefect.detect.features.feature", lambda prepared, method: z)
    found = model.detect_with_model(seq, model.load_model())
    assert found.out_of_distribution is None
    assert not (found.mask & band).any()  # z 10 there: only the boundary rule drops it
    assert len(found.regions) == 1 and (found.mask & hole).sum() >= 0.5 * found.mask.sum()
    r = found.regions[0]  # redrawn at its halo-corrected size, centred on the hole
    assert hole[round(r.row), round(r.col)] and r.corrected_diameter_mm == r.diameter_mm


def test_the_combined_detection_reads_the_mean_response_once_and_hears_the_network_beside(
    monkeypatch,
):
    import threading

    import thermodefect.preprocess as preprocess
    from thermodefect.detect.model import load_detector
    from thermodefect.preprocess import flash

    seq = simulated_plate([(30, 30, 8, 0.3)], shape=(60, 60))
    counted, threads = [], set()
    real = flash.mean_response

    def mean_response(s):
        counted.append(s.name)
        return real(s)

    monkeypatch.setattr(flash, "mean_response", mean_response)
    monkeypatch.setattr(preprocess, "mean_response", mean_response)
    import thermodefect.detect.model as model

    heard = model.detect_with_model

    def detect_with_model(*args, **kwargs):
        threads.add(threading.current_thread().name)
        return heard(*args, **kwargs)

    monkeypatch.setattr(model, "detect_with_model", detect_with_model)
    both = detect_combined(seq, load_detector())
    assert counted == [seq.name]  # flash, baseline, level and both paths from one pass
    assert threads and threading.main_thread().name not in threads
    assert both.regions and both.out_of_distribution is None


def test_a_network_region_next_to_a_found_one_is_its_halo_and_not_added():
    shape = (40, 40)
    found = _box(shape, 10, 20, 10, 20)
    feature = np.full(shape, 9.0)
    for gap, added in ((1, False), (FOUND_CLEARANCE, False), (FOUND_CLEARANCE + 1, True)):
        network = _box(shape, 10, 20, 19 + gap, 30)  # its left column `gap` pixels off
        assert network_additions(network, found, feature).any() == added, gap
