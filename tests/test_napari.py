"""The napari plugin, headless (QT_QPA_PLATFORM=offscreen; pytest-xvfb gives OpenGL a display):
open a simulated file, run PCT and detect, plot a pixel's curve, save, reload and fuse labels.

``THERMODEFECT_SCREENSHOTS=DIR`` keeps a screenshot of the viewer with its docks
(docs/report.md shows it).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

napari = pytest.importorskip("napari")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get("DISPLAY") and shutil.which("Xvfb") is None,
        reason="napari's canvas needs OpenGL: apt-get install xvfb",
    ),
]


@pytest.fixture(scope="module")
def plate(tmp_path_factory) -> Path:
    from thermodefect.cli import main

    root = tmp_path_factory.mktemp("napari")
    assert main(["--quiet", "simulate", str(root), "--preset", "cfrp-fbh", "--n", "1"]) == 0
    return root / "cfrp_fbh_0.mat"


@pytest.fixture
def viewer(make_napari_viewer, plate):
    v = make_napari_viewer()
    v.open(str(plate), plugin="thermodefect")
    return v


def test_manifest_reads_every_format_the_package_reads():
    from npe2 import PluginManifest

    from thermodefect.io.formats import READERS

    manifest = PluginManifest.from_distribution("thermodefect")
    patterns = set(manifest.contributions.readers[0].filename_patterns)
    suffixes = {s for name in READERS for s in READERS[name].suffixes}
    assert {f"*{s}" for s in suffixes} <= patterns
    assert {w.display_name for w in manifest.contributions.widgets} == {
        "Detect defects", "Cooling curve", "Labels"}  # fmt: skip


def test_reader_declines_what_it_cannot_read(tmp_path):
    from thermodefect.napari.reader import get_reader

    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "empty").mkdir()
    assert get_reader(str(tmp_path / "notes.txt")) is None
    assert get_reader(str(tmp_path / "empty")) is None


def test_a_sequence_opens_with_its_time_axis_and_scale(viewer, plate):
    from thermodefect.io import load

    seq = load(plate)
    image = viewer.layers["cfrp_fbh_0"]
    assert image.data.shape == seq.frames.shape
    np.testing.assert_allclose(image.scale, [1 / seq.meta.frame_rate, 0.5, 0.5])
    assert tuple(image.axis_labels) == ("t", "y", "x")
    assert [str(u) for u in image.units] == ["second", "millimeter", "millimeter"]
    truth = viewer.layers["cfrp_fbh_0 ground truth"]
    np.testing.assert_array_equal(truth.data > 0, seq.mask)


def test_pct_images_and_detection_come_back_as_layers_and_a_table(viewer, qtbot):
    from thermodefect.napari.detect_widget import MODEL, DetectWidget

    widget = DetectWidget(viewer)
    qtbot.addWidget(widget)
    widget.method.setCurrentText("pct")
    images = widget.run_images()
    assert images.data.shape == (4, *viewer.layers["cfrp_fbh_0"].data.shape[1:])
    labels = widget.run_detect()
    ids = set(np.unique(labels.data)) - {0}
    assert widget.table.rowCount() == len(ids) >= 1
    assert [int(widget.table.item(i, 0).data(0)) for i in range(len(ids))] == sorted(ids)
    truth = viewer.layers["cfrp_fbh_0 ground truth"].data > 0
    assert (labels.data > 0)[truth].mean() > 0.3  # it found holes
    assert all(truth[labels.data == i].any() for i in ids)  # and no false call
    widget.method.setCurrentText(MODEL)
    assert not widget.images_button.isEnabled()
    assert widget.run_detect() is not None and "defect(s)" in widget.status.text()


def test_a_click_plots_the_pixel_curve_and_its_tsr_fit(viewer, qtbot):
    from thermodefect.napari.curve_widget import CurveWidget
    from thermodefect.napari.layers import cooling_of

    widget = CurveWidget(viewer)
    qtbot.addWidget(widget)
    image = viewer.layers["cfrp_fbh_0"]
    world = image.data_to_world((3, 20, 30))
    widget._on_click(viewer, SimpleNamespace(position=world))
    _, cooling = cooling_of(image)
    lines = widget.linear.get_lines()
    np.testing.assert_allclose(lines[0].get_ydata(), cooling.frames[:, 20, 30])
    rise, fit = (line.get_ydata() for line in widget.loglog.get_lines())
    assert np.nanmedian(np.abs(fit / rise - 1)) < 0.05
    assert widget.status.text().endswith("row 20, col 30")


def test_labels_save_as_png_and_labelme_and_three_annotators_fuse(viewer, qtbot, tmp_path):
    from thermodefect.io.masks import read_label_png
    from thermodefect.napari.labels_widget import LabelsWidget, read_annotation

    widget = LabelsWidget(viewer)
    qtbot.addWidget(widget)
    shape = viewer.layers["cfrp_fbh_0"].data.shape[1:]
    drawn = np.zeros(shape, np.uint8)
    drawn[10:20, 5:15] = 1
    drawn[30:40, 40:52] = 2
    viewer.add_labels(drawn, name="drawn")
    widget.labels.setCurrentText("drawn")
    png = widget.save_png(tmp_path / "a_label.png")
    js = widget.save_labelme(tmp_path / "a.json")
    np.testing.assert_array_equal(read_label_png(png), drawn > 0)
    np.testing.assert_array_equal(read_annotation(js, shape), drawn > 0)
    second = drawn > 0
    second[10:20, 5:15] = False  # disagrees on one defect
    third = drawn > 0
    third[0:5, 0:5] = True  # adds one
    from thermodefect.io.masks import write_label_png

    write_label_png(second, tmp_path / "b_label.png")
    write_label_png(third, tmp_path / "c_label.png")
    paths = [png, tmp_path / "b_label.png", tmp_path / "c_label.png"]
    fused = widget.load_annotators(paths, "majority")
    np.testing.assert_array_equal(fused.data > 0, drawn > 0)  # two of three agree
    assert "Fleiss kappa" in widget.status.text() and "Dice 1-2" in widget.status.text()
    fused = widget.load_annotators([png, js], "staple")
    np.testing.assert_array_equal(fused.data > 0, drawn > 0)
    assert widget.load_annotators([png], "majority") is None
    assert "two annotators" in widget.status.text()


def test_screenshot_of_the_viewer_with_its_docks(viewer, qtbot):
    from thermodefect.napari.curve_widget import CurveWidget
    from thermodefect.napari.detect_widget import DetectWidget

    detect = DetectWidget(viewer)
    curve = CurveWidget(viewer)
    viewer.window.add_dock_widget(detect, name="Detect defects")
    viewer.window.add_dock_widget(curve, name="Cooling curve", area="bottom")
    viewer.window.resize(1400, 950)
    detect.method.setCurrentText("pct")
    found = detect.run_detect()
    viewer.dims.set_current_step(0, 10)
    row, col = np.argwhere(found.data == 1).mean(axis=0).round().astype(int)
    curve.plot_pixel(row, col)
    viewer.reset_view()
    shot = viewer.screenshot(canvas_only=False, flash=False)
    assert shot.ndim == 3 and shot.shape[0] > 200
    where = os.environ.get("THERMODEFECT_SCREENSHOTS")
    if where:
        from PIL import Image

        Path(where).mkdir(parents=True, exist_ok=True)
        Image.fromarray(shot[..., :3]).save(Path(where) / "napari.png")
