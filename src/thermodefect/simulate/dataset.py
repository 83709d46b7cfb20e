"""Writing simulated specimens in the seed's folder layout, one at a time or as datasets.

Layout::

    OUT_DIR/{name}.mat               data (H, W, T) float32, first frame subtracted; time; fps
    OUT_DIR/labels/{name}_label.png  ground truth, black = defect, white = sound
    OUT_DIR/{name}.json              the spec (same schema as --spec input) + ground_truth
    OUT_DIR/{name}.h5                our HDF5, with --hdf5
    OUT_DIR/manifest.csv             one row per specimen with its split
"""

from __future__ import annotations

import csv
import json
import logging
import os
from pathlib import Path

import numpy as np

from thermodefect.errors import ThermodefectError
from thermodefect.io.files import atomic_path

__all__ = [
    "MANIFEST_FIELDS",
    "SPLITS",
    "generate",
    "manifest_row",
    "move_into",
    "read_manifest",
    "split_of",
    "with_solver",
    "write_manifest",
    "write_specimen",
]

logger = logging.getLogger(__name__)

SPLITS = (("train", 0.7), ("val", 0.15), ("test", 0.15))
MANIFEST_FIELDS = (
    "name", "split", "preset", "material", "thickness_mm", "n_defects", "min_depth_mm",
    "max_depth_mm", "heating", "netd_k", "frames", "height", "width", "solver", "family",
)  # fmt: skip


def write_specimen(out: Path, spec, sequence, ground_truth: dict, *, hdf5: bool = False) -> Path:
    """Write one specimen: its ``.mat``, label PNG, JSON (spec and ground truth), and HDF5.

    Parameters
    ----------
    out : Path
        The dataset folder.
    spec : SimulationSpec
        What was simulated.
    sequence : Sequence
        The recorded frames with their mask.
    ground_truth : dict
        As :func:`thermodefect.simulate.run` returns it.
    hdf5 : bool
        Also write ``{name}.h5``.

    Returns
    -------
    Path
        The ``.mat`` file.
    """
    from thermodefect import __version__
    from thermodefect.io import save
    from thermodefect.io.masks import write_label_png

    out = Path(out)
    name = spec.name
    mat = save(sequence, out / f"{name}.mat")
    write_label_png(sequence.mask, out / "labels" / f"{name}_label.png")
    doc = {**spec.to_dict(), "ground_truth": ground_truth, "thermodefect_version": __version__}
    with atomic_path(out / f"{name}.json") as tmp:
        tmp.write_text(json.dumps(doc, indent=2))
    if hdf5:
        save(sequence, out / f"{name}.h5")
    return mat


def split_of(n: int, seed: int) -> list[str]:
    """A fixed train/val/test assignment by specimen (70/15/15, each split non-empty for n >= 3).

    Parameters
    ----------
    n : int
        Specimens.
    seed : int
        Dataset seed.

    Returns
    -------
    list of str
        The split of each specimen.
    """
    order = np.random.default_rng([seed, 99]).permutation(n)
    n_val = max(1, round(n * SPLITS[1][1])) if n >= 3 else 0
    n_test = max(1, round(n * SPLITS[2][1])) if n >= 3 else 0
    labels = ["train"] * n
    for rank, index in enumerate(order):
        if rank < n_test:
            labels[index] = "test"
        elif rank < n_test + n_val:
            labels[index] = "val"
    return labels


def manifest_row(spec, split: str, preset: str, sequence) -> dict:
    """One manifest row describing a specimen.

    Parameters
    ----------
    spec : SimulationSpec
        The specimen.
    split : str
        Its split.
    preset : str
        The preset that drew it.
    sequence : Sequence
        Its recorded frames.

    Returns
    -------
    dict
        A value for every field of :data:`MANIFEST_FIELDS`.
    """
    depths = [d.depth_mm for d in spec.plate.defects]
    return {
        "name": spec.name,
        "split": split,
        "preset": preset,
        "material": spec.plate.body_material().name,
        "thickness_mm": spec.plate.thickness_mm,
        "n_defects": len(depths),
        "min_depth_mm": min(depths) if depths else "",
        "max_depth_mm": max(depths) if depths else "",
        "heating": spec.flash.profile,
        "netd_k": spec.camera.netd_k,
        "frames": sequence.n_frames,
        "height": sequence.image_shape[0],
        "width": sequence.image_shape[1],
        "solver": spec.solver.method,
        "family": spec.family,
    }


