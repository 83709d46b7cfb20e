"""Annotations: labelme JSON to masks, and several annotators' masks to one ground truth.

labelme JSON (a plain documented format, no labelme or Qt needed): ``shapes`` is a list of
``{"label", "points": [[x, y], ...], "shape_type"}`` with shape types ``polygon`` (>= 3
points), ``rectangle`` (two corners), ``circle`` (centre, a point on the rim), ``line`` and
``linestrip`` (drawn ``line_width`` pixels wide, or the shape's own ``width``) and ``point``
(a disc of ``point_radius`` pixels). The image size comes from ``imageHeight`` /
``imageWidth``, else from the embedded ``imageData``, else from the image at ``imagePath``.
Coordinates are labelme's: x to the right, y down, in pixels of that image.
"""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from thermodefect.errors import ThermodefectError

__all__ = [
    "SHAPE_TYPES",
    "Annotation",
    "rasterize",
    "read_class_map",
    "write_labelme",
]

SHAPE_TYPES = ("polygon", "rectangle", "circle", "line", "linestrip", "point")


@dataclass
class Annotation:
    """A rasterised labelme file: the defect mask and, per pixel, the class index (0 = sound).

    Parameters
    ----------
    name : str
        The JSON file's stem.
    mask : (H, W) ndarray of bool
        True where any defect class was drawn.
    classes : (H, W) ndarray of uint8
        Class index per pixel: 0 sound, 1 without a class map, 255 for unknown labels.
    unknown_labels : list of str
        Labels missing from the class map, in order of appearance.
    """

    name: str
    mask: np.ndarray
    classes: np.ndarray
    unknown_labels: list[str] = field(default_factory=list)


def read_class_map(path: str | Path) -> dict[str, int]:
    """Read a label -> class index map from YAML or JSON (0 = sound, 1..254 = defect kinds).

    Parameters
    ----------
    path : str or Path
        The map, e.g. ``{"hole": 1, "delamination": 2, "sound": 0}``.

    Returns
    -------
    dict of str to int

    Raises
    ------
    ThermodefectError
        When the file is unreadable or maps a label to something other than 0..254.
    """
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ThermodefectError(f"cannot read the class map ({exc})", path) from exc
    if not isinstance(data, dict) or not all(
        isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 254 for v in data.values()
    ):
        raise ThermodefectError(
            "class map must map label names to integers 0..254 (0 = sound)", path
        )
    return {str(k): int(v) for k, v in data.items()}


def _image_size(doc: dict, json_path: Path) -> tuple[int, int]:
    h, w = doc.get("imageHeight"), doc.get("imageWidth")
    if isinstance(h, int) and isinstance(w, int) and h > 0 and w > 0:
        return h, w
    from PIL import Image, UnidentifiedImageError

    if doc.get("imageData"):
        try:
            with Image.open(io.BytesIO(base64.b64decode(doc["imageData"]))) as im:
                return im.height, im.width
        except (ValueError, OSError, UnidentifiedImageError) as exc:
            raise ThermodefectError(
                f"imageData is not a readable image ({exc})", json_path
            ) from exc
    image_path = doc.get("imagePath")
    if not image_path:
        raise ThermodefectError(
            "no image size: neither imageHeight/imageWidth, imageData nor imagePath", json_path
        )
    image = (json_path.parent / image_path).resolve()
    if not image.is_file():
        raise ThermodefectError(f"imagePath {image_path!r} does not exist ({image})", json_path)
    try:
        with Image.open(image) as im:
            return im.height, im.width
    except (OSError, UnidentifiedImageError) as exc:
        raise ThermodefectError(
            f"imagePath {image_path!r} is not a readable image", json_path
        ) from exc


def _extent(kind: str, pts: list, shape: dict, line_width: int, point_radius: float):
    """(x0, y0, x1, y1) that the drawn shape can cover, in pixels."""
    xs, ys = np.array([p[0] for p in pts]), np.array([p[1] for p in pts])
    if kind == "circle":
        r = float(np.hypot(xs[1] - xs[0], ys[1] - ys[0]))
        return xs[0] - r, ys[0] - r, xs[0] + r, ys[0] + r
    pad = {"point": float(shape.get("radius") or point_radius),
           "line": (shape.get("width") or line_width) / 2,
           "linestrip": (shape.get("width") or line_width) / 2}.get(kind, 0.0)  # fmt: skip
    return xs.min() - pad, ys.min() - pad, xs.max() + pad, ys.max() + pad


def _draw(draw, shape: dict, value: int, where: str, *, line_width: int, point_radius: float):
    kind = shape.get("shape_type") or "polygon"
    try:
        pts = [(float(x), float(y)) for x, y in shape.get("points", [])]
    except (TypeError, ValueError):
        raise ThermodefectError(f"{where}: points must be [x, y] pairs") from None
    bad = [i for i, p in enumerate(pts) if not np.all(np.isfinite(p))]
    if bad:
        raise ThermodefectError(
            f"{where}: point {bad[0]} {list(pts[bad[0]])} is not a finite number"
        )
    need = {"polygon": 3, "rectangle": 2, "circle": 2, "line": 2, "linestrip": 2, "point": 1}
    if kind not in need:
        raise ThermodefectError(
            f"{where}: unknown shape_type {kind!r}; known: {', '.join(SHAPE_TYPES)}"
        )
    if len(pts) < need[kind]:
        raise ThermodefectError(
            f"{where}: a {kind} needs at least {need[kind]} points, found {len(pts)}"
        )
    w, h = draw.im.size
    x0, y0, x1, y1 = _extent(kind, pts, shape, line_width, point_radius)
    if x1 < 0 or y1 < 0 or x0 > w - 1 or y0 > h - 1:
        raise ThermodefectError(
            f"{where}: the {kind} lies wholly outside the {h}x{w} image (it spans x "
            f"{x0:g}..{x1:g}, y {y0:g}..{y1:g}); was it drawn on another image?"
        )
    if kind == "polygon":
        draw.polygon(pts, fill=value, outline=value)
    elif kind == "rectangle":
        (x0, y0), (x1, y1) = pts[:2]
        draw.rectangle([min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)], fill=value)
    elif kind == "circle":
        (cx, cy), (px, py) = pts[:2]
        r = float(np.hypot(px - cx, py - cy))
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=value)
    elif kind in ("line", "linestrip"):
        width = int(shape.get("width") or line_width)
        draw.line(pts, fill=value, width=max(1, width), joint="curve")
    else:
        r = float(shape.get("radius") or point_radius)
        for cx, cy in pts:
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=value)


