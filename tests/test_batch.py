"""``detect --workers / --scheduler``: a Dask cluster of two worker processes over twelve small
files gives the serial run's outputs, survives a worker killed mid-run, and a rerun does
nothing."""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import threading
import time

import pytest

from thermodefect.cli import main
from thermodefect.io.files import TEMP_PREFIX

pytestmark = pytest.mark.slow

distributed = pytest.importorskip("distributed")


def _outputs(folder) -> dict[str, bytes]:
    """Every result file's bytes (the manifest and summary hold times and paths)."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())
            if p.name not in ("manifest.json", "summary.csv")}  # fmt: skip


def assert_same_results(folder, serial) -> None:
    """The serial run's files: the same names, masks byte for byte, defect tables with
    numbers within 0.5 %. A worker's one BLAS thread rounds otherwise than the serial run's
    two, which turns PCT's weak, nearly degenerate components: the feature images differ in
    their noise floor, the defects do not."""
    ours, theirs = _outputs(folder), _outputs(serial)
    assert sorted(ours) == sorted(theirs)
    for name, data in ours.items():
        if name.endswith("_mask.png"):
            assert data == theirs[name], name
        elif name.endswith(("_defects.csv", "_defects.json")):
            words = [re.split(r"[,:\s\[\]{}]+", d.decode()) for d in (data, theirs[name])]
            assert len(words[0]) == len(words[1]), name
            for x, y in zip(*words, strict=True):
                assert x == y or float(x) == pytest.approx(float(y), rel=5e-3, abs=1e-6), name


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("batch")
    assert main(["--quiet", "simulate", str(root / "data"), "--preset", "tiny", "--n", "12"]) == 0
    paths = sorted((root / "data").glob("*.mat"))
    assert len(paths) == 12
    assert main(["--quiet", "detect", *map(str, paths), "--out", str(root / "serial")]) == 0
    return root, paths


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as local:  # fmt: skip
        yield local


def test_a_local_cluster_gives_the_serial_outputs_and_a_rerun_does_nothing(files, tmp_path, capsys):
    root, paths = files
    out = tmp_path / "out"
    assert main(["--quiet", "detect", *map(str, paths), "--out", str(out), "--workers", "2"]) == 0
    assert_same_results(out, root / "serial")
    manifest = json.loads((out / "manifest.json").read_text())
    assert {r["status"] for r in manifest["files"].values()} == {"done"}
    summary = (out / "summary.csv").read_text().splitlines()
    assert len(summary) == 13 and summary[0].startswith("file,sha256,status,defects")
    stamps = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    assert main(["detect", *map(str, paths), "--out", str(out), "--workers", "2"]) == 0
    assert "12 done before with these settings, not redone" in capsys.readouterr().out
    changed = {p.name for p in out.iterdir() if p.stat().st_mtime_ns != stamps.get(p.name)}
    assert changed <= {"manifest.json", "summary.csv"}, changed


def test_a_worker_killed_mid_run_loses_nothing_and_leaves_no_partial_file(files, cluster, tmp_path):
    from distributed import Client

    root, paths = files
    out = tmp_path / "out"
    argv = ["--quiet", "detect", *map(str, paths), "--out", str(out), "--method", "pct",
            "--scheduler", cluster.scheduler_address]  # fmt: skip
    codes = []
    run = threading.Thread(target=lambda: codes.append(main(argv)))
    with Client(cluster) as client:
        pids = client.run(os.getpid)
        run.start()
        deadline = time.monotonic() + 60
        while not (out / "manifest.json").exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(next(iter(pids.values())), signal.SIGKILL)  # one worker dies mid-run
        run.join(120)
    assert codes == [0]
    assert_same_results(out, root / "serial")
    assert not list(out.rglob(f"{TEMP_PREFIX}*"))


def test_failed_files_are_reported_and_redone_on_rerun(files, tmp_path, capsys):
    _, paths = files
    bad = tmp_path / "bad.mat"
    bad.write_bytes(paths[0].read_bytes()[:300])  # truncated
    out = tmp_path / "out"
    argv = ["detect", str(paths[1]), str(bad), "--out", str(out), "--workers", "1"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad.mat" in err[0]
    bad.write_bytes(paths[0].read_bytes())
    assert main(argv) == 0
    assert "1 done before" in capsys.readouterr().out
    assert (out / "bad_mask.png").exists()


def test_an_unreachable_scheduler_or_no_dask_is_one_line(files, tmp_path, capsys, monkeypatch):
    import thermodefect.batch

    monkeypatch.setattr(thermodefect.batch, "SCHEDULER_TIMEOUT_S", 0.5)
    _, paths = files
    argv = ["detect", str(paths[0]), "--out", str(tmp_path / "o"), "--scheduler",
            "tcp://127.0.0.1:9"]  # fmt: skip
    assert main(argv) == 2
    assert "cannot reach the Dask scheduler tcp://127.0.0.1:9" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    assert main([*argv[:-2], "--workers", "2"]) == 2
    assert "pip install 'thermodefect[dask]'" in capsys.readouterr().err


def test_pca_on_workers_writes_the_serial_images_and_resumes(files, tmp_path, capsys):
    import numpy as np
    from PIL import Image

    root, _ = files
    serial, out = tmp_path / "serial", tmp_path / "out"
    assert main(["--quiet", "pca", str(root / "data"), "--out", str(serial)]) == 0
    assert main(["--quiet", "pca", str(root / "data"), "--out", str(out), "--workers", "2"]) == 0
    images = sorted(p.name for p in serial.glob("*.png"))
    assert len(images) == 48 and images == sorted(p.name for p in out.glob("*.png"))
    for name in images:  # one BLAS thread per worker instead of two: rounding, not more
        a, b = (np.asarray(Image.open(d / name), np.int16) for d in (serial, out))
        assert np.abs(a - b).max() <= 2, name
    ratios = [np.loadtxt(d / "explained_variance.csv", delimiter=",", skiprows=1, usecols=2)
              for d in (serial, out)]  # fmt: skip
    np.testing.assert_allclose(ratios[1], ratios[0], rtol=1e-3, atol=1e-7)
    assert main(["pca", str(root / "data"), "--out", str(out), "--workers", "2"]) == 0
    assert "(12 done before)" in capsys.readouterr().out


def test_simulate_on_workers_writes_the_serial_bytes(files, tmp_path):
    root, _ = files
    out = tmp_path / "data"
    argv = ["--quiet", "simulate", str(out), "--preset", "tiny", "--n", "12", "--workers", "2"]
    assert main(argv) == 0
    serial = {p.relative_to(root / "data"): p.read_bytes()
              for p in sorted((root / "data").rglob("*")) if p.is_file()}  # fmt: skip
    assert serial == {p.relative_to(out): p.read_bytes()
                      for p in sorted(out.rglob("*")) if p.is_file()}  # fmt: skip
    assert not (tmp_path / ".data.partial").exists()
