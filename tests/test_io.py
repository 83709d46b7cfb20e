"""Readers and writers: round trips, the seed's layouts, other labs' layouts, bad input."""

from __future__ import annotations

import json
import tracemalloc

import h5py
import numpy as np
import pytest
import scipy.io
import tifffile
from numpy.testing import assert_allclose, assert_array_equal

from thermodefect import ThermodefectError, load, save
from thermodefect.io import MIN_FRAMES, csvfmt, matlab, sniff


@pytest.mark.parametrize("suffix", [".h5", ".npz"])
def test_our_formats_round_trip_every_field(tmp_path, ramp, suffix):
    seq = ramp.derive("baseline(first)", baseline="first", units="K")
    path = tmp_path / f"b{suffix}"
    save(seq, path)
    back = load(path)
    assert_array_equal(back.mask, seq.mask)
    assert back.meta.pixel_pitch_mm == 0.2
    assert back.meta.baseline == "first"
    assert back.meta.history == ("baseline(first)",)


def test_seed_mat_layout_is_height_width_frames(tmp_path):
    hwt = np.arange(4 * 5 * 17, dtype=np.int16).reshape(4, 5, 17)
    scipy.io.savemat(tmp_path / "N1.mat", {"data": hwt})
    seq = load(tmp_path / "N1.mat")
    assert seq.shape == (17, 4, 5)
    assert_array_equal(seq.frames[3], hwt[:, :, 3])
    assert seq.meta.extra["source_dtype"] == "int16"
    assert seq.meta.frame_rate is None
    assert_array_equal(seq.times, np.arange(17))


def test_saved_mat_is_readable_as_the_seed_reads_it(tmp_path, ramp):
    save(ramp, tmp_path / "s.mat")
    data = scipy.io.loadmat(tmp_path / "s.mat")["data"]
    assert data.shape == (6, 8, 20)
    assert_array_equal(data[:, :, 7], ramp.frames[7])


def test_mat_v73_written_and_read_slab_by_slab(tmp_path, ramp):
    path = tmp_path / "big.mat"
    matlab.write(ramp, path, mat_version="7.3")
    assert path.read_bytes()[:10] == b"MATLAB 7.3"
    assert sniff(path) == "mat-v7.3"
    back = load(path)
    assert_array_equal(back.frames, ramp.frames)
    assert back.meta.frame_rate == 50.0


def test_mat_v73_as_matlab_stores_it(tmp_path):
    # MATLAB writes an (H, W, T) double array column-major: h5py sees (T, W, H).
    hwt = np.random.default_rng(0).normal(size=(3, 4, 16))
    path = tmp_path / "m.mat"
    with h5py.File(path, "w", userblock_size=512) as f:
        d = f.create_dataset("data", data=hwt.transpose(2, 1, 0))
        d.attrs["MATLAB_class"] = np.bytes_("double")
    with open(path, "r+b") as fh:
        fh.write(b"MATLAB 7.3 MAT-file".ljust(128, b" "))
    seq = load(path)
    assert_allclose(seq.frames, np.moveaxis(hwt, 2, 0).astype(np.float32))


def test_mat_cell_array_and_struct_field_of_frames(tmp_path):
    frames = [np.full((3, 4), float(i)) for i in range(16)]
    cell = np.empty((1, 16), dtype=object)
    for i, fr in enumerate(frames):
        cell[0, i] = fr
    scipy.io.savemat(tmp_path / "c.mat", {"seq": cell})
    assert_array_equal(load(tmp_path / "c.mat").frames[:, 0, 0], np.arange(16))
    scipy.io.savemat(tmp_path / "s.mat", {"rec": {"frames": cell, "fps": 30.0}})
    seq = load(tmp_path / "s.mat")
    assert seq.meta.extra["variable"] == "rec.frames"
    assert seq.shape == (16, 3, 4)


