"""Classical detection on plates shaped like the independent FE simulations of issue #11.

Unidirectional CFRP 2 mm thick (17:1 in-plane anisotropy), 100 x 100 pixels at 0.2 mm, 600
frames at 60 Hz, one pre-flash frame, a 5 ms flash, no camera effect but 2 mK quantisation,
and a faint polygonal texture of 20 mK that fades over 0.5 s, like a solver's mesh; once
sound and once with two 50 um resin inserts (5 mm at 0.8 mm deep, 4 mm at 1.0 mm). Prints,
per method, the regions, the IoU and the largest z of the feature image.

    python benchmarks/fe_like_study.py
"""

from __future__ import annotations

RESIN = {"name": "resin", "k_x": 0.2, "k_y": 0.2, "k_z": 0.2, "density": 1200,
         "heat_capacity": 1200}  # fmt: skip


def _insert(x: float, y: float, side: float, depth: float) -> dict:
    return {"kind": "insert", "shape": "square", "center_mm": [x, y], "size_mm": side,
            "depth_mm": depth, "material": RESIN, "thickness_mm": 0.05}  # fmt: skip


#: Every camera effect off except 2 mK quantisation, plus the mesh texture.
FE_CAMERA = {
    "blur_px": 0, "netd_k": 0, "offset_k": 0, "gain": 0, "dead_pixels": 0, "hot_pixels": 0,
    "emissivity_variation": 0, "drift_k": 0, "count_k": 0.002, "mesh_k": 0.02,
    "mesh_fade_s": 0.5,
}  # fmt: skip


def plate(defects: list, seed: int = 0):
    """The sequence described in the module docstring."""
    from thermodefect.simulate import from_dict, run

    spec = from_dict({
        "name": "fe_like", "seed": seed,
        "plate": {"thickness_mm": 2.0, "material": "cfrp-ud"}, "defects": defects,
        "flash": {"profile": "uniform", "duration_s": 0.005},
        "camera": {"height": 100, "width": 100, "pixel_pitch_mm": 0.2, "frame_rate": 60.0,
                   "n_frames": 600, "preflash_frames": 1, **FE_CAMERA},
        "solver": {"nz": 16},
    })  # fmt: skip
    return run(spec)[0]


def main() -> None:
    from thermodefect.detect import detect
    from thermodefect.methods import METHODS

    print("| plate | method | regions | IoU | max z |")
    print("| --- | --- | --- | --- | --- |")
    for name, defects in (("sound", []), ("two inserts", [_insert(6, 6, 5, 0.8),
                                                          _insert(14, 13, 4, 1.0)])):  # fmt: skip
        seq = plate(defects)
        for method in METHODS:
            found = detect(seq, method)
            union = (found.mask | seq.mask).sum()
            iou = f"{(found.mask & seq.mask).sum() / union:.2f}" if seq.mask.any() else "-"
            print(f"| {name} | {method} | {len(found.regions)} | {iou} | "
                  f"{found.feature.max():.1f} |")  # fmt: skip


if __name__ == "__main__":
    main()
