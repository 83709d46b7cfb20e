"""The machine this process runs on: how many CPUs it may use, and thread pools sized to them.

On a shared or containerised machine ``os.cpu_count()`` overstates what a process gets; BLAS,
OpenMP and torch then start one thread per core of the whole machine and fight each other
and every other process (the ``tiny`` preset took 57 s per specimen instead of 0.8 s on a
loaded 2-core machine). :func:`configure_threads` sizes every pool once, from the affinity
mask and the cgroup CPU quota; the command line calls it before any work.
"""

from __future__ import annotations

import logging
import math
import os
import sys
from pathlib import Path

__all__ = ["THREAD_VARIABLES", "available_cpus", "configure_threads"]

logger = logging.getLogger(__name__)

#: Environment variables through which the numerical libraries read their thread counts.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _quota(cgroup: Path) -> float | None:
    """CPUs allowed by a cgroup v2 ``cpu.max`` or v1 ``cpu.cfs_quota_us`` (None: no limit)."""
    try:
        quota, period = (cgroup / "cpu.max").read_text().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        quota_us = int((cgroup / "cpu" / "cpu.cfs_quota_us").read_text())
        period_us = int((cgroup / "cpu" / "cpu.cfs_period_us").read_text())
        return None if quota_us <= 0 else quota_us / period_us
    except (OSError, ValueError):
        return None


def available_cpus(cgroup: Path = Path("/sys/fs/cgroup")) -> int:
    """CPUs this process may use: its affinity mask, capped by a cgroup CPU quota.

    Parameters
    ----------
    cgroup : Path
        Where the cgroup file system is mounted.

    Returns
    -------
    int
        At least 1.
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    quota = _quota(cgroup)
    if quota is not None:
        cpus = min(cpus, math.ceil(quota))
    return max(1, cpus)


def configure_threads(threads: int | None = None) -> int:
    """Size the thread pools of OpenMP, BLAS and torch, once, to the CPUs available.

    Thread counts the user set in the environment are kept. Pools of libraries already
    loaded are resized at once (threadpoolctl, ``torch.set_num_threads``); libraries loaded
    later read the environment.

    Parameters
    ----------
    threads : int, optional
        Threads per pool; default :func:`available_cpus`, or the user's ``OMP_NUM_THREADS``.

    Returns
    -------
    int
        The thread count used.
    """
    user = os.environ.get("OMP_NUM_THREADS", "")
    if threads is None:
        threads = int(user) if user.isdigit() and int(user) > 0 else available_cpus()
    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, str(threads))
    if "numpy" in sys.modules:
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads)
    if "torch" in sys.modules:
        import torch

        torch.set_num_threads(threads)
    logger.debug("thread pools sized to %d", threads)
    return threads
