"""Thread pools sized from the CPUs a process may use, not from the whole machine."""

from __future__ import annotations

import os
import subprocess
import sys

from thermodefect.runtime import available_cpus


def test_a_cgroup_quota_caps_the_cpus(tmp_path):
    affinity = len(os.sched_getaffinity(0))
    (tmp_path / "cpu.max").write_text("150000 100000\n")  # 1.5 CPUs -> 2 threads
    assert available_cpus(tmp_path) == min(affinity, 2)
    (tmp_path / "cpu.max").write_text("50000 100000\n")
    assert available_cpus(tmp_path) == 1
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert available_cpus(tmp_path) == affinity
    assert available_cpus(tmp_path / "absent") == affinity


def test_the_cli_sizes_torch_and_blas_once_and_keeps_the_users_choice():
    code = (
        "import os; from thermodefect.runtime import configure_threads; "
        "n = configure_threads(); import torch; "
        "print(n, torch.get_num_threads(), os.environ['OPENBLAS_NUM_THREADS'])"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS",
           "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    n, torch_threads, blas = out.stdout.split()
    assert n == torch_threads == blas == str(available_cpus())
    env["OMP_NUM_THREADS"] = "1"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.split() == ["1", "1", "1"]