def test_mat_v73_cell_array_of_frames(tmp_path):
    path = tmp_path / "c73.mat"
    with h5py.File(path, "w", userblock_size=512) as f:
        refs = f.create_group("#refs#")
        ref_list = []
        for i in range(16):
            d = refs.create_dataset(f"f{i}", data=np.full((4, 3), float(i)))  # MATLAB 3x4
            d.attrs["MATLAB_class"] = np.bytes_("double")
            ref_list.append(d.ref)
        c = f.create_dataset("frames", data=np.array(ref_list, dtype=h5py.ref_dtype)[:, None])
        c.attrs["MATLAB_class"] = np.bytes_("cell")
    with open(path, "r+b") as fh:
        fh.write(b"MATLAB 7.3 MAT-file".ljust(128, b" "))
    seq = load(path)
    assert seq.shape == (16, 3, 4)
    assert_array_equal(seq.frames[:, 1, 1], np.arange(16))


def test_mat_several_candidates_need_var(tmp_path):
    a, b = np.zeros((3, 3, 16)), np.ones((3, 3, 20))
    scipy.io.savemat(tmp_path / "two.mat", {"a": a, "b": b})
    with pytest.raises(ThermodefectError, match=r"two\.mat: .*several.*a \(16, 3, 3\).*--var"):
        load(tmp_path / "two.mat")
    assert load(tmp_path / "two.mat", var="b").n_frames == 20
    with pytest.raises(ThermodefectError, match="candidates: a, b"):
        load(tmp_path / "two.mat", var="c")


def test_mat_times_and_rate_variables_are_used(tmp_path):
    scipy.io.savemat(tmp_path / "t.mat", {"data": np.zeros((2, 2, 16)), "fps": 25.0})
    assert load(tmp_path / "t.mat").meta.frame_rate == 25.0
    assert_allclose(load(tmp_path / "t.mat").times[1], 0.04)


def test_csv_per_pixel_c_and_fortran_order(tmp_path):
    cube = np.arange(16 * 2 * 3, dtype=np.float32).reshape(16, 2, 3)
    rows_c = cube.reshape(16, -1).T
    np.savetxt(tmp_path / "c.csv", rows_c, delimiter=",")
    assert_array_equal(load(tmp_path / "c.csv", shape=(2, 3)).frames, cube)
    rows_f = cube.transpose(0, 2, 1).reshape(16, -1).T
    np.savetxt(tmp_path / "f.csv", rows_f, delimiter=";", header="a;b", comments="")
    assert_array_equal(load(tmp_path / "f.csv", shape=(2, 3), order="F").frames, cube)


def test_csv_known_camera_sizes_and_unknown_rows(caplog):
    assert csvfmt.image_shape(307200, None, "x.csv") == (480, 640)
    assert csvfmt.image_shape(110592, None, "x.csv") == (288, 384)  # a 384 x 288 sensor
    assert "read as 288 x 384 (height x width)" in caplog.text and "--shape 384x288" in caplog.text
    with pytest.raises(ThermodefectError, match=r"x\.csv: has 1000 pixel rows.*--shape"):
        csvfmt.image_shape(1000, None, "x.csv")
    with pytest.raises(ThermodefectError, match="does not match --shape 10x10"):
        csvfmt.image_shape(1000, (10, 10), "x.csv")


def test_csv_folder_of_frames_in_natural_order(tmp_path):
    for i in range(16):
        np.savetxt(tmp_path / f"frame{i}.csv", np.full((3, 5), i), delimiter=",")
    seq = load(tmp_path)
    assert seq.shape == (16, 3, 5)
    assert_array_equal(seq.frames[:, 0, 0], np.arange(16))


def test_npy_float32_is_memory_mapped_and_read_only(tmp_path, ramp):
    np.save(tmp_path / "a.npy", ramp.frames)
    seq = load(tmp_path / "a.npy")
    assert isinstance(seq.frames, np.memmap) and not seq.frames.flags.writeable
    np.save(tmp_path / "b.npy", np.moveaxis(ramp.frames, 0, 2).astype(np.float64))
    assert_array_equal(load(tmp_path / "b.npy", layout="HWT").frames, ramp.frames)


