"""The HTML report in a real browser: Debian's Chromium driven by Playwright (no browser
download). .ci/run installs the chromium package when it is absent.

``THERMODEFECT_SCREENSHOTS=DIR`` keeps the screenshots taken here (docs/report.md shows them).
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from .conftest import REPORT_NAMES

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium (apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def opened(browser, report_folders):
    """The report of ``with/`` open in a phone-wide and a desktop-wide page; every console
    error and every request that is not the file itself or inline data is recorded."""
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    errors, outside = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    report = report_folders / "with" / "report.html"

    def route(r):
        url = r.request.url
        if url.startswith("data:") or url == report.as_uri():
            r.continue_()
        else:
            outside.append(url)
            r.abort()

    page.route("**/*", route)
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    yield page, errors, outside
    page.close()


def _keep(image: bytes, name: str) -> None:
    where = os.environ.get("THERMODEFECT_SCREENSHOTS")
    if where:
        Path(where).mkdir(parents=True, exist_ok=True)
        (Path(where) / name).write_bytes(image)


def test_report_loads_without_errors_or_requests_and_every_image_decodes(opened):
    page, errors, outside = opened
    assert errors == [] and outside == []
    images = page.evaluate(
        "Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight])"
    )
    assert len(images) >= 5 * len(REPORT_NAMES)
    assert all(done and w > 0 and h > 0 for done, w, h in images)


def test_each_defect_table_has_the_rows_of_its_csv(opened, report_folders):
    page, _, _ = opened
    for i, name in enumerate(REPORT_NAMES, 1):
        with open(report_folders / "with" / f"{name}_defects.csv", newline="") as fh:
            expected = len(list(csv.DictReader(fh)))
        assert page.locator(f"#defects-{i} tbody tr").count() == expected
        assert page.locator(f"#seq-{i} h2").inner_text().endswith(name)  # escaped, shown as text
    assert page.locator("#summary-table tbody tr").count() == len(REPORT_NAMES)


def _column(page, table: str, index: int) -> list[float]:
    cells = page.locator(f"{table} tbody tr td:nth-child({index})").all_inner_texts()
    return [float(c) for c in cells]


def test_a_click_on_a_header_sorts_the_table_both_ways(opened):
    page, _, _ = opened
    table = next(f"#defects-{i}" for i in range(1, len(REPORT_NAMES) + 1)
                 if page.locator(f"#defects-{i} tbody tr").count() >= 2)  # fmt: skip
    header = page.locator(f"{table} th", has_text="diameter (mm)")
    index = 1 + page.locator(f"{table} th").all_inner_texts().index("diameter (mm)")
    before = _column(page, table, index)
    header.click()
    assert _column(page, table, index) == sorted(before)
    header.click()
    assert _column(page, table, index) == sorted(before, reverse=True)
    assert header.get_attribute("aria-sort") == "descending"


def test_the_first_sequence_is_not_blank_and_fits_a_phone(browser, opened, report_folders):
    page, _, _ = opened
    _keep(page.screenshot(), "report.png")  # the top: summary and the first sequence
    shot = page.locator("#seq-1").screenshot()
    pixels = np.asarray(Image.open(io.BytesIO(shot)).convert("L"), float)
    assert pixels.std() > 20  # images and text, not an empty page
    phone = browser.new_page(viewport={"width": 390, "height": 844})
    phone.goto((report_folders / "with" / "report.html").as_uri())
    width = phone.evaluate("document.documentElement.scrollWidth")
    phone.close()
    assert width <= 390  # wide tables scroll inside their box, the page does not


def test_printed_each_sequence_starts_its_own_pages(opened):
    from pypdf import PdfReader

    page, _, _ = opened
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4")))
    texts = [p.extract_text() for p in pdf.pages]
    starts = []
    for i, name in enumerate(REPORT_NAMES, 1):
        heading = re.compile(rf"^\s*{i}\.\s+{re.escape(name)}\s*$", re.M)
        pages = [k for k, text in enumerate(texts) if heading.search(text)]
        assert len(pages) == 1, (name, pages)
        assert texts[pages[0]].lstrip().startswith(f"{i}.")  # the heading opens the page
        starts.append(pages[0])
    assert starts == sorted(set(starts)) and starts[0] >= 1  # summary first, one group each
