"""The HTML inspection report: run records, views, escaping, the benchmark's Markdown and the
refusals (the browser's view of it is in test_report_browser.py)."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil

import numpy as np
import pytest

from thermodefect.cli import main
from thermodefect.report.html import _markdown, render_report
from thermodefect.report.views import load_views

from .conftest import REPORT_NAMES as NAMES


def _sections(text: str) -> list[str]:
    return re.findall(r'<section class="sequence".*?</section>', text, flags=re.S)


def test_detect_writes_a_run_record_of_each_file(report_folders):
    record = json.loads((report_folders / "with" / "tiny_1_run.json").read_text())
    data = (report_folders / "data" / "tiny_1.mat").read_bytes()
    assert record["sha256"] == hashlib.sha256(data).hexdigest()
    assert record["shape"][1:] == [48, 64] and record["frame_rate_hz"] > 0
    assert record["settings"]["method"] == "pct" and record["settings"]["z_min"] == 5.0
    assert "out" not in record["settings"] and "report" not in record["settings"]
    assert "tiny_1_views.npz" in record["outputs"] and "tiny_1_overlay.png" in record["outputs"]
    assert all((report_folders / "with" / f).is_file() for f in record["outputs"])
    plain = json.loads((report_folders / "plain" / "tiny_1_run.json").read_text())
    assert "tiny_1_views.npz" not in plain["outputs"] and plain["settings"] == record["settings"]


def test_report_has_one_section_per_file_and_every_defect_row(report_folders):
    text = (report_folders / "with" / "report.html").read_text()
    sections = _sections(text)
    assert len(sections) == 3
    for name, section in zip(NAMES, sections, strict=True):
        with open(report_folders / "with" / f"{name}_defects.csv", newline="") as fh:
            rows = list(csv.DictReader(fh))
        table = re.search(r'<table class="sortable" id="defects-\d+">.*?</table>', section, re.S)
        assert (table.group(0).count("<tr>") - 1 if table else 0) == len(rows)
        assert section.count("data:image/png;base64,") >= 5  # raw, overlay, PCT, TSR, curves
    summary = re.search(r'id="summary-table">.*?</table>', text, re.S).group(0)
    assert summary.count("<tr>") == 4


def test_report_escapes_file_names_and_fetches_nothing(report_folders):
    text = (report_folders / "with" / "report.html").read_text()
    assert text.count("<script") == 1  # our own, once
    assert "&lt;script&gt;" in text
    assert not re.search(r'(src|href)="(?!data:|#)', text)  # only inline data and anchors


def test_report_reads_the_inputs_again_when_views_were_not_kept(report_folders):
    kept = render_report(report_folders / "with")
    again = render_report(report_folders / "plain")
    assert len(_sections(again)) == 3
    strip = re.compile(r"made \d{4}-\d\d-\d\d \d\d:\d\d UTC|/(with|plain)\b")
    assert [s.count("<tr>") for s in _sections(strip.sub("", kept))] == [
        s.count("<tr>") for s in _sections(strip.sub("", again))
    ]


def test_report_refuses_an_input_changed_or_gone_since_detect(report_folders, tmp_path):
    data, det = tmp_path / "data", tmp_path / "det"
    shutil.copytree(report_folders / "data", data)
    assert main(["--quiet", "detect", str(data / "tiny_1.mat"), "--out", str(det)]) == 0
    with open(data / "tiny_1.mat", "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(Exception, match="changed since detect"):
        render_report(det)
    (data / "tiny_1.mat").unlink()
    assert main(["report", str(det)]) == 2
    assert not (det / "report.html").exists()
    assert not list(det.glob(".thermodefect-part-*"))


def test_views_hold_the_curves_of_each_region_and_the_sound_plate(report_folders):
    views = load_views(report_folders / "with" / "tiny_1_views.npz")
    rows = json.loads((report_folders / "with" / "tiny_1_defects.json").read_text())["defects"]
    assert views.curves.shape == (views.times.size, len(rows))
    assert views.time_unit == "s" and np.all(views.times > 0)
    assert views.raw.shape == views.pct.shape == views.tsr.shape == (48, 64)
    # over a defect the surface gets warmer than the sound plate once heat reaches it
    excess = (views.curves - views.sound[:, None]).max(axis=0)
    assert np.all(excess > 0.01 * views.sound.max())
    # the TSR fit follows each curve within a few per cent
    rel = np.abs(views.curves_fit / views.curves - 1)
    assert np.nanmedian(rel) < 0.05


def test_region_labels_follow_the_table_ids():
    from thermodefect.detect.regions import label_regions, measure

    mask = np.zeros((20, 30), bool)
    mask[2:6, 3:8] = True
    mask[12:18, 20:27] = True
    regions = measure(mask, mask.astype(float))
    labels, _ = label_regions(mask)
    assert set(np.unique(labels)) == {0, *(r.id for r in regions)}
    for r in regions:
        assert labels[round(r.row), round(r.col)] == r.id


def test_benchmark_markdown_becomes_sortable_tables_and_paragraphs():
    text = (
        "# Methods on data\n\n| method | IoU |\n| --- | --- |\n| pct | 0.50 |\n| <tsr> | 0.43 |\n"
        "\n|estimated / true - 1| of each estimator, a paragraph\n## Depth\n"
    )
    out = _markdown(text)
    assert out.count("<table") == 1 and out.count("<tr>") == 3
    assert '<td class="num" data-value="0.5">0.50</td>' in out  # shown as written
    assert "&lt;tsr&gt;" in out and "<p>|estimated / true - 1| of each" in out
    assert "<h2>Methods on data</h2>" in out and "<h3>Depth</h3>" in out


def test_report_of_a_benchmark_folder(tmp_path):
    (tmp_path / "results.md").write_text(
        "# Methods\n\n| method | IoU |\n| --- | --- |\n| a | 1 |\n"
    )
    (tmp_path / "results.csv").write_text("method,IoU\na,1\n")
    from PIL import Image

    Image.new("RGB", (20, 10), (255, 0, 0)).save(tmp_path / "pod.png")
    assert main(["--quiet", "report", str(tmp_path), "--out", str(tmp_path / "r.html")]) == 0
    text = (tmp_path / "r.html").read_text()
    assert "benchmark results from" in text and 'alt="probability of detection"' in text


def test_defect_table_gives_positions_in_mm_and_depth_only_when_known():
    from thermodefect.report.html import _defect_table

    rows = [{"id": 1, "row": 9.5, "col": 3.5, "diameter_mm": 2.0, "area_mm2": 3.1,
             "area_px": 12, "confidence": 0.9, "peak_time_s": 0.4, "depth_mm": None,
             "depth_hi_mm": None}]  # fmt: skip
    table = _defect_table(rows, {"pixel_pitch_mm": 0.5}, 1)
    assert '<td class="num" data-value="2.0">2</td>' in table  # x = (3.5 + 0.5) * 0.5 mm
    assert '<td class="num" data-value="5.0">5</td>' in table  # y = (9.5 + 0.5) * 0.5 mm
    assert "depth" not in table
    without_pitch = _defect_table([{**rows[0], "depth_hi_mm": 0.8}], {}, 1)
    assert "x (mm)" not in without_pitch and "&lt; 0.8" in without_pitch
