"""Figures people look at: the overlay's pixels, and the POD plot's numbers agreeing with the
table."""

from __future__ import annotations

import numpy as np
from PIL import Image

from thermodefect.detect.regions import measure
from thermodefect.report.overlay import FOUND, MIN_SIDE, TRUTH, overlay


def test_overlay_draws_found_and_true_outlines_on_the_image_without_margins(tmp_path):
    base = np.zeros((40, 60))
    base[10:20, 10:20] = 1.0
    found = np.zeros((40, 60), bool)
    found[10:20, 10:20] = True
    truth = np.zeros((40, 60), bool)
    truth[25:32, 40:50] = True
    regions = measure(found, base, pitch_mm=0.5)
    overlay(base, found, regions, tmp_path / "o.png", title="plate", truth=truth)
    image = np.asarray(Image.open(tmp_path / "o.png").convert("RGB"))
    scale = int(np.ceil(MIN_SIDE / 60))
    strip = image.shape[0] - 40 * scale
    assert image.shape[1] == 60 * scale and 0 < strip < 40  # the image, one text line above
    body = image[strip:]
    red = np.all(body == FOUND, axis=-1)
    cyan = np.all(body == TRUTH, axis=-1)
    assert red[10 * scale, 15 * scale] and red[15 * scale, 10 * scale]  # the outline, above the
    assert not red[15 * scale, 15 * scale]  # label, not the inside
    assert cyan[25 * scale, 45 * scale] and not cyan[28 * scale, 45 * scale]
    yellow = np.all(image == (255, 208, 0), axis=-1)
    rows, cols = np.nonzero(yellow)
    assert rows.size and rows.min() >= strip and cols.max() < 60 * scale  # label inside


def test_pod_plot_with_and_without_curves(tmp_path):
    from thermodefect.evaluate import fit_pod
    from thermodefect.report.benchmark import plot_pod

    sizes = [2.0, 3, 3, 4, 5, 6, 8]
    stats = {"ratio": sizes, "hits": [0, 1, 0, 1, 0, 1, 1]}
    plot_pod({"a": (fit_pod(sizes, stats["hits"]), stats), "b": (None, stats)}, tmp_path / "p.png")
    plot_pod({"b": (None, stats)}, tmp_path / "none.png")  # no curve at all
    for name in ("p.png", "none.png"):
        assert Image.open(tmp_path / name).size == (700, 480)
