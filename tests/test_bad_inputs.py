"""Every command's promise for bad input: one line on stderr naming the problem, exit status 2,
nothing written, every input unchanged. One row per bad input, over every command."""

from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path

import h5py
import numpy as np
import pytest
import scipy.io
import torch

from thermodefect.cli import main
from thermodefect.io import save
from thermodefect.sequence import Meta, Sequence

from .vendor_files import write_fff, write_ptw


def _cooling(t: int = 30, h: int = 24, w: int = 32) -> np.ndarray:
    time = np.arange(t, dtype=np.float32)
    curve = np.where(time >= 3, 1 / np.sqrt(np.maximum(time - 2, 1)), 0).astype(np.float32)
    frames = curve[:, None, None] * np.ones((t, h, w), np.float32)
    frames[:, 8:14, 10:16] *= 1.3
    return frames + np.random.default_rng(0).normal(0, 0.01, frames.shape).astype(np.float32)


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    """Valid inputs shared by the cases (they must come out of every case unchanged)."""
    root = tmp_path_factory.mktemp("kit")
    np.save(root / "good.npy", _cooling())
    seq = Sequence(_cooling(), np.arange(30) / 10.0, meta=Meta(frame_rate=10.0))
    save(seq, root / "good.h5")
    assert main(["--quiet", "simulate", str(root / "data"), "--preset", "tiny", "--n", "3"]) == 0
    (root / "a_file").write_text("not a folder")
    return root


