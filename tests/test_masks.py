"""Label masks in the seed's convention, including the seed's real label PNGs."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from thermodefect import ThermodefectError
from thermodefect.io.masks import read_label_png, resize_nearest, write_label_png

from .conftest import SEED_LABELS


def test_the_package_ships_the_seeds_eleven_labels():
    assert [p.name[: -len("_label.png")] for p in SEED_LABELS] == [
        "D1", "F11", "F17", "J18", "N1", "N2", "N3", "N4", "N7", "NF", "NT",
    ]  # fmt: skip


@pytest.mark.parametrize("path", SEED_LABELS, ids=lambda p: p.name)
def test_seed_labels_read_as_small_defect_fractions(path):
    mask = read_label_png(path)
    with Image.open(path) as im:
        assert mask.shape == (im.height, im.width)
    assert 0.001 < mask.mean() < 0.5


def test_write_then_read_round_trip_and_resize(tmp_path):
    mask = np.zeros((20, 30), bool)
    mask[5:9, 10:20] = True
    write_label_png(mask, tmp_path / "x_label.png")
    grey = np.asarray(Image.open(tmp_path / "x_label.png"))
    assert set(np.unique(grey)) == {0, 255} and grey[6, 12] == 0
    assert np.array_equal(read_label_png(tmp_path / "x_label.png"), mask)
    assert np.array_equal(
        read_label_png(tmp_path / "x_label.png", (40, 60)), resize_nearest(mask, (40, 60))
    )
    assert read_label_png(tmp_path / "x_label.png", (40, 60))[12:18, 20:40].all()


def test_aspect_mismatch_is_an_error_not_a_stretch(tmp_path):
    write_label_png(np.zeros((20, 30), bool), tmp_path / "y_label.png")
    with pytest.raises(
        ThermodefectError, match=r"y_label\.png: label is 20x30.*refusing to stretch"
    ):
        read_label_png(tmp_path / "y_label.png", (20, 20))
    (tmp_path / "z.png").write_bytes(b"not a png")
    with pytest.raises(ThermodefectError, match="cannot read as an image"):
        read_label_png(tmp_path / "z.png")
