"""The machine a benchmark ran on, for the top of its report."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path


def describe() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = "unknown"
    for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
        if line.startswith("MemTotal:"):
            memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
            break
    # nproc: the CPUs this process may run on, which is what a container or taskset grants.
    cores = len(os.sched_getaffinity(0))
    # Other work on the machine shows in every figure; the load says how much there was.
    load = " ".join(Path("/proc/loadavg").read_text(encoding="utf-8").split()[:3])
    return (
        f"machine: {cores} CPUs available (nproc; {os.cpu_count()} online), {cpu}, {memory} RAM, "
        f"load average {load} at the start; Python {platform.python_version()} on "
        f"{platform.system()} {platform.release()} ({sys.executable})"
    )
