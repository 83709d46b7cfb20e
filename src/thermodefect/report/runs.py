"""The record ``detect`` keeps of each file: ``{name}_run.json``, where the result came from.

A record holds the input's name, path and SHA-256, its shape, frame rate, pixel pitch and
units, the package version, every setting of the command, what was found and the files
written. :func:`read_runs` reads a detect folder's records back for the report and refuses a
folder that mixes runs of different settings or has lost a listed file.
"""

from __future__ import annotations

import json
from pathlib import Path

from thermodefect.errors import ThermodefectError
from thermodefect.sequence import Sequence

__all__ = [
    "RUN",
    "read_runs",
    "run_record",
    "write_run",
]

RUN = "_run.json"
KIND = "thermodefect detect run"
REQUIRED = ("name", "file", "sha256", "shape", "settings", "method", "outputs")


def _jsonable(value):
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def run_record(
    path: Path,
    seq: Sequence,
    *,
    name: str,
    method: str,
    defects: int,
    out_of_distribution: str | None,
    settings: dict,
    outputs: list[str],
    sha256: str | None = None,
) -> dict:
    """The record of one detection.

    Parameters
    ----------
    path : Path
        The input file.
    seq : Sequence
        It, as loaded.
    name : str
        Its output stem.
    method : str
        What found the defects (``pct``, ``model:NAME``, ...).
    defects : int
        How many were found.
    out_of_distribution : str or None
        Why the input lies outside what the detectors know.
    settings : dict
        Every setting of the command (values made JSON-safe).
    outputs : list of str
        File names written into the output folder for this input.
    sha256 : str, optional
        The input's SHA-256 when the caller has it (:func:`thermodefect.batch.sha256`);
        computed here otherwise.

    Returns
    -------
    dict
    """
    from thermodefect import __version__
    from thermodefect.batch import sha256 as file_sha256

    meta = seq.meta
    return {
        "kind": KIND,
        "version": __version__,
        "name": name,
        "file": str(Path(path).resolve()),
        "sha256": file_sha256(Path(path)) if sha256 is None else sha256,
        "shape": list(seq.frames.shape),
        "frame_rate_hz": meta.frame_rate,
        "pixel_pitch_mm": meta.pixel_pitch_mm,
        "units": meta.units,
        "baseline": meta.baseline,
        "method": method,
        "defects": defects,
        "out_of_distribution": out_of_distribution,
        "settings": _jsonable(settings),
        "outputs": list(outputs),
    }


def write_run(record: dict, out: Path) -> Path:
    """Write ``out/{name}_run.json`` atomically.

    Parameters
    ----------
    record : dict
        What :func:`run_record` returned.
    out : Path
        The output folder.

    Returns
    -------
    Path
    """
    from thermodefect.io.files import atomic_path

    path = Path(out) / f"{record['name']}{RUN}"
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(record, indent=2))
    return path


def _read(path: Path) -> dict:
    try:
        record = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ThermodefectError(f"not a readable run record ({exc})", path) from None
    if not isinstance(record, dict) or record.get("kind") != KIND:
        raise ThermodefectError("not a thermodefect detect run record", path)
    missing = [k for k in REQUIRED if k not in record]
    if missing:
        raise ThermodefectError(f"run record lacks {', '.join(missing)}", path)
    return record


def _setting_difference(a: dict, b: dict) -> str:
    keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    return ", ".join(f"{k} {a.get(k)!r} vs {b.get(k)!r}" for k in keys[:3])


def read_runs(folder: Path) -> list[dict]:
    """Every run record of a detect folder, in name order, checked.

    Parameters
    ----------
    folder : Path
        A folder ``detect`` wrote.

    Returns
    -------
    list of dict
        The records (empty when the folder has none).

    Raises
    ------
    ThermodefectError
        For an unreadable record, records made with different settings (two runs in one
        folder), or an output a record lists that is missing.
    """
    folder = Path(folder)
    records = [_read(p) for p in sorted(folder.glob(f"*{RUN}"))]
    for record in records[1:]:
        first = records[0]
        if record["settings"] != first["settings"] or record["version"] != first["version"]:
            differ = _setting_difference(first["settings"], record["settings"]) or (
                f"version {first['version']} vs {record['version']}"
            )
            raise ThermodefectError(
                f"holds two runs ({first['name']}{RUN} and {record['name']}{RUN}: {differ}); "
                "report one detect run per folder",
                folder,
            )
    for record in records:
        for output in record["outputs"]:
            if not (folder / output).is_file():
                raise ThermodefectError(
                    f"{output} is missing (listed in {record['name']}{RUN})", folder
                )
    return records