def _write(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    elif isinstance(data, str):
        path.write_text(data)
    else:
        np.save(path, data) if path.suffix == ".npy" else None
    return path


def _npy(array):
    def make(d: Path) -> None:
        with open(d / "x.npy", "wb") as fh:
            np.save(fh, array)

    return make


def _mat(variables, name="x.mat"):
    return lambda d: scipy.io.savemat(d / name, variables)


def _h5(shape, name="x.h5", dtype="f4"):
    def make(d: Path) -> None:
        with h5py.File(d / name, "w") as f:
            f.create_dataset("frames", shape=shape, dtype=dtype)  # declared, never written

    return make


def _mat73_huge(d: Path) -> None:
    """A MATLAB v7.3 file (HDF5 behind a 512-byte MATLAB header) declaring 36 TiB of data."""
    with h5py.File(d / "x.mat", "w", userblock_size=512) as f:
        ds = f.create_dataset("data", shape=(100_000, 10_000, 10_000), dtype="f4")
        ds.attrs["MATLAB_class"] = np.bytes_("single")
    with open(d / "x.mat", "r+b") as fh:
        fh.write(b"MATLAB 7.3 MAT-file, Platform: GLNXA64".ljust(116) + b"\x00" * 8
                 + b"\x00\x02IM")  # fmt: skip


def _labelme(shapes, **doc):
    def make(d: Path) -> None:
        (d / "json").mkdir()
        body = {"shapes": shapes, "imageHeight": 20, "imageWidth": 30, **doc}
        (d / "json" / "a.json").write_text(json.dumps(body))

    return make


def _labels(sizes):
    def make(d: Path) -> None:
        from thermodefect.io.masks import write_label_png

        for who, (h, w) in zip("abc", sizes, strict=False):
            mask = np.zeros((h, w), bool)
            mask[2:5, 2:5] = True
            write_label_png(mask, d / who / "s_label.png")

    return make


def _checkpoint(doc):
    def make(d: Path) -> None:
        torch.save(doc, d / "m.pt")

    return make


def _pickle(d: Path) -> None:
    with open(d / "m.pt", "wb") as fh:
        pickle.dump({"format": "thermodefect-checkpoint", "obj": Path("x")}, fh)


def _spec(**changes):
    def make(d: Path) -> None:
        spec = {"name": "s", "plate": {"thickness_mm": 2.0}, "camera": {"height": 16,
                "width": 16, "n_frames": 20}, "defects": []}  # fmt: skip
        for key, value in changes.items():
            spec[key] = value
        (d / "spec.json").write_text(json.dumps(spec))

    return make


def _mask_folder(d: Path) -> None:
    (d / "pred").mkdir()
    (d / "pred" / "s_mask.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    (d / "gt").mkdir()
    from thermodefect.io.masks import write_label_png

    write_label_png(np.zeros((20, 30), bool), d / "gt" / "s_label.png")


def _camera_file(kind: str, cut: int = 0, **options):
    """A camera file of 20 frames of 4 x 12 counts, its last ``cut`` bytes removed."""

    def make(d: Path) -> None:
        counts = np.full((20, 4, 12), 20000, np.uint16)
        if kind == "hcc":
            import fasthcc

            fasthcc.write_hcc(d / "x.hcc", counts)
            path = d / "x.hcc"
        else:
            path = (write_fff if kind == "seq" else write_ptw)(d / f"x.{kind}", counts, **options)
        if cut:
            path.write_bytes(path.read_bytes()[:-cut])

    return make


def _ptw_huge(d: Path) -> None:
    """A PTW header declaring 4 billion frames of 4 x 12 over a file of 20."""
    _camera_file("ptw")(d)
    data = bytearray((d / "x.ptw").read_bytes())
    data[27:31] = (2**32 - 1).to_bytes(4, "little")
    (d / "x.ptw").write_bytes(bytes(data))


def _nothing(d: Path) -> None:
    return None


def _runs(*settings: dict, outputs=()):
    """A detect folder ``d/det`` of hand-written run records, one per settings."""

    def make(d: Path) -> None:
        for i, s in enumerate(settings):
            record = {"kind": "thermodefect detect run", "version": "0.1.0", "name": f"r{i}",
                      "file": str(d / f"r{i}.npy"), "sha256": "0" * 64, "shape": [30, 24, 32],
                      "settings": s, "method": s["method"], "outputs": list(outputs)}  # fmt: skip
            _write(d / "det" / f"r{i}_run.json", json.dumps(record))

    return make


def _pretrained(d: Path) -> None:
    """A pretrained file of the default UNet (no weights needed by the checks it meets)."""
    from thermodefect.nn.checkpoint import PRETRAINED_FORMAT
    from thermodefect.nn.inputs import InputConfig

    doc = {"format": PRETRAINED_FORMAT, "version": 1, "model_name": "unet",
           "options": {"base": 16, "depth": 3}, "inputs": InputConfig().to_dict(),
           "info": {}, "state_dict": {}}  # fmt: skip
    torch.save(doc, d / "pre.pt")


def _lstm(d: Path) -> None:
    """A checkpoint of the per-pixel LSTM (a network adaptation does not apply to)."""
    from thermodefect.nn.checkpoint import Checkpoint, save_checkpoint
    from thermodefect.nn.models import build_model, default_inputs, model_spec

    inputs = default_inputs("lstm")
    model = build_model("lstm", inputs)
    save_checkpoint(Checkpoint("lstm", model_spec("lstm").defaults, inputs, model), d / "lstm.pt")


def _folder(*names: str, content: bytes = b"not a sequence"):
    def make(d: Path) -> None:
        (d / "in").mkdir()
        for name in names:
            (d / "in" / name).write_bytes(content)

    return make


CASES = [
    # reading sequences: the file
    ("info-missing", _nothing, ["info", "{d}/none.npy"], "no such file"),
    ("info-empty", lambda d: _write(d / "x.npy", b""), ["info", "{d}/x.npy"], "empty"),
    ("info-garbage-npy", lambda d: _write(d / "x.npy", b"hello world" * 9),
     ["info", "{d}/x.npy"], "does not look like a .npy"),
    ("info-2d", _npy(np.zeros((20, 5), np.float32)), ["info", "{d}/x.npy"], "3-D"),
    ("info-nan", _npy(np.full((20, 4, 4), np.nan, np.float32)), ["info", "{d}/x.npy"],
     "non-finite"),
    ("info-few-frames", _npy(np.zeros((5, 4, 4), np.float32)), ["info", "{d}/x.npy"],
     "at least 16"),
    ("info-complex-npy", _npy(np.ones((20, 4, 4), np.complex64)), ["info", "{d}/x.npy"],
     "complex"),
    ("info-text-npy", _npy(np.array([["a"] * 4] * 20)), ["info", "{d}/x.npy"], "numeric"),
    ("info-mat-as-npy", lambda d: (_mat({"data": np.ones((4, 4, 20))})(d),
     (d / "x.mat").rename(d / "y.npy")), ["info", "{d}/y.npy"], "the content is a MATLAB"),
    ("info-complex-mat", _mat({"data": np.ones((4, 4, 20)) * 1j}), ["info", "{d}/x.mat"],
     "complex"),
    # camera files: truncated, wrong magic, counts beyond the file, variants we do not read
    ("info-seq-truncated", _camera_file("seq", cut=200), ["info", "{d}/x.seq"], "truncated"),
    ("info-seq-garbage", lambda d: _write(d / "x.seq", b"hello world" * 9),
     ["info", "{d}/x.seq"], "holds no FLIR FFF records"),
    ("info-ats-native", lambda d: _write(d / "x.ats", b"\x01\x02ATS" * 40),
     ["info", "{d}/x.ats"], ".ats layout is not public"),
    ("info-ptw-truncated", _camera_file("ptw", cut=10), ["info", "{d}/x.ptw"],
     "declares 20 frames of 4 x 12"),
    ("info-ptw-huge", _ptw_huge, ["info", "{d}/x.ptw"], "declares 4294967295 frames"),
    ("info-ptw-garbage", lambda d: _write(d / "x.ptw", b"hello world" * 9),
     ["info", "{d}/x.ptw"], "does not look like a .ptw"),
    ("info-ptw-lockin", _camera_file("ptw", first_line=(1220, 3907, 1204, 2382)),
     ["info", "{d}/x.ptw"], "lock-in"),
    ("info-hcc-truncated", _camera_file("hcc", cut=5), ["info", "{d}/x.hcc"],
     "ends 139 bytes into frame 19"),
    ("info-zarr-garbage", lambda d: _write(d / "x.zarr" / "zarr.json", "{not json"),
     ["info", "{d}/x.zarr"], "is not a readable Zarr store"),
    ("info-edevis", lambda d: _write(d / "x.OTvis", b"x" * 600), ["info", "{d}/x.OTvis"],
     "Edevis recordings are not read"),
    ("convert-seq-truncated", _camera_file("seq", cut=1), ["convert", "{d}/x.seq", "{d}/y.h5"],
     "truncated"),
    ("info-mat-no-cube", _mat({"v": np.ones((4, 4))}), ["info", "{d}/x.mat"], "no 3-D"),
    ("info-mat-two-cubes", _mat({"a": np.ones((4, 4, 20)), "b": np.ones((4, 4, 20))}),
     ["info", "{d}/x.mat"], "--var"),
    ("info-mat-var-missing", _mat({"data": np.ones((4, 4, 20))}),
     ["info", "{d}/x.mat", "--var", "nope"], "'nope'"),
    ("info-mat-truncated", lambda d: (_mat({"data": np.ones((8, 8, 40))})(d),
     (d / "x.mat").write_bytes((d / "x.mat").read_bytes()[:600])), ["info", "{d}/x.mat"],
     "x.mat"),
    ("info-h5-huge", _h5((100_000, 10_000, 10_000)), ["info", "{d}/x.h5"], "GiB"),
    ("info-mat73-huge", _mat73_huge, ["info", "{d}/x.mat"], "GiB"),
    ("info-h5-no-cube", lambda d: h5py.File(d / "x.h5", "w").close(), ["info", "{d}/x.h5"],
     "no 3-D"),
    ("info-csv-ragged", lambda d: _write(d / "x.csv", "1,2,3\n4,5\n"), ["info", "{d}/x.csv"],
     "x.csv"),
    ("info-csv-unknown-size", lambda d: _write(d / "x.csv", "1,2,3\n" * 7 * 16),
     ["info", "{d}/x.csv"], "--shape"),
    ("info-tif-garbage", lambda d: _write(d / "x.tif", b"II*\x00" + b"\x07" * 50),
     ["info", "{d}/x.tif"], "x.tif: the TIFF"),
    ("info-npz-no-cube", lambda d: np.savez(d / "x.npz", a=np.ones(3)), ["info", "{d}/x.npz"],
     "3-D"),
    ("info-unknown-suffix", lambda d: _write(d / "x.xyz", b"\x01\x02"), ["info", "{d}/x.xyz"],
     "unrecognised format"),
    # reading sequences: the options
    ("opt-frame-rate-0", _nothing, ["info", "{k}/good.npy", "--frame-rate", "0"], "--frame-rate"),
    ("opt-frame-rate-neg", _nothing, ["info", "{k}/good.npy", "--frame-rate", "-5"],
     "--frame-rate"),
    ("opt-frame-rate-nan", _nothing, ["info", "{k}/good.npy", "--frame-rate", "nan"],
     "--frame-rate"),
    ("opt-pixel-pitch-neg", _nothing, ["info", "{k}/good.npy", "--pixel-pitch", "-1"],
     "--pixel-pitch"),
    ("opt-shape-zero", _nothing, ["info", "{k}/good.npy", "--shape", "0x5"], "--shape"),
    ("opt-z-min-nan", _nothing, ["detect", "{k}/good.npy", "--method", "pct", "--out", "{d}/o",
     "--z-min", "nan"], "--z-min"),
    ("opt-min-area-neg", _nothing, ["detect", "{k}/good.npy", "--method", "pct", "--out",
     "{d}/o", "--min-area", "-1"], "--min-area"),
    ("opt-threshold", _nothing, ["detect", "{k}/good.npy", "--out", "{d}/o", "--threshold", "1.5"],
     "--threshold"),
    ("opt-unknown-method", _nothing, ["detect", "{k}/good.npy", "--method", "pcta", "--out",
     "{d}/o"], "pcta"),
    ("opt-epochs-0", _nothing, ["train", "{k}/data", "--out", "{d}/o", "--epochs", "0"],
     "--epochs"),
    ("opt-n-0", _nothing, ["simulate", "{d}/o", "--preset", "tiny", "--n", "0"], "--n"),
    # frames and convert
    ("frames-bad-list", _nothing, ["frames", "{k}/good.npy", "--out", "{d}/o", "--frames", "1,a"],
     "--frames"),
    ("frames-index", _nothing, ["frames", "{k}/good.npy", "--out", "{d}/o", "--frames", "999"],
     "outside 0..29"),
    ("frames-pixel", _nothing, ["frames", "{k}/good.npy", "--out", "{d}/o", "--pixel", "99,1"],
     "outside the 24x32"),
    ("frames-out-file", _nothing, ["frames", "{k}/good.npy", "--out", "{k}/a_file"],
     "a_file"),
    ("convert-same-file", _nothing, ["convert", "{k}/good.h5", "{k}/good.h5"], "overwrite"),
    ("convert-suffix", _nothing, ["convert", "{k}/good.npy", "{d}/x.png"], "cannot write suffix"),
    ("convert-out-folder", lambda d: (d / "dir.h5").mkdir(),
     ["convert", "{k}/good.npy", "{d}/dir.h5"], "dir.h5"),
    ("convert-under-file", _nothing, ["convert", "{k}/good.npy", "{k}/a_file/x.h5"], "a_file"),
    # pca
    ("pca-not-folder", _nothing, ["pca", "{d}/none", "--out", "{d}/o"], "not a folder"),
    ("pca-empty-folder", lambda d: (d / "in").mkdir(), ["pca", "{d}/in", "--out", "{d}/o"],
     "holds no sequence files"),
    ("pca-out-file", _nothing, ["pca", "{k}/data", "--out", "{k}/a_file"], "a_file"),
    ("pca-components", _nothing, ["pca", "{k}/data", "--out", "{d}/o", "--components", "0"],
     "--components"),
    # labels
    ("labels-corrupt-json", lambda d: _write(d / "json" / "a.json", "{"),
     ["labels", "convert", "{d}/json", "--out", "{d}/o"], "corrupt JSON"),
    ("labels-outside", _labelme([{"label": "d", "points": [[100, 100], [120, 100], [110, 130]],
     "shape_type": "polygon"}]), ["labels", "convert", "{d}/json", "--out", "{d}/o"],
     "outside the 20x30 image"),
    ("labels-nan-point", _labelme([{"label": "d", "points": [[1, 1], [np.nan, 5], [5, 9]],
     "shape_type": "polygon"}]), ["labels", "convert", "{d}/json", "--out", "{d}/o"],
     "not a finite"),
    ("labels-no-size", lambda d: _write(d / "json" / "a.json", json.dumps({"shapes": []})),
     ["labels", "convert", "{d}/json", "--out", "{d}/o"], "no image size"),
    ("labels-shape-type", _labelme([{"label": "d", "points": [[1, 1]], "shape_type": "blob"}]),
     ["labels", "convert", "{d}/json", "--out", "{d}/o"], "unknown shape_type"),
    ("labels-class-map", lambda d: (_labelme([])(d), _write(d / "c.yaml", "a: [1")),
     ["labels", "convert", "{d}/json", "--out", "{d}/o", "--classes", "{d}/c.yaml"],
     "class map"),
    ("labels-fuse-into-input", _labels([(10, 10), (10, 10)]),
     ["labels", "fuse", "{d}/a", "{d}/b", "--out", "{d}/a"], "reads from"),
    ("labels-fuse-sizes", _labels([(10, 10), (12, 10)]),
     ["labels", "fuse", "{d}/a", "{d}/b", "--out", "{d}/o"], "b/s_label.png is 12x10"),
    ("labels-fuse-one", _labels([(10, 10)]), ["labels", "fuse", "{d}/a", "--out", "{d}/o"],
     "at least two"),
    ("labels-prepare-component", _nothing, ["labels", "prepare", "{k}/data", "--out", "{d}/o",
     "--component", "9"], "--component"),
    # checkpoints
    ("ckpt-garbage", lambda d: _write(d / "m.pt", b"\x00garbage" * 40),
     ["detect", "{k}/good.npy", "--model", "{d}/m.pt", "--out", "{d}/o"], "m.pt"),
    ("ckpt-garbage-with-method", lambda d: _write(d / "m.pt", b"\x00garbage" * 40),
     ["detect", "{k}/good.npy", "--model", "{d}/m.pt", "--method", "pct", "--out", "{d}/o"],
     "m.pt"),
    ("ckpt-truncated", lambda d: _write(d / "m.pt", b"PK\x03\x04" + b"\x00" * 30),
     ["detect", "{k}/good.npy", "--model", "{d}/m.pt", "--out", "{d}/o"], "m.pt"),
    ("ckpt-missing-keys", _checkpoint({"format": "thermodefect-checkpoint", "version": 1}),
     ["detect", "{k}/good.npy", "--model", "{d}/m.pt", "--out", "{d}/o"], "misses"),
    ("ckpt-unknown-model", _checkpoint({"format": "thermodefect-checkpoint", "version": 1,
     "model_name": "resnet", "options": {}, "inputs": {}, "threshold": 0.5, "min_area": 9,
     "state_dict": {}}), ["detect", "{k}/good.npy", "--model", "{d}/m.pt", "--out", "{d}/o"],
     "m.pt: unknown model 'resnet'"),
    ("ckpt-pickle", _pickle, ["detect", "{k}/good.npy", "--model", "{d}/m.pt", "--out", "{d}/o"],
     "m.pt: not a readable checkpoint: damaged or of another program"),
    ("ckpt-missing", _nothing, ["export", "{d}/none.pt", "--onnx", "{d}/m.onnx"], "none.pt"),
    ("export-out-file", _nothing, ["export", "{k}/none.pt", "--onnx", "{k}/a_file/m.onnx"],
     "none.pt"),
    # detect
    ("detect-out-file", _nothing, ["detect", "{k}/good.npy", "--method", "pct", "--out",
     "{k}/a_file"], "a_file"),
    ("detect-short", _npy(np.ones((17, 8, 8), np.float32)),
     ["detect", "{d}/x.npy", "--method", "pct", "--out", "{d}/o"], "x.npy"),
    # evaluate and benchmark
    ("evaluate-corrupt-mask", _mask_folder, ["evaluate", "{d}/pred", "{d}/gt"], "s_mask.png"),
    ("evaluate-no-masks", lambda d: (d / "pred").mkdir(), ["evaluate", "{d}/pred", "{k}"],
     "holds no"),
    ("evaluate-missing", _nothing, ["evaluate", "{d}/none", "{k}"], "not a folder"),
    ("benchmark-not-dataset", _nothing, ["benchmark", "{k}", "--out", "{d}/o"], "manifest"),
    ("benchmark-missing-spec", lambda d: _copy_dataset(d, drop="json"),
     ["benchmark", "{d}/data", "--out", "{d}/o", "--split", "all", "--methods", "pct"],
     ".json"),
    ("benchmark-out-file", _nothing, ["benchmark", "{k}/data", "--out", "{k}/a_file",
     "--split", "all", "--methods", "pct"], "a_file"),
    # simulate and train
    ("simulate-broken-json", lambda d: _write(d / "spec.json", "{"),
     ["simulate", "{d}/o", "--spec", "{d}/spec.json"], "corrupt JSON"),
    ("simulate-thickness", _spec(plate={"thickness_mm": -1}),
     ["simulate", "{d}/o", "--spec", "{d}/spec.json"], "thickness"),
    ("simulate-depth", _spec(defects=[{"kind": "hole", "depth_mm": 3, "size_mm": 2,
     "center_mm": [4, 4]}]), ["simulate", "{d}/o", "--spec", "{d}/spec.json"], "depth"),
    ("simulate-out-file", _nothing, ["simulate", "{k}/a_file", "--preset", "tiny", "--n", "1"],
     "a_file"),
    ("train-no-manifest", _nothing, ["train", "{k}", "--out", "{d}/o"], "manifest"),
    ("train-batch", _nothing, ["train", "{k}/data", "--out", "{d}/o", "--batch", "3",
     "--processes", "2"], "--batch 3"),
    ("train-out-file", _nothing, ["train", "{k}/data", "--out", "{k}/a_file", "--epochs", "1"],
     "a_file"),
    ("demo-out-file", _nothing, ["demo", "--out", "{k}/a_file"], "a_file"),
    # learning from unlabelled sequences
    ("pretrain-empty", _folder(), ["pretrain", "{d}/in", "--out", "{d}/p.pt"],
     "holds no sequence files"),
    ("pretrain-non-sequences", _folder("notes.txt", "photo.png"),
     ["pretrain", "{d}/in", "--out", "{d}/p.pt"], "holds no sequence files"),
    ("pretrain-corrupt", _folder("plate.mat"), ["pretrain", "{d}/in", "--out", "{d}/p.pt"],
     "plate.mat"),
    ("pretrain-mask-ratio", _nothing, ["pretrain", "{k}/data", "--out", "{d}/p.pt",
     "--mask-ratio", "1.5"], "mask ratio"),
    ("pretrain-lstm", _nothing, ["pretrain", "{k}/data", "--out", "{d}/p.pt", "--model", "lstm"],
     "invalid choice"),
    ("train-init-other-width", _pretrained, ["train", "{k}/data", "--out", "{d}/o", "--init",
     "{d}/pre.pt", "--base", "8"], "made for options"),
    ("train-init-garbage", lambda d: _write(d / "x.pt", b"garbage" * 20),
     ["train", "{k}/data", "--out", "{d}/o", "--init", "{d}/x.pt"], "not a readable checkpoint"),
    ("train-adversarial-lstm", _nothing, ["train", "{k}/data", "--out", "{d}/o", "--model",
     "lstm", "--adversarial", "0.1"], "apply to unet and unetpp, not lstm"),
    ("train-domain-empty", _folder(), ["train", "{k}/data", "--out", "{d}/o", "--domain",
     "{d}/in"], "holds no sequence files"),
    ("adapt-empty", _folder(), ["adapt", "default", "{d}/in", "--out", "{d}/a.pt"],
     "holds no sequence files"),
    ("adapt-lstm", _lstm, ["adapt", "{d}/lstm.pt", "{k}/data", "--out", "{d}/a.pt"],
     "applies to unet and unetpp networks, not lstm"),
    ("adapt-pretrained", _pretrained, ["adapt", "{d}/pre.pt", "{k}/data", "--out", "{d}/a.pt"],
     "a pretrained network"),
    ("adapt-garbage-model", lambda d: _write(d / "x.pt", b"garbage" * 20),
     ["adapt", "{d}/x.pt", "{k}/data", "--out", "{d}/a.pt"], "not a readable checkpoint"),
    ("detect-pretrained", _pretrained, ["detect", "{k}/good.npy", "--model", "{d}/pre.pt",
     "--out", "{d}/o"], "fine-tune it with thermodefect train --init"),
    # report
    ("report-nothing", _nothing, ["report", "{k}/data"], "holds no detection"),
    ("report-no-folder", _nothing, ["report", "{d}/nowhere"], "is not a folder"),
    ("report-mixed", _runs({"method": "pct"}, {"method": "tsr"}), ["report", "{d}/det"],
     "holds two runs"),
    ("report-missing", _runs({"method": "pct"}, outputs=["r0_overlay.png"]),
     ["report", "{d}/det"], "r0_overlay.png is missing"),
    ("report-corrupt", lambda d: _write(d / "det" / "x_run.json", "{not json"),
     ["report", "{d}/det"], "not a readable run record"),
    ("report-foreign-json", lambda d: _write(d / "det" / "x_run.json", '{"kind": "other"}'),
     ["report", "{d}/det"], "not a thermodefect detect run record"),
    ("report-out-folder", _runs({"method": "pct"}), ["report", "{d}/det", "--out", "{d}/det"],
     "is a folder"),
]  # fmt: skip


def _copy_dataset(d: Path, drop: str) -> None:
    import shutil

    shutil.copytree(KIT[0] / "data", d / "data")
    for path in (d / "data").glob(f"*.{drop}"):
        path.unlink()


KIT: list[Path] = []


def _snapshot(*roots: Path) -> dict[str, str]:
    return {
        str(p): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        for root in roots
        for p in sorted(root.rglob("*"))
    }


def test_there_are_at_least_sixty_cases_over_every_command():
    commands = {argv[0] if argv[0] != "labels" else f"labels {argv[1]}" for _, _, argv, _ in CASES}
    assert len(CASES) >= 60
    assert commands >= {"info", "convert", "frames", "pca", "labels convert", "labels fuse",
                        "labels prepare", "detect", "train", "export", "evaluate", "benchmark",
                        "simulate", "demo", "report", "pretrain", "adapt"}  # fmt: skip


@pytest.mark.parametrize("setup, argv, message", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_gives_one_line_exit_2_no_output_inputs_unchanged(
    kit, tmp_path, capsys, setup, argv, message
):
    KIT[:] = [kit]
    setup(tmp_path)
    before = _snapshot(tmp_path, kit)
    args = [a.format(d=tmp_path, k=kit) for a in argv]
    try:
        code = main(args)
    except SystemExit as exc:  # argparse
        code = exc.code
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == 2, (code, err)
    assert len(lines) == 1, err
    assert lines[0].startswith("thermodefect") and "error" in lines[0], err
    assert message in lines[0], err
    assert _snapshot(tmp_path, kit) == before, "a file was written, changed or removed"