def test_tiff_stack_with_imagej_interval(tmp_path, ramp):
    tifffile.imwrite(
        tmp_path / "s.tif", ramp.frames, imagej=True, metadata={"axes": "TYX", "finterval": 0.02}
    )
    seq = load(tmp_path / "s.tif")
    assert_array_equal(seq.frames, ramp.frames)
    assert seq.meta.frame_rate == pytest.approx(50.0)


def test_pythermondt_container_with_lookup_table(tmp_path):
    counts = np.random.default_rng(1).integers(0, 100, size=(4, 5, 16), dtype=np.uint16)
    lut = 290.0 + np.arange(65536) * 0.01
    path = tmp_path / "p.hdf5"
    with h5py.File(path, "w") as f:
        f["Data/Tdata"] = counts
        f["MetaData/LookUpTable"] = lut
        f["MetaData/DomainValues"] = np.arange(16) * 0.1
        f["GroundTruth/DefectMask"] = np.eye(4, 5, dtype=np.uint8)
    seq = load(path)
    assert_allclose(seq.frames[2], lut[counts[:, :, 2]], rtol=1e-6)
    assert seq.meta.units == "K"
    assert_allclose(seq.times[-1], 1.5)
    assert_array_equal(seq.mask, np.eye(4, 5, dtype=bool))


def test_label_png_next_to_sequence_is_attached(tmp_path, ramp):
    from thermodefect.io.masks import write_label_png

    save(ramp, tmp_path / "N9.mat")
    write_label_png(ramp.mask, tmp_path / "labels" / "N9_label.png")
    assert_array_equal(load(tmp_path / "N9.mat").mask, ramp.mask)


def test_written_files_appear_whole_and_input_is_never_overwritten(tmp_path, ramp):
    save(ramp, tmp_path / "in.h5")
    seq = load(tmp_path / "in.h5")
    before = (tmp_path / "in.h5").read_bytes()
    with pytest.raises(ThermodefectError, match="refusing to overwrite the input"):
        save(seq, tmp_path / "in.h5")
    assert (tmp_path / "in.h5").read_bytes() == before
    with pytest.raises(ThermodefectError, match=r"cannot write suffix \.png"):
        save(seq, tmp_path / "x.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.h5"]


def _bad_files(tmp_path, ramp):
    """(path, expected message) for each kind of bad input."""
    cases = []
    p = tmp_path / "empty.mat"
    p.write_bytes(b"")
    cases.append((p, "empty"))
    p = tmp_path / "flat.mat"
    scipy.io.savemat(p, {"data": np.zeros((4, 4))})
    cases.append((p, "no 3-D numeric variable"))
    p = tmp_path / "few.npy"
    np.save(p, np.zeros((MIN_FRAMES - 1, 4, 4), np.float32))
    cases.append((p, f"only {MIN_FRAMES - 1} frames; at least {MIN_FRAMES}"))
    p = tmp_path / "nan.npz"
    bad = ramp.frames.copy()
    bad[5, 2, 3] = np.nan
    np.savez(p, data=bad)
    cases.append((p, "non-finite.*frame 5, row 2, column 3"))
    p = tmp_path / "2d.h5"
    with h5py.File(p, "w") as f:
        f["x"] = np.zeros((4, 4))
    cases.append((p, "no 3-D numeric dataset"))
    full = tmp_path / "full.mat"
    save(ramp, full)
    p = tmp_path / "truncated.mat"
    p.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    cases.append((p, "cannot read|damaged|truncated"))
    full = tmp_path / "full.h5"
    save(ramp, full)
    p = tmp_path / "truncated.h5"
    p.write_bytes(full.read_bytes()[:3000])
    cases.append((p, "HDF5"))
    p = tmp_path / "rows.csv"
    np.savetxt(p, np.zeros((7, 16)), delimiter=",")
    cases.append((p, "7 pixel rows, which matches no known image size"))
    p = tmp_path / "short.npy"
    np.save(p, np.zeros((20, 4, 4), np.uint16))
    p.write_bytes(p.read_bytes()[:-100])
    cases.append((p, "truncated"))
    p = tmp_path / "garbage.npy"
    p.write_bytes(b"\x00\x01\x02" * 100)
    cases.append((p, "does not look like a .npy file"))
    p = tmp_path / "notes.xyz"
    p.write_text("hello")
    cases.append((p, "unrecognised format"))
    cases.append((tmp_path / "missing.mat", "no such file"))
    return cases