def rasterize(
    json_path: str | Path,
    class_map: dict[str, int] | None = None,
    *,
    line_width: int = 3,
    point_radius: float = 3.0,
) -> Annotation:
    """Turn one labelme JSON file into masks at its image's size.

    Without ``class_map`` every shape is a defect (class 1). With one, each label takes its
    class; class 0 marks sound material (it erases earlier shapes), and labels missing from
    the map are drawn as defects of class 255 and listed in ``unknown_labels``.

    Parameters
    ----------
    json_path : str or Path
        A labelme file.
    class_map : dict of str to int, optional
        Label -> class index (:func:`read_class_map`).
    line_width : int
        Width in pixels of ``line`` and ``linestrip`` shapes without their own ``width``.
    point_radius : float
        Radius in pixels of ``point`` shapes.

    Returns
    -------
    Annotation

    Raises
    ------
    ThermodefectError
        For unreadable JSON, a missing image size, or a shape that cannot be drawn.
    """
    from PIL import Image, ImageDraw

    json_path = Path(json_path)
    try:
        doc = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ThermodefectError(f"cannot read ({exc})", json_path) from exc
    except json.JSONDecodeError as exc:
        raise ThermodefectError(
            f"corrupt JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", json_path
        ) from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("shapes"), list):
        raise ThermodefectError("not a labelme file: no list of 'shapes'", json_path)
    h, w = _image_size(doc, json_path)
    canvas = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(canvas)
    unknown = []
    for i, shape in enumerate(doc["shapes"]):
        if not isinstance(shape, dict):
            raise ThermodefectError(f"shape {i} is not an object", json_path)
        label = str(shape.get("label", ""))
        if class_map is None:
            value = 1
        elif label in class_map:
            value = class_map[label]
        else:
            value = 255
            if label not in unknown:
                unknown.append(label)
        where = f"shape {i} ({label!r})"
        try:
            _draw(draw, shape, value, where, line_width=line_width, point_radius=point_radius)
        except ThermodefectError as exc:
            raise ThermodefectError(exc.problem, json_path) from None
    classes = np.asarray(canvas, dtype=np.uint8)
    return Annotation(json_path.stem, classes > 0, classes, unknown)


def _outline(component: np.ndarray) -> list[list[float]]:
    """The outline of one connected mask component as [x, y] points: the centres of its
    boundary pixels in order (a polygon labelme and :func:`rasterize` fill back to the
    component's pixels), collinear points dropped."""
    from scipy import ndimage
    from skimage.measure import approximate_polygon, find_contours

    filled = np.pad(ndimage.binary_fill_holes(component), 1)
    crossing = max(find_contours(filled.astype(np.float32), 0.5, fully_connected="high"), key=len)
    # each crossing lies halfway between an inside and an outside pixel: take the inside one
    lo, hi = np.floor(crossing).astype(int), np.ceil(crossing).astype(int)
    pick_lo = filled[lo[:, 0], lo[:, 1]]
    centres = np.where(pick_lo[:, None], lo, hi)
    keep = np.r_[True, np.any(np.diff(centres, axis=0) != 0, axis=1)]
    centres = approximate_polygon(centres[keep].astype(float), tolerance=0.01) - 1.0
    if len(centres) > 1 and np.array_equal(centres[0], centres[-1]):
        centres = centres[:-1]
    points = [[float(c), float(r)] for r, c in centres]
    return points + [points[-1]] * (3 - len(points))  # labelme wants 3 points at least


def write_labelme(
    mask: np.ndarray, path: str | Path, *, label: str = "defect", image_path: str = ""
) -> Path:
    """Write a mask as a labelme file: one polygon per connected defect (8-connected).

    labelme polygons have no holes: a sound hole inside a defect is written as defect.

    Parameters
    ----------
    mask : (H, W) array_like of bool
        True = defect.
    path : str or Path
        The JSON file (written atomically).
    label : str
        The label of every polygon.
    image_path : str
        labelme's ``imagePath`` (the image the polygons were drawn on), may be empty.

    Returns
    -------
    Path

    Examples
    --------
    >>> import tempfile
    >>> m = np.zeros((5, 6), bool); m[1:3, 2:5] = True
    >>> with tempfile.TemporaryDirectory() as d:
    ...     bool((rasterize(write_labelme(m, Path(d) / "m.json")).mask == m).all())
    True
    """
    from scipy import ndimage

    from thermodefect.io.files import atomic_path

    mask = np.asarray(mask, bool)
    components, n = ndimage.label(mask, structure=np.ones((3, 3)))
    shapes: list[dict] = [{"label": label, "points": _outline(components == k), "group_id": None,
               "shape_type": "polygon", "flags": {}} for k in range(1, n + 1)]  # fmt: skip
    h, w = mask.shape
    doc = {"version": "5.0.1", "flags": {}, "shapes": shapes, "imagePath": image_path,
           "imageData": None, "imageHeight": h, "imageWidth": w}  # fmt: skip
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    return path