def write_manifest(out: Path, rows: list[dict]) -> Path:
    """Write ``manifest.csv`` (one row per specimen) atomically.

    Parameters
    ----------
    out : Path
        The dataset folder.
    rows : list of dict
        :func:`manifest_row` of every specimen.

    Returns
    -------
    Path
    """
    path = Path(out) / "manifest.csv"
    with atomic_path(path) as tmp:
        tmp.write_text(
            ",".join(MANIFEST_FIELDS)
            + "\n"
            + "".join(",".join(str(r[k]) for k in MANIFEST_FIELDS) + "\n" for r in rows)
        )
    return path


def generate(
    out: Path,
    preset: str,
    n: int,
    seed: int = 0,
    *,
    device: str = "cpu",
    hdf5: bool = False,
    quiet: bool = False,
    solver: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    retries: int = 2,
) -> Path:
    """Simulate ``n`` specimens of ``preset`` into ``out``.

    Specimen i is drawn from ``numpy.random.default_rng([seed, i])``, so any specimen can be
    regenerated alone and the same seed gives the same bytes. Check sets
    (:data:`~thermodefect.simulate.presets.CHECK_SETS`) put every specimen in the test split.
    The dataset is written into a staging folder beside ``out`` (``.NAME.partial``) and
    moved into ``out`` only when every specimen and the manifest are there: an interrupted
    run leaves ``out`` as it was, and the same command run again resumes with the specimens
    not finished yet. With ``workers`` or ``scheduler`` the specimens are Dask tasks
    (:mod:`thermodefect.batch`), finished in any order.

    Parameters
    ----------
    out : Path
        The dataset folder.
    preset : str
        A name of :data:`~thermodefect.simulate.presets.PRESETS`.
    n : int
        Specimens.
    seed : int
        Dataset seed.
    device : str
        Torch device of the solver.
    hdf5 : bool
        Also write HDF5 files.
    quiet : bool
        No progress bar.
    solver : {'fv', 'fe'}, optional
        Simulate with this solver instead of the preset's.
    workers : int, optional
        Worker processes of a local Dask cluster.
    scheduler : str, optional
        Address of a running Dask scheduler instead.
    retries : int
        Times a crashed task is tried again (Dask runs).

    Returns
    -------
    Path
        The manifest.

    Raises
    ------
    ThermodefectError
        For an unknown preset or n < 1, or a Dask run that cannot start.
    """
    from tqdm import tqdm

    from thermodefect.simulate.presets import CHECK_SETS, PRESETS

    PRESETS.check(preset)
    if n < 1:
        raise ThermodefectError(f"--n must be at least 1, got {n}")
    splits = ["test"] * n if preset in CHECK_SETS else split_of(n, seed)
    out = Path(out)
    stage = out.parent / f".{out.name}.partial"
    job = {"preset": preset, "n": n, "seed": seed, "hdf5": hdf5, "solver": solver}
    rows = _resume(stage, job)
    todo = [i for i in range(n) if i not in rows]
    bar = tqdm(total=n, initial=n - len(todo), desc=f"simulate {preset}", unit="specimen",
               disable=quiet or None)  # fmt: skip
    tasks = dict(preset=preset, n=n, seed=seed, stage=stage, device=device, hdf5=hdf5,
                 solver=solver)  # fmt: skip
    for i, row in _specimens(todo, tasks, workers, scheduler, retries):
        rows[i] = dict(row, split=splits[i])
        _record_progress(stage, job, rows)
        logger.info("simulated %s (%s split)", row["name"], splits[i])
        bar.update()
    bar.close()
    from thermodefect.batch import remove_leftovers

    remove_leftovers(stage)  # the parts a killed worker was writing
    write_manifest(stage, [rows[i] for i in range(n)])
    (stage / PROGRESS).unlink()
    move_into(stage, out)
    return out / "manifest.csv"


