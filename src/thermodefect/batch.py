"""Many files on a Dask cluster: one task per file, a manifest that makes reruns resume.

``run_batch`` submits ``work(path)`` for every input to a local cluster of worker processes
(``workers``) or to a running scheduler (``scheduler``, e.g. one started by dask-jobqueue on
Slurm or on Kubernetes). Each task writes its own outputs (every file atomically); the
manifest ``OUT/manifest.json`` records, per input, its SHA-256, the settings' digest, the
status and the outputs, and is rewritten (atomically) after every file. A rerun skips the
inputs whose content, settings and outputs are unchanged and redoes the failed and missing
ones. ``OUT/summary.csv`` lists every input of the run. A worker that dies loses its task to
another worker (Dask's own rescheduling); a task that raises is retried ``retries`` times;
bad input (:class:`~thermodefect.errors.ThermodefectError`) is reported, not retried.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from thermodefect.errors import ThermodefectError, short
from thermodefect.io.files import TEMP_PREFIX, atomic_path

__all__ = [
    "MANIFEST",
    "SCHEDULER_TIMEOUT_S",
    "SUMMARY",
    "BatchRun",
    "FileResult",
    "Manifest",
    "dask_client",
    "file_records",
    "remove_leftovers",
    "run_batch",
    "settings_digest",
    "sha256",
]

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
SUMMARY = "summary.csv"

#: Seconds to wait for a running scheduler before saying it cannot be reached.
SCHEDULER_TIMEOUT_S = 10.0


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes (of every file, in name order, for a folder).

    Parameters
    ----------
    path : Path
        A file, or a folder (of CSV frames).

    Returns
    -------
    str
    """
    digest = hashlib.sha256()
    for part in sorted(path.rglob("*")) if path.is_dir() else [path]:
        if part.is_file():
            with open(part, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(chunk)
    return digest.hexdigest()


def file_records(files) -> dict:
    """Where a set of input files lies and what each held: for the record of a model made
    from them.

    Parameters
    ----------
    files : sequence of Path
        Files of one folder (at least one).

    Returns
    -------
    dict
        ``folder`` (absolute) and ``files``: one ``{"name", "sha256"}`` per file.
    """
    paths = [Path(f) for f in files]
    return {"folder": str(paths[0].parent.resolve()),
            "files": [{"name": p.name, "sha256": sha256(p)} for p in paths]}  # fmt: skip


@dataclass
class FileResult:
    """What one task did with one input.

    Parameters
    ----------
    file : str
        The input.
    sha256 : str
        Its content's digest.
    status : {'done', 'failed'}
        Whether its outputs were written.
    outputs : list of str
        Files written, relative to the output folder.
    summary : dict
        Figures for the summary table (``defects``, ``out_of_distribution`` ...).
    error : str
        The one-line problem of a failed input.
    seconds : float
        Time the task took.
    """

    file: str
    sha256: str = ""
    status: str = "failed"
    outputs: list[str] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    error: str = ""
    seconds: float = 0.0


@dataclass
class Manifest:
    """The record of a batch's output folder (``OUT/manifest.json``).

    Parameters
    ----------
    settings : str
        Digest of the settings the outputs were made with.
    files : dict of str to FileResult
        By input path.
    """

    settings: str
    files: dict[str, FileResult] = field(default_factory=dict)

    @classmethod
    def read(cls, out: Path, settings: str) -> Manifest:
        """The manifest in ``out``; an empty one when it is missing, unreadable or made with
        other settings.

        Parameters
        ----------
        out : Path
            The output folder.
        settings : str
            The digest of this run's settings.

        Returns
        -------
        Manifest
        """
        try:
            doc = json.loads((out / MANIFEST).read_text())
            if doc.get("settings") != settings:
                return cls(settings)
            files = {k: FileResult(**v) for k, v in doc["files"].items()}
        except (OSError, ValueError, KeyError, TypeError):
            return cls(settings)
        return cls(settings, files)

    def finished(self, path: Path, digest: str, out: Path) -> bool:
        """Whether ``path`` with content ``digest`` was done and its outputs are all there.

        Parameters
        ----------
        path : Path
            An input.
        digest : str
            Its SHA-256 now.
        out : Path
            The output folder.

        Returns
        -------
        bool
        """
        done = self.files.get(str(path))
        return (
            done is not None
            and done.status == "done"
            and done.sha256 == digest
            and all((out / name).is_file() for name in done.outputs)
        )

    def write(self, out: Path) -> None:
        """Write the manifest atomically.

        Parameters
        ----------
        out : Path
            The output folder.
        """
        doc = {"settings": self.settings, "files": {k: asdict(v) for k, v in self.files.items()}}
        with atomic_path(out / MANIFEST) as tmp:
            tmp.write_text(json.dumps(doc, indent=1))


def settings_digest(settings: dict) -> str:
    """A digest of the settings that decide the outputs (JSON, keys sorted).

    Parameters
    ----------
    settings : dict
        JSON-serialisable values (paths as strings).

    Returns
    -------
    str
    """
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _task(work: Callable[[Path], tuple[list[str], dict]], path: Path, digest: str) -> FileResult:
    """Run ``work`` on one input inside a worker; bad input is a result, not an error."""
    start = time.perf_counter()
    result = FileResult(str(path), digest)
    try:
        result.outputs, result.summary = work(path)
        result.status = "done"
    except ThermodefectError as exc:
        result.error = exc.naming(path)
    result.seconds = round(time.perf_counter() - start, 3)
    return result


def dask_client(workers: int | None, scheduler: str | None):
    """A Dask client of a local cluster of ``workers`` processes, or of ``scheduler``.

    Parameters
    ----------
    workers : int, optional
        Worker processes of a local cluster (each with its share of the CPUs).
    scheduler : str, optional
        Address of a running scheduler instead.

    Returns
    -------
    distributed.Client
        Use it as a context manager: closing it closes a local cluster too.

    Raises
    ------
    ThermodefectError
        When Dask is not installed or the scheduler cannot be reached.
    """
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ThermodefectError(
            "--workers and --scheduler need Dask: pip install 'thermodefect[dask]'"
        ) from None
    if scheduler:
        try:
            return Client(scheduler, timeout=f"{SCHEDULER_TIMEOUT_S}s")
        except OSError as exc:
            raise ThermodefectError(
                f"cannot reach the Dask scheduler {scheduler} ({short(exc)})"
            ) from exc
    from thermodefect.runtime import THREAD_VARIABLES, available_cpus

    # Each worker's BLAS, OpenMP and torch pools get its share of the CPUs. Worker processes
    # (and those restarted after a crash) inherit this process's environment, which the
    # command line sized for one process; its own pools are loaded and keep their size.
    share = str(max(1, available_cpus() // max(1, workers or 1)))
    os.environ.update(dict.fromkeys(THREAD_VARIABLES, share))
    cluster = LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    return Client(cluster)


@dataclass
class BatchRun:
    """The outcome of :func:`run_batch`.

    Parameters
    ----------
    results : list of FileResult
        One per input, in the order given.
    skipped : int
        Inputs finished by an earlier run with the same content and settings, not redone.
    """

    results: list[FileResult]
    skipped: int


def run_batch(
    files: list[Path],
    work: Callable[[Path], tuple[list[str], dict]],
    out: Path,
    *,
    settings: dict,
    workers: int | None = None,
    scheduler: str | None = None,
    retries: int = 2,
    progress: bool = True,
) -> BatchRun:
    """Run ``work`` on every file as a Dask task, resuming from ``out``'s manifest.

    Parameters
    ----------
    files : list of Path
        The inputs.
    work : callable
        ``work(path) -> (outputs relative to out, summary dict)``, picklable (a module-level
        function or a :func:`functools.partial` of one); raises
        :class:`~thermodefect.errors.ThermodefectError` for bad input.
    out : Path
        The output folder (it receives ``manifest.json`` and ``summary.csv``).
    settings : dict
        What decides the outputs: a rerun with other settings redoes every file.
    workers : int, optional
        Worker processes of a local cluster.
    scheduler : str, optional
        Address of a running Dask scheduler instead (``tcp://host:8786``).
    retries : int
        Times a task that raises another exception is tried again.
    progress : bool
        Show a progress bar on stderr.

    Returns
    -------
    BatchRun
        A result per input, in the order given (skipped inputs as the manifest had them).

    Raises
    ------
    ThermodefectError
        When Dask is missing or the scheduler cannot be reached.
    """
    from tqdm import tqdm

    out.mkdir(parents=True, exist_ok=True)
    manifest = Manifest.read(out, settings_digest(settings))
    digests = {path: sha256(path) for path in files}
    todo = [p for p in files if not manifest.finished(p, digests[p], out)]
    logger.info("%d of %d files to do, %d finished before", len(todo), len(files),
                len(files) - len(todo))  # fmt: skip
    if todo:
        with dask_client(workers, scheduler) as client:
            from dask.distributed import as_completed

            futures = [client.submit(_task, work, p, digests[p], key=f"file-{i}-{digests[p][:12]}",
                                     retries=retries, pure=False)
                       for i, p in enumerate(todo)]  # fmt: skip
            bar = tqdm(total=len(todo), unit="file", disable=not progress, leave=False)
            for future in as_completed(futures):
                try:
                    result = future.result()
                except Exception as exc:  # a task that failed every retry
                    index = futures.index(future)
                    result = FileResult(str(todo[index]), digests[todo[index]], error=short(exc))
                manifest.files[result.file] = result
                manifest.write(out)
                bar.update()
            bar.close()
    remove_leftovers(out)
    results = [manifest.files[str(p)] for p in files]
    _write_summary(results, out)
    return BatchRun(results, len(files) - len(todo))


def remove_leftovers(out: Path) -> None:
    """Remove the temporary files a killed worker left behind (its finished files are whole).

    Parameters
    ----------
    out : Path
        A folder tasks wrote into.
    """
    for leftover in out.rglob(f"{TEMP_PREFIX}*"):
        leftover.unlink(missing_ok=True)


def _write_summary(results: list[FileResult], out: Path) -> None:
    keys = sorted({k for r in results for k in r.summary})
    with atomic_path(out / SUMMARY) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file", "sha256", "status", *keys, "seconds", "error"])
        for r in results:
            writer.writerow([r.file, r.sha256, r.status, *(r.summary.get(k, "") for k in keys),
                             r.seconds, r.error])  # fmt: skip
