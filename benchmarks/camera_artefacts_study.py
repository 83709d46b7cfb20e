"""Detection under each camera artefact of the simulator, one at a time.

A 3 mm CFRP plate, 96 x 128 pixels at 0.5 mm, Gaussian flash, 120 frames at 10 Hz, the default
camera plus one artefact; once sound and once with two flat-bottom holes (6 mm at 0.5 mm deep,
8 mm at 1.0 mm). Prints the regions PCT, TSR and PPT report and the built-in network's regions
and IoU.

    python benchmarks/camera_artefacts_study.py
"""

from __future__ import annotations

VARIANTS = {
    "default camera": {},
    "stripes 0.05 K": {"stripes_k": 0.05},
    "row noise 0.05 K": {"row_noise_k": 0.05},
    "interlace 0.1 K": {"interlace_k": 0.1},
    "vignetting 0.3": {"vignetting": 0.3},
    "motion 0.5 px": {"motion_px": 0.5},
    "8 dead/hot clusters": {"bad_clusters": 8},
    "8 bits, 20 mK": {"bits": 8, "count_k": 0.02, "floor_k": 0.5},
}
HOLES = [
    {"kind": "hole", "center_mm": [20, 24], "size_mm": 6, "depth_mm": 0.5},
    {"kind": "hole", "center_mm": [44, 20], "size_mm": 8, "depth_mm": 1.0},
]


def main() -> None:
    from thermodefect.detect import detect, detect_with_model, load_model
    from thermodefect.simulate import from_dict, run

    model = load_model()
    camera = {"height": 96, "width": 128, "n_frames": 120, "frame_rate": 10.0}
    print("| plate | artefact | pct | tsr | ppt | network regions | network IoU |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for plate, defects in (("sound", []), ("two holes", HOLES)):
        for name, extra in VARIANTS.items():
            spec = from_dict({
                "name": "study", "seed": 1,
                "plate": {"thickness_mm": 3.0, "material": "cfrp"}, "defects": defects,
                "flash": {"profile": "gaussian", "nonuniformity": 0.3},
                "camera": {**camera, **extra}, "solver": {"nz": 16},
            })  # fmt: skip
            seq = run(spec)[0]
            counts = [len(detect(seq, m).regions) for m in ("pct", "tsr", "ppt")]
            net = detect_with_model(seq, model)
            union = (net.mask | seq.mask).sum()
            iou = f"{(net.mask & seq.mask).sum() / union:.2f}" if seq.mask.any() else "-"
            cells = " | ".join(str(c) for c in counts)
            print(f"| {plate} | {name} | {cells} | {len(net.regions)} | {iou} |")


if __name__ == "__main__":
    main()