def simulate_specimen(i: int, *, preset: str, n: int, seed: int, stage: Path, device: str,
                      hdf5: bool, solver: str | None) -> tuple[int, dict]:  # fmt: skip
    """Draw, simulate and write specimen ``i`` of a dataset (one task of :func:`generate`).

    Parameters
    ----------
    i : int
        The specimen's index.
    preset, n, seed, device, hdf5, solver
        As :func:`generate`'s.
    stage : Path
        The staging folder.

    Returns
    -------
    i : int
    row : dict
        Its manifest row (split to be set by the caller).
    """
    from thermodefect.simulate import run
    from thermodefect.simulate.presets import PRESETS

    width = len(str(n - 1))
    spec = PRESETS[preset](
        np.random.default_rng([seed, i]), f"{preset.replace('-', '_')}_{i:0{width}d}"
    )
    if solver:
        spec = with_solver(spec, solver)
    sequence, truth = run(spec, device=device)
    write_specimen(stage, spec, sequence, truth, hdf5=hdf5)
    return i, manifest_row(spec, "", preset, sequence)


def _specimens(todo: list[int], tasks: dict, workers, scheduler, retries: int):
    """(i, row) of every specimen of ``todo``, in order, or as Dask finishes them."""
    if not (workers or scheduler):
        for i in todo:
            yield simulate_specimen(i, **tasks)
        return
    if not todo:
        return
    from functools import partial

    from thermodefect.batch import dask_client

    Path(tasks["stage"]).mkdir(parents=True, exist_ok=True)
    with dask_client(workers, scheduler) as client:
        from dask.distributed import as_completed

        futures = [client.submit(partial(simulate_specimen, **tasks), i, retries=retries,
                                 pure=False, key=f"specimen-{i}") for i in todo]  # fmt: skip
        for future in as_completed(futures):
            yield future.result()


def with_solver(spec, method: str):
    """``spec`` simulated by ``method`` ('fv' or 'fe') instead of its own solver.

    Parameters
    ----------
    spec : SimulationSpec
        A specimen.
    method : {'fv', 'fe'}
        The solver.

    Returns
    -------
    SimulationSpec
    """
    from dataclasses import replace

    return replace(spec, solver=replace(spec.solver, method=method))


PROGRESS = ".progress.json"


def _resume(stage: Path, job: dict) -> dict[int, dict]:
    """Manifest rows, by specimen index, of the specimens an interrupted run of the same job
    finished."""
    import shutil

    try:
        done = json.loads((stage / PROGRESS).read_text())
    except (OSError, ValueError):
        done = None
    if done is not None and done.get("job") == job:
        rows = done["rows"]
        rows = dict(enumerate(rows)) if isinstance(rows, list) else rows  # a serial run's list
        logger.info("resuming %s after %d specimens", stage, len(rows))
        return {int(i): row for i, row in rows.items()}
    shutil.rmtree(stage, ignore_errors=True)
    return {}


def _record_progress(stage: Path, job: dict, rows: dict[int, dict]) -> None:
    stage.mkdir(parents=True, exist_ok=True)
    with atomic_path(stage / PROGRESS) as tmp:
        tmp.write_text(json.dumps({"job": job, "rows": rows}))


def move_into(stage: Path, out: Path) -> None:
    """Move everything in ``stage`` into ``out`` (replacing files of the same names) and
    remove ``stage``: the folder appears at once when ``out`` does not exist yet.

    Parameters
    ----------
    stage : Path
        A complete staging folder.
    out : Path
        The destination folder.
    """
    import shutil

    if not out.exists():
        stage.rename(out)
        return
    for item in sorted(stage.rglob("*")):
        target = out / item.relative_to(stage)
        if item.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            os.replace(item, target)
    shutil.rmtree(stage)


def read_manifest(data_dir: Path) -> list[dict]:
    """The rows of a dataset's ``manifest.csv`` as dictionaries (all values are strings).

    Parameters
    ----------
    data_dir : Path
        A folder written by :func:`generate` or ``thermodefect simulate``.

    Returns
    -------
    list of dict
        One row per specimen: ``name``, ``split``, ``preset`` and the columns of
        :data:`MANIFEST_FIELDS`.

    Raises
    ------
    ThermodefectError
        When the folder holds no manifest.
    """
    path = Path(data_dir) / "manifest.csv"
    if not path.is_file():
        raise ThermodefectError(
            "no manifest.csv: not a dataset written by thermodefect simulate", data_dir
        )
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))