def test_bad_input_gives_one_line_naming_the_file(tmp_path, ramp):
    for path, expected in _bad_files(tmp_path, ramp):
        with pytest.raises(ThermodefectError, match=expected) as info:
            load(path)
        message = str(info.value)
        assert message.startswith(str(path)), message
        assert "\n" not in message


def test_loading_keeps_peak_memory_near_the_array_size(tmp_path):
    frames = np.random.default_rng(0).normal(size=(64, 256, 256)).astype(np.float32)
    array_bytes = frames.nbytes
    paths = {
        "mat": tmp_path / "m.mat",
        "h5": tmp_path / "m.h5",
        "npy": tmp_path / "m.npy",
        "tif": tmp_path / "m.tif",
    }
    from thermodefect.sequence import Sequence

    seq = Sequence(frames, np.arange(64.0))
    matlab.write(seq, paths["mat"], mat_version="7.3")
    save(seq, paths["h5"])
    np.save(paths["npy"], np.moveaxis(frames, 0, 2))
    tifffile.imwrite(paths["tif"], frames)
    del seq
    for name, path in paths.items():
        tracemalloc.start()
        loaded = load(path, layout="HWT" if name == "npy" else None)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert_array_equal(loaded.frames[10], frames[10])
        assert peak <= 1.5 * array_bytes, f"{name}: peak {peak / array_bytes:.2f}x the array"
        del loaded


def test_meta_json_survives_hdf5(tmp_path, ramp):
    path = tmp_path / "m.h5"
    save(ramp, path)
    with h5py.File(path) as f:
        meta = json.loads(f.attrs["meta"])
    assert meta["frame_rate"] == 50.0


def test_written_files_are_not_private(tmp_path):
    import os
    import stat

    from thermodefect.io.files import atomic_path

    with atomic_path(tmp_path / "a.txt") as tmp:
        tmp.write_text("x")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o666 & ~mask


def test_zarr_stores_ours_any_array_and_folder_scans(tmp_path, ramp):
    import zarr

    from thermodefect.io import sequence_files

    save(ramp, tmp_path / "ours.zarr")
    back = load(tmp_path / "ours.zarr")
    np.testing.assert_array_equal(back.frames, ramp.frames)
    np.testing.assert_array_equal(back.mask, ramp.mask)
    assert back.meta.pixel_pitch_mm == 0.2 and back.meta.extra["format"] == "zarr-thermodefect"
    save(ramp, tmp_path / "ours.zarr")  # a store of the same name is replaced whole
    other = zarr.open_group(store=str(tmp_path / "other.zarr"), mode="w")
    other.create_array("raw/cube", data=np.moveaxis(ramp.frames, 0, 2))  # (H, W, T)
    other.create_array("aux", data=np.ones((4, 4)))
    hwt = load(tmp_path / "other.zarr", layout="HWT", frame_rate=50.0)
    np.testing.assert_array_equal(hwt.frames, ramp.frames)
    other.create_array("raw/second", data=np.zeros((20, 3, 3)))
    with pytest.raises(ThermodefectError, match=r"holds 2 3-D arrays .*--var"):
        load(tmp_path / "other.zarr")
    assert load(tmp_path / "other.zarr", var="raw/second").shape == (20, 3, 3)
    assert [p.name for p in sequence_files(tmp_path)] == ["other.zarr", "ours.zarr"]
