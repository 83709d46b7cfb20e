"""The inspection report: one self-contained HTML file of a detect or benchmark folder.

Images are inline PNG data, the only script is a few lines of vanilla JavaScript (sortable
tables, expand and collapse), nothing is fetched from the network. Per sequence the report
shows where the result came from (file, SHA-256, shape, frame rate, pixel pitch, version,
every setting), a raw frame, the PCT and TSR images, the overlay with numbered regions, the
defect table and the cooling curves of each defect against the sound plate; a summary table
across all files comes first. A benchmark folder shows its tables and plots. Every text that
came from a file or a setting is escaped. Printed, each sequence starts a page.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

import numpy as np

from thermodefect.errors import ThermodefectError
from thermodefect.report.runs import RUN, read_runs
from thermodefect.report.views import VIEWS, Views, load_views

__all__ = [
    "REPORT",
    "render_report",
    "write_report",
]

REPORT = "report.html"
MAX_SIDE = 800  # pixels: larger images are shrunk for the report
MAX_CURVES = 10  # defect curves drawn per sequence
BENCHMARK_FILES = ("results.md", "results.csv")

STYLE = """
:root { --ink: #1b1f24; --muted: #5b6570; --line: #d4d9de; --accent: #b3261e; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, sans-serif; color: var(--ink); margin: 0 auto;
       max-width: 1200px; padding: 12px; }
