"""Camera formats: Telops HCC (written by fasthcc), FLIR FFF sequences and PTW recordings (built
byte by byte from their documented layouts), and the formats we refuse."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from thermodefect import ThermodefectError, load
from thermodefect.cli import main
from thermodefect.io import READERS, sniff
from thermodefect.io.flir import Planck

from .vendor_files import PLANCK, write_fff, write_ptw


@pytest.fixture
def kelvin() -> np.ndarray:
    """20 frames of 6 x 16 pixels between 300 and 311 K."""
    t = np.arange(20)[:, None, None] * 0.5
    return 300 + t + np.arange(6)[None, :, None] * 0.1 + np.arange(16)[None, None, :] * 0.01


def test_planck_calibration_inverts_the_black_body_counts_and_corrects_emissivity():
    kelvin = np.array([280.0, 300.0, 350.0, 420.0])
    assert_allclose(PLANCK.temperature(PLANCK.counts(kelvin)), kelvin, rtol=1e-12)
    grey = Planck(**{**PLANCK.__dict__, "emissivity": 0.8, "reflected_k": 293.15})
    seen = 0.8 * PLANCK.counts(kelvin) + 0.2 * PLANCK.counts(293.15)  # what the detector gets
    assert_allclose(grey.temperature(seen), kelvin, rtol=1e-12)
    assert np.isnan(PLANCK.temperature(np.array([-8000.0]))).all()


@pytest.mark.parametrize("encoding", ["<u2", ">u2", "png", "jpegls"])
@pytest.mark.parametrize("big_header", [True, False])
def test_flir_sequence_reads_every_encoding_and_byte_order_as_the_same_kelvin(
    tmp_path, kelvin, encoding, big_header
):
    counts = np.round(PLANCK.counts(kelvin)).astype(np.uint16)
    times = np.cumsum(np.r_[0, np.full(19, 0.04)]) + np.r_[0, 0, 0.01, np.zeros(17)]
    path = write_fff(tmp_path / "x.seq", counts, encoding=encoding, big_header=big_header,
                     times=times, padding=7)  # fmt: skip
    seq = load(path)
    assert sniff(path) == "flir-fff" and seq.meta.units == "K"
    assert_allclose(seq.frames, kelvin, atol=5e-3)  # one count is about 7 mK here
    assert_allclose(seq.times, times, atol=1e-9)
    assert seq.meta.extra["encoding"] == encoding


def test_flir_without_planck_constants_stays_in_counts_and_csq_needs_its_decoder(
    tmp_path, kelvin, monkeypatch
):
    counts = np.round(PLANCK.counts(kelvin)).astype(np.uint16)
    seq = load(write_fff(tmp_path / "x.seq", counts, planck=None))
    assert seq.meta.units == "counts"
    assert_array_equal(seq.frames, counts)
    write_fff(tmp_path / "x.csq", counts, encoding="jpegls")
    monkeypatch.setitem(sys.modules, "imagecodecs", None)
    with pytest.raises(ThermodefectError, match=r"x\.csq: .*JPEG-LS.*thermodefect\[flir\]"):
        load(tmp_path / "x.csq")


def test_flir_count_outside_the_calibration_is_named(tmp_path, kelvin):
    counts = np.round(PLANCK.counts(kelvin)).astype(np.uint16)
    counts[3, 2, 5] = 10  # below the counts of 0 K for these constants
    with pytest.raises(ThermodefectError, match="frame 3, row 2, column 5: count 10 lies outside"):
        load(write_fff(tmp_path / "x.seq", counts))


def test_ptw_reads_counts_times_rate_and_a_celsius_scale(tmp_path):
    counts = np.arange(20 * 6 * 16, dtype=np.uint16).reshape(20, 6, 16) * 3
    times = 36000 + np.r_[0.0, np.cumsum(np.full(19, 0.05))]
    seq = load(write_ptw(tmp_path / "x.ptw", counts, period=0.05, times=times))
    assert_array_equal(seq.frames, counts)
    assert seq.meta.units == "counts" and seq.meta.frame_rate == pytest.approx(20.0)
    assert_allclose(seq.times, times - times[0], atol=1e-6)
    assert seq.meta.extra["camera"] == "Jade 3"
    scaled = load(write_ptw(tmp_path / "c.ptw", counts, scale=("°C", 10.0, 60.0)))
    assert scaled.meta.units == "K"
    assert_allclose(scaled.frames, counts * 50.0 / 65536 + 10.0 + 273.15, rtol=1e-6)


def test_ptw_with_coarse_time_stamps_falls_back_to_the_acquisition_period(tmp_path):
    counts = np.ones((20, 4, 6), np.uint16)
    seq = load(write_ptw(tmp_path / "x.ptw", counts, period=0.0025, times=np.full(20, 36000.0)))
    assert_allclose(np.diff(seq.times), 0.0025)


def test_a_weak_signature_does_not_claim_another_formats_file(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("CED,1,2\n" + "\n".join(",".join(["1"] * 20) for _ in range(4)))
    assert sniff(path) == "csv"


def test_telops_hcc_round_trips_and_calibrates_each_frame_with_its_own_header(tmp_path, kelvin):
    import fasthcc

    counts = np.round((kelvin - 273.15) * 2**8).astype(np.uint16)
    offsets = [273.15] * 10 + [263.15] * 10  # a recalibration halfway
    meta = [{"DataOffset": o, "POSIXTime": 1_700_000_000 + i // 25,
             "SubSecondTime": (i % 25) * 400_000} for i, o in enumerate(offsets)]  # fmt: skip
    fasthcc.write_hcc(tmp_path / "x.hcc", counts, frame_rate=25.0, metadata=meta)
    seq = load(tmp_path / "x.hcc")
    assert seq.meta.units == "K" and seq.meta.extra["calibration"].startswith("RT")
    expected = counts * 2.0**-8 + np.array(offsets)[:, None, None]
    assert_allclose(seq.frames, expected, rtol=1e-6)
    assert_allclose(seq.times, np.arange(20) * 0.04, atol=1e-9)
    fasthcc.write_hcc(tmp_path / "raw.hcc", counts, calibration_mode=0, frame_rate=25.0)
    raw = load(tmp_path / "raw.hcc")
    assert raw.meta.units == "counts" and raw.meta.frame_rate == 25.0
    assert_array_equal(raw.frames, counts)


def test_telops_without_fasthcc_names_the_extra(tmp_path, kelvin, monkeypatch):
    import importlib.util

    import fasthcc

    fasthcc.write_hcc(tmp_path / "x.hcc", np.ones((20, 4, 12), np.uint16))
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "fasthcc" else find_spec(name, *a),
    )
    assert not READERS["telops-hcc"].available()
    with pytest.raises(ThermodefectError, match=r"pip install 'thermodefect\[telops\]'"):
        load(tmp_path / "x.hcc")


def test_formats_lists_every_reader_its_extra_and_what_is_refused(capsys):
    assert main(["formats"]) == 0
    out = capsys.readouterr().out
    for name, reader in READERS.items():
        assert name in out and reader.description in out
    assert "thermodefect[telops]" in out and "thermodefect[flir] for JPEG-LS" in out
    assert "not read: .otvis .itvispulse .di: Edevis" in out
