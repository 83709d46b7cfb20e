"""labelme JSON to masks, annotator fusion and agreement, against hand-computed answers."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from thermodefect import ThermodefectError
from thermodefect.cli import main
from thermodefect.io.masks import read_label_png
from thermodefect.labels import rasterize
from thermodefect.labels.fusion import dice, fleiss_kappa, majority, pairwise_dice, staple

from .conftest import SEED_LABELS


def _labelme(path, shapes, h=20, w=30, **extra):
    doc = {
        "version": "5.2.1",
        "shapes": shapes,
        "imagePath": f"{path.stem}.png",
        "imageData": None,
        "imageHeight": h,
        "imageWidth": w,
        **extra,
    }
    path.write_text(json.dumps(doc))
    return path


def _shape(kind, points, label="hole", **extra):
    return {"label": label, "points": points, "shape_type": kind, "flags": {}, **extra}


def test_each_shape_type_draws_the_expected_pixels(tmp_path):
    cases = {
        "rectangle": ([_shape("rectangle", [[6, 8], [2, 3]])], 5 * 6),
        "polygon": ([_shape("polygon", [[0, 0], [9, 0], [0, 9]])], 55),
        "circle": ([_shape("circle", [[15, 10], [15, 14]])], None),
        "line": ([_shape("line", [[2, 10], [27, 10]])], None),
        "point": ([_shape("point", [[5, 5]], radius=2)], None),
    }
    for kind, (shapes, expected) in cases.items():
        ann = rasterize(_labelme(tmp_path / f"{kind}.json", shapes))
        assert ann.mask.shape == (20, 30)
        if expected is not None:
            assert ann.mask.sum() == expected, kind
    circle = rasterize(tmp_path / "circle.json").mask
    assert abs(int(circle.sum()) - np.pi * 16) < 12 and circle[10, 15] and not circle[10, 20]
    line = rasterize(tmp_path / "line.json").mask
    assert line[9:12, 5].all() and not line[8, 5] and not line[12, 5]
    assert rasterize(tmp_path / "line.json", line_width=5).mask[:, 5].sum() == 5
    point = rasterize(tmp_path / "point.json").mask
    assert point[5, 5] and point[5, 7] and not point[5, 8]


def test_image_size_from_embedded_data_or_image_path(tmp_path):
    buf = io.BytesIO()
    Image.new("L", (40, 25)).save(buf, format="PNG")
    doc_path = _labelme(
        tmp_path / "a.json",
        [_shape("rectangle", [[1, 1], [3, 3]])],
        imageHeight=None,
        imageWidth=None,
        imageData=base64.b64encode(buf.getvalue()).decode(),
    )
    assert rasterize(doc_path).mask.shape == (25, 40)
    Image.new("L", (12, 9)).save(tmp_path / "b.png")
    doc_path = _labelme(tmp_path / "b.json", [], imageHeight=None, imageWidth=None)
    assert rasterize(doc_path).mask.shape == (9, 12)
    doc_path = _labelme(tmp_path / "c.json", [], imageHeight=None, imageWidth=None)
    with pytest.raises(ThermodefectError, match=r"c\.json: imagePath 'c\.png' does not exist"):
        rasterize(doc_path)


def test_class_map_and_unknown_labels(tmp_path):
    (tmp_path / "classes.yaml").write_text("hole: 1\ndelamination: 2\nsound: 0\n")
    shapes = [
        _shape("rectangle", [[0, 0], [9, 9]], "delamination"),
        _shape("rectangle", [[2, 2], [4, 4]], "sound"),
        _shape("rectangle", [[20, 0], [22, 2]], "crack"),
    ]
    (tmp_path / "json").mkdir()
    _labelme(tmp_path / "json" / "N1.json", shapes)
    out = tmp_path / "labels"
    code = main(
        [
            "--quiet",
            "labels",
            "convert",
            str(tmp_path / "json"),
            "--out",
            str(out),
            "--classes",
            str(tmp_path / "classes.yaml"),
        ]
    )
    assert code == 0
    classes = np.asarray(Image.open(out / "N1_classes.png"))
    assert classes[0, 0] == 2 and classes[3, 3] == 0 and classes[1, 21] == 255
    mask = read_label_png(out / "N1_label.png")
    assert mask.sum() == 100 - 9 + 9


def test_convert_reports_each_problem_and_converts_the_rest(tmp_path, capsys):
    src = tmp_path / "json"
    src.mkdir()
    _labelme(src / "good.json", [_shape("polygon", [[1, 1], [8, 1], [8, 8]])])
    (src / "corrupt.json").write_text('{"shapes": [')
    _labelme(src / "thin.json", [_shape("polygon", [[1, 1], [8, 1]])])
    out = tmp_path / "labels"
    assert (
        main(["--quiet", "labels", "convert", str(src), "--out", str(out), "--format", "binary"])
        == 2
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2
    assert any("corrupt.json: corrupt JSON at line 1" in line for line in err)
    assert any(
        "thin.json: shape 0 ('hole'): a polygon needs at least 3 points, found 2" in line
        for line in err
    )
    assert sorted(p.name for p in out.iterdir()) == ["good_label.png"]
    values = np.asarray(Image.open(out / "good_label.png"))
    assert set(np.unique(values)) == {0, 1}
    assert read_label_png(out / "good_label.png").sum() == values.sum()


def test_fleiss_kappa_and_dice_hand_computed():
    votes = np.array([[1, 1, 1], [0, 0, 0], [1, 1, 0], [1, 0, 0]], bool).T
    assert fleiss_kappa(list(votes)) == pytest.approx(1 / 3)
    assert fleiss_kappa([np.ones(5, bool)] * 3) == 1.0
    a, b = np.array([1, 1, 0, 0], bool), np.array([1, 0, 1, 0], bool)
    assert dice(a, b) == 0.5 and dice(~a & ~b & a, np.zeros(4, bool)) == 1.0
    assert pairwise_dice([a, b, a]) == {(0, 1): 0.5, (0, 2): 1.0, (1, 2): 0.5}
    assert majority([a, b, b]).tolist() == [True, False, True, False]


def test_staple_recovers_known_annotator_skills():
    rng = np.random.default_rng(0)
    truth = np.zeros((200, 200), bool)
    truth[50:90, 40:120] = True
    truth[120:170, 130:180] = True
    misses = truth & (rng.random(truth.shape) < 0.2)
    extras = ~truth & (rng.random(truth.shape) < 0.02)
    result = staple([truth, truth & ~misses, truth | extras])
    sens_b = 1 - misses.sum() / truth.sum()
    spec_c = 1 - extras.sum() / (~truth).sum()
    np.testing.assert_allclose(result.sensitivity, [1, sens_b, 1], atol=2e-3)
    np.testing.assert_allclose(result.specificity, [1, 1, spec_c], atol=2e-3)
    assert np.array_equal(result.posterior >= 0.5, truth)


def test_fuse_seed_labels_with_eroded_and_dilated_copies(tmp_path, capsys):
    dirs = [tmp_path / n for n in ("A", "B", "C")]
    for d in dirs:
        d.mkdir()
    truth = {}
    for path in SEED_LABELS[:4]:
        mask = read_label_png(path)
        truth[path.name] = mask
        for d, m in zip(
            dirs, (mask, ndimage.binary_erosion(mask), ndimage.binary_dilation(mask)), strict=True
        ):
            Image.fromarray(np.where(m, 0, 255).astype(np.uint8)).save(d / path.name)
    (dirs[0] / "extra_label.png").write_bytes((dirs[0] / SEED_LABELS[0].name).read_bytes())
    out = tmp_path / "gt"
    code = main(["labels", "fuse", *map(str, dirs), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 2
    err = captured.err.strip().splitlines()
    assert len(err) == 2 and all("extra_label.png: missing" in line for line in err)
    for name, mask in truth.items():
        assert np.array_equal(read_label_png(out / name), mask)
    assert not (out / "extra_label.png").exists()
    rows = (out / "agreement.csv").read_text().splitlines()
    assert rows[0].startswith("sequence,dice_1_2,dice_1_3,dice_2_3,mean_dice,fleiss_kappa")
    assert len(rows) == 5
    assert "Least agreement" in captured.out and "Fleiss' kappa" in captured.out
    assert (
        main(
            [
                "--quiet",
                "labels",
                "fuse",
                *map(str, dirs),
                "--out",
                str(tmp_path / "s"),
                "--method",
                "staple",
            ]
        )
        == 2
    )


def test_prepare_writes_pct_images_at_native_resolution(tmp_path):
    from thermodefect.io import save

    from .conftest import simulated_plate

    data = tmp_path / "data"
    save(simulated_plate([(20, 30, 8, 0.5)]), data / "P1.h5")
    out = tmp_path / "to_label"
    assert main(["--quiet", "labels", "prepare", str(data), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["P1.png"] + [
        f"P1_pca{i}.png" for i in range(4)
    ]
    assert np.asarray(Image.open(out / "P1.png")).shape == (40, 60)
    assert (out / "P1.png").read_bytes() == (out / "P1_pca1.png").read_bytes()


def test_labelme_written_from_a_mask_fills_back_to_that_mask(tmp_path):
    from scipy import ndimage

    from thermodefect.labels.labelme import rasterize, write_labelme

    rng = np.random.default_rng(1)
    for k in range(20):
        mask = ndimage.gaussian_filter(rng.random((40, 50)), 2) > 0.52
        mask[0, 0] = mask[5, 45] = mask[6, 46] = True  # a lone pixel, a diagonal pair
        doc = write_labelme(mask, tmp_path / f"{k}.json", image_path="plate.png")
        components, n = ndimage.label(mask, structure=np.ones((3, 3)))
        filled = np.zeros_like(mask)
        for i in range(1, n + 1):  # labelme polygons have no holes
            filled |= ndimage.binary_fill_holes(components == i)
        np.testing.assert_array_equal(rasterize(doc).mask, filled)
        shapes = json.loads(doc.read_text())["shapes"]
        assert len(shapes) == n and all(len(s["points"]) >= 3 for s in shapes)