h1 { font-size: 1.5em; margin: .2em 0; } h2 { font-size: 1.25em; border-bottom: 2px solid
var(--line); padding-bottom: .2em; margin-top: 1.6em; } h3 { font-size: 1.05em; }
.muted { color: var(--muted); } .warn { color: var(--accent); font-weight: 600; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: .5em 0; font-size: .92em; }
th, td { border: 1px solid var(--line); padding: 3px 7px; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.sortable th { cursor: pointer; user-select: none; background: #f3f5f7; }
table.sortable th[aria-sort=ascending]::after { content: " \\25B2"; }
table.sortable th[aria-sort=descending]::after { content: " \\25BC"; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(230px, 1fr));
           gap: 10px; }
figure { margin: 0; } figcaption { font-size: .85em; color: var(--muted); }
img { width: 100%; height: auto; image-rendering: pixelated; display: block;
      border: 1px solid var(--line); }
img.plot { image-rendering: auto; width: auto; max-width: 100%; }
code { font-size: .9em; word-break: break-all; }
button { font: inherit; margin: 4px 4px 4px 0; }
@media print {
  @page { size: A4; margin: 12mm; }
  body { max-width: none; font-size: 10pt; }
  .noprint { display: none; }
  section.sequence, section.benchmark { break-before: page; }
  figure, table { break-inside: avoid; }
  .figures { grid-template-columns: repeat(2, 1fr); }
}
"""

SCRIPT = """
function cellValue(row, i) {
  const cell = row.cells[i];
  const v = cell.dataset.value !== undefined ? cell.dataset.value : cell.textContent.trim();
  const n = parseFloat(v);
  return v !== "" && !isNaN(n) && isFinite(v) ? n : v.toLowerCase();
}
function sortBy(th) {
  const table = th.closest("table"), body = table.tBodies[0], i = th.cellIndex;
  const up = th.getAttribute("aria-sort") !== "ascending";
  table.querySelectorAll("th").forEach(h => h.removeAttribute("aria-sort"));
  th.setAttribute("aria-sort", up ? "ascending" : "descending");
  const rows = Array.from(body.rows);
  rows.sort((a, b) => {
    const x = cellValue(a, i), y = cellValue(b, i);
    if (typeof x !== typeof y) { return (typeof x === "number" ? -1 : 1) * (up ? 1 : -1); }
    return (x < y ? -1 : x > y ? 1 : 0) * (up ? 1 : -1);
  });
  rows.forEach(r => body.appendChild(r));
}
document.querySelectorAll("table.sortable th").forEach(th => {
  th.addEventListener("click", () => sortBy(th));
});
function openAll(open) { document.querySelectorAll("details").forEach(d => { d.open = open; }); }
document.getElementById("expand").addEventListener("click", () => openAll(true));
document.getElementById("collapse").addEventListener("click", () => openAll(false));
window.addEventListener("beforeprint", () => openAll(true));
"""


def _e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _png(array: np.ndarray) -> str:
    """A data URI of a uint8 grey or RGB image, shrunk to ``MAX_SIDE``."""
    from PIL import Image

    image = Image.fromarray(array)
    if max(image.size) > MAX_SIDE:
        scale = MAX_SIDE / max(image.size)
        image = image.resize((round(image.width * scale), round(image.height * scale)))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return _data_uri(buffer.getvalue())


def _file_uri(path: Path) -> str:
    return _data_uri(Path(path).read_bytes())


def _coloured(image: np.ndarray, cmap: str) -> np.ndarray:
    """RGB uint8 of ``image`` stretched between its 0.5 and 99.5 percentiles."""
    from matplotlib import colormaps

    from thermodefect.io.images import stretch

    return np.round(colormaps[cmap](stretch(image))[..., :3] * 255).astype(np.uint8)


def _figure(uri: str, caption: str, *, plot: bool = False) -> str:
    kind = ' class="plot"' if plot else ""
    return (f'<figure><img{kind} src="{uri}" alt="{_e(caption)}">'
            f"<figcaption>{_e(caption)}</figcaption></figure>")  # fmt: skip


def _number(value, digits: int = 3) -> str:
    if value is None or value == "":
        return '<td class="num" data-value=""></td>'
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f'<td class="num" data-value="{value}">{value:.{digits}g}</td>'
    return f"<td>{_e(value)}</td>"


def _table(header: list[str], rows: list[list[str]], *, cls: str = "sortable", ident="") -> str:
    head = "".join(f'<th scope="col">{_e(h)}</th>' for h in header)
    body = "".join("<tr>" + "".join(r) + "</tr>" for r in rows)
    ident = f' id="{_e(ident)}"' if ident else ""
    return (f'<div class="scroll"><table class="{cls}"{ident}><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")  # fmt: skip


def _curves_png(views: Views, regions: list[dict], name: str) -> str:
    """Linear and log-log panels: each defect's mean rise and the sound plate's, TSR fits
    dashed on the log-log panel."""
    from thermodefect.io.images import figure

    fig, (lin, log) = figure((10, 3.6), 1, 2)
    t = views.times
    shown = list(zip(regions, views.curves.T, views.curves_fit.T, strict=True))[:MAX_CURVES]
    series: list[tuple[str, np.ndarray, np.ndarray, str | None]]
    series = [("sound plate", views.sound, views.sound_fit, "k")]
    series += [(f"defect {r['id']}", c, f, None) for r, c, f in shown]
    for label, curve, fit, colour in series:
        (line,) = lin.plot(t, curve, color=colour, lw=1.2, label=label)
        after = t > 0
        log.loglog(t[after], np.where(curve[after] > 0, curve[after], np.nan),
                   color=line.get_color(), lw=1.2)  # fmt: skip
        if np.isfinite(fit).any():
            log.loglog(t[after], np.where(fit[after] > 0, fit[after], np.nan),
                       color=line.get_color(), lw=0.9, ls="--")  # fmt: skip
    unit = views.time_unit
    lin.set(xlabel=f"time after flash ({unit})", ylabel="mean rise", title="cooling")
    log.set(xlabel=f"time after flash ({unit})", ylabel="mean rise",
            title="log-log (dashed: TSR fit, degree 5)")  # fmt: skip
    lin.legend(fontsize=7, ncol=2)
    more = len(regions) - len(shown)
    if more > 0:
        fig.text(0.01, 0.01, f"{more} more defect(s) not drawn", fontsize=7)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    return _data_uri(buffer.getvalue())


def _defects(folder: Path, record: dict) -> list[dict]:
    path = folder / f"{record['name']}_defects.json"
    try:
        doc = json.loads(path.read_text())
        rows = doc["defects"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ThermodefectError(f"not a readable defect table ({exc})", path) from None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ThermodefectError("not a defect table: 'defects' is not a list of rows", path)
    return rows


def _recomputed_views(folder: Path, record: dict, rows: list[dict]) -> Views:
    """The views of a folder ``detect`` wrote without ``--report``: the input read again
    (refused when it is gone or changed since)."""
    from thermodefect.batch import sha256
    from thermodefect.detect.classical import prepare
    from thermodefect.detect.regions import Region
    from thermodefect.io import load
    from thermodefect.io.images import read_grey
    from thermodefect.report.views import views_of

    source = Path(record["file"])
    if not source.exists():
        raise ThermodefectError(
            f"the input of {record['name']}{RUN} is gone ({source}); rerun detect with --report",
            folder,
        )
    if sha256(source) != record["sha256"]:
        raise ThermodefectError(f"changed since detect wrote {record['name']}{RUN}", source)
    s = record["settings"]
    seq = load(source, var=s.get("var"), shape=tuple(s["shape"]) if s.get("shape") else None,
               order=s.get("order", "C"), layout=s.get("layout"),
               frame_rate=s.get("frame_rate"), pixel_pitch_mm=s.get("pixel_pitch"))  # fmt: skip
    mask = read_grey(folder / f"{record['name']}_mask.png") > 127
    regions = [Region(**row) for row in rows]
    return views_of(seq, prepare(seq), mask, regions)


def _provenance(record: dict) -> str:
    t, h, w = (record["shape"] + [None] * 3)[:3]
    facts = [
        ("file", f"<code>{_e(record['file'])}</code>"),
        ("SHA-256", f"<code>{_e(record['sha256'])}</code>"),
        ("shape", f"{_e(t)} frames of {_e(h)} x {_e(w)} pixels"),
        ("frame rate", f"{record['frame_rate_hz']:.6g} Hz" if record.get("frame_rate_hz")
         else "unknown (times are frame numbers)"),
        ("pixel pitch", f"{record['pixel_pitch_mm']:.4g} mm" if record.get("pixel_pitch_mm")
         else "unknown (sizes in pixels)"),
        ("units", _e(record.get("units"))),
        ("thermodefect", _e(record.get("version"))),
    ]  # fmt: skip
    settings = [
        (k, f"<code>{_e(json.dumps(v))}</code>") for k, v in sorted(record["settings"].items())
    ]
    return (
        f'<div class="scroll"><table class="facts">{_rows(facts)}</table></div>'
        f'<details class="settings"><summary>Settings ({len(settings)})</summary>'
        f'<div class="scroll"><table class="facts">{_rows(settings)}</table></div></details>'
    )


def _rows(facts: list[tuple[str, str]]) -> str:
    return "".join(f'<tr><th scope="row">{_e(k)}</th><td>{v}</td></tr>' for k, v in facts)


def _defect_table(rows: list[dict], record: dict, index: int) -> str:
    """The sortable defect table: positions in mm when the pixel pitch is known (x to the
    right, y down, from the image's top left corner), depth columns only where some defect
    has a depth."""
    if not rows:
        return "<p>No defect found.</p>"
    flag = "yes" if record.get("out_of_distribution") else "no"
    depth = any(r.get("depth_mm") is not None or r.get("depth_hi_mm") is not None for r in rows)
    pitch = record.get("pixel_pitch_mm")
    header = ["id", "row (px)", "col (px)"] + (["x (mm)", "y (mm)"] if pitch else [])
    header += ["diameter (mm)", "area (mm²)", "area (px)"]
    header += ["depth (mm)", "depth interval (mm)"] if depth else []
    header += ["confidence", "peak time (s)", "out of distribution"]
    body = []
    for r in rows:
        cells = [_number(r.get(k)) for k in ("id", "row", "col")]
        if pitch:  # pixel centres from the image's top left corner
            cells += [_number((r["col"] + 0.5) * pitch), _number((r["row"] + 0.5) * pitch)]
        cells += [_number(r.get(k)) for k in ("diameter_mm", "area_mm2", "area_px")]
        if depth:
            lo, hi = r.get("depth_lo_mm"), r.get("depth_hi_mm")
            interval = (f"{lo:.3g} to {hi:.3g}" if lo is not None and hi is not None
                        else "" if hi is None else f"< {hi:.3g}")  # fmt: skip
            cells += [_number(r.get("depth_mm")), f"<td>{_e(interval)}</td>"]
        cells += [_number(r.get("confidence"), 2), _number(r.get("peak_time_s")),
                  f"<td>{flag}</td>"]  # fmt: skip
        body.append(cells)
    return _table(header, body, ident=f"defects-{index}")


def _sequence(folder: Path, record: dict, index: int) -> tuple[str, list[dict]]:
    """The section of one sequence and its defect rows."""
    name = record["name"]
    rows = _defects(folder, record)
    views_path = folder / f"{name}{VIEWS}"
    views = (load_views(views_path) if views_path.is_file()
             else _recomputed_views(folder, record, rows))  # fmt: skip
    figures = [_figure(_png(_coloured(views.raw, "gray")), f"raw frame {views.frame} of the file")]
    if (folder / f"{name}_overlay.png").is_file():
        figures.append(_figure(_file_uri(folder / f"{name}_overlay.png"),
                               f"overlay: {len(rows)} numbered defect(s)"))  # fmt: skip
    if (folder / f"{name}_depth.png").is_file():
        figures.append(_figure(_file_uri(folder / f"{name}_depth.png"), "depth map (mm)"))
    figures += [
        _figure(_png(_coloured(views.pct, "inferno")), f"PCT, EOF {views.pct_index + 1}"),
        _figure(_png(_coloured(views.tsr, "viridis")),
                f"TSR, 1st log-derivative, window {views.tsr_index + 1}"),
    ]  # fmt: skip
    ood = record.get("out_of_distribution")
    warning = f'<p class="warn">Out of distribution: {_e(ood)}</p>' if ood else ""
    curves = _figure(_curves_png(views, rows, name),
                     "mean rise of each defect and of the sound plate", plot=True)  # fmt: skip
    text = (
        f'<section class="sequence" id="seq-{index}"><h2>{index}. {_e(name)}</h2>'
        f'<p class="muted">{_e(Path(record["file"]).name)}: {_e(record["method"])}, '
        f"{len(rows)} defect(s)</p>{warning}{_provenance(record)}"
        f'<div class="figures">{"".join(figures)}</div><h3>Defects</h3>'
        f"{_defect_table(rows, record, index)}<h3>Cooling curves</h3>{curves}</section>"
    )
    return text, rows


def _summary(records: list[dict], tables: list[list[dict]]) -> str:
    header = ["#", "sequence", "method", "defects", "largest diameter (mm)",
              "highest confidence", "out of distribution"]  # fmt: skip
    body = []
    for i, (record, rows) in enumerate(zip(records, tables, strict=True), 1):
        sizes = [r["diameter_mm"] for r in rows if r.get("diameter_mm") is not None]
        confidences = [r["confidence"] for r in rows if r.get("confidence") is not None]
        ood = record.get("out_of_distribution")
        body.append([_number(i), f'<td><a href="#seq-{i}">{_e(record["name"])}</a></td>',
                     f"<td>{_e(record['method'])}</td>", _number(len(rows)),
                     _number(max(sizes) if sizes else None),
                     _number(max(confidences) if confidences else None, 2),
                     f'<td class="warn">{_e(ood)}</td>' if ood else "<td>no</td>"])  # fmt: skip
    return (f'<section id="summary"><h2>Summary</h2>'
            f"{_table(header, body, ident='summary-table')}</section>")  # fmt: skip


def _is_separator(line: str) -> bool:
    cells = line.strip().strip("|").split("|")
    return all(c.strip() and set(c.strip()) <= set("-:") for c in cells)


def _markdown(text: str) -> str:
    """The tables, headings and paragraphs of the benchmark's Markdown, as HTML."""
    out: list[str] = []
    block: list[str] = []

    def flush():
        if len(block) >= 2 and _is_separator(block[1]):
            cells = [[c.strip() for c in line.strip().strip("|").split("|")] for line in block]
            rows = [[_text_cell(x) for x in r] for r in cells[2:]]
            out.append(_table(cells[0], rows))
        else:
            out.extend(f"<p>{_e(line.strip())}</p>" for line in block)
        block.clear()

    for line in text.splitlines():
        row = line.strip()
        if len(row) > 1 and row.startswith("|") and row.endswith("|"):
            block.append(line)
            continue
        flush()
        if line.startswith("#"):
            level = min(len(line) - len(line.lstrip("#")) + 1, 4)
            out.append(f"<h{level}>{_e(line.lstrip('#').strip())}</h{level}>")
        elif row:
            out.append(f"<p>{_e(row)}</p>")
    flush()
    return "".join(out)


def _benchmark(folder: Path) -> str:
    parts = [_markdown((folder / "results.md").read_text())]
    for png, caption in (("pod.png", "probability of detection"), ("depth.png", "depth")):
        if (folder / png).is_file():
            parts.append(_figure(_file_uri(folder / png), caption, plot=True))
    return f'<section class="benchmark" id="benchmark"><h2>Benchmark</h2>{"".join(parts)}</section>'


def _text_cell(text: str) -> str:
    """A table cell showing ``text`` as written, numbers sortable by value."""
    try:
        value = float(text)
    except ValueError:
        return f"<td>{_e(text)}</td>"
    return f'<td class="num" data-value="{value}">{_e(text)}</td>'


def render_report(folder: Path) -> str:
    """The HTML report of a folder ``detect`` (or ``benchmark``) wrote.

    Parameters
    ----------
    folder : Path
        The command's output folder.

    Returns
    -------
    str
        A complete HTML document.

    Raises
    ------
    ThermodefectError
        When the folder is missing, holds neither detections nor benchmark results, mixes
        two runs, or lacks a file its records list.
    """
    from datetime import datetime, timezone

    from thermodefect import __version__

    folder = Path(folder)
    if not folder.is_dir():
        raise ThermodefectError("is not a folder", folder)
    records = read_runs(folder)
    benchmark = all((folder / f).is_file() for f in BENCHMARK_FILES)
    if not records and not benchmark:
        raise ThermodefectError(
            f"holds no detection (no *{RUN}, which detect writes beside each file's results) "
            "and no benchmark results (results.md and results.csv)",
            folder,
        )
    sections, tables = [], []
    for i, record in enumerate(records, 1):
        text, rows = _sequence(folder, record, i)
        sections.append(text)
        tables.append(rows)
    if benchmark:
        sections.append(_benchmark(folder))
    summary = _summary(records, tables) if records else ""
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    title = f"thermodefect report: {folder.resolve().name}"
    what = f"{len(records)} sequence(s)" if records else "benchmark results"
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{STYLE}</style></head><body>"
        f"<header><h1>{_e(title)}</h1><p class='muted'>{what} from "
        f"<code>{_e(folder.resolve())}</code>; made {stamp} by thermodefect {_e(__version__)}"
        '</p><p class="noprint"><button id="expand" type="button">Expand all</button>'
        '<button id="collapse" type="button">Collapse all</button></p></header>'
        f"{summary}{''.join(sections)}<script>{SCRIPT}</script></body></html>"
    )


def write_report(folder: Path, out: Path | None = None) -> Path:
    """Write the report of ``folder`` (atomically: nothing is written when it fails).

    Parameters
    ----------
    folder : Path
        A folder ``detect`` or ``benchmark`` wrote.
    out : Path, optional
        The HTML file (default ``folder/report.html``).

    Returns
    -------
    Path
    """
    from thermodefect.io.files import atomic_path

    out = Path(out) if out is not None else Path(folder) / REPORT
    text = render_report(folder)
    with atomic_path(out) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return out
