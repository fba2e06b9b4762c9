"""Run one benchmark step as a child process: wall time, exit status, output, peak RSS.

The peak RSS is the largest VmHWM (a process's own high-water mark, reset by exec) of the
child and its descendants (rolewatch's crawl command starts crawl processes), polled from
/proc every 50 ms while the step runs. `ru_maxrss` from wait4 or RUSAGE_CHILDREN cannot be
used: Linux carries the forking process's RSS across fork and exec into it, so every step
would read at least as large as this benchmark's own process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

PYTHON = sys.executable
ROLEWATCH = str(Path(sys.executable).with_name("rolewatch"))


@dataclass(frozen=True)
class Run:
    seconds: float
    returncode: int
    stdout: list[str]
    stderr: str
    peak_rss_mib: float  # of the largest process in the child's tree


def run(command: Sequence[str]) -> Run:
    """Run `command` to its end, its stdin empty."""
    started = time.perf_counter()
    with open(os.devnull, "rb") as stdin:
        child = subprocess.Popen(
            list(command),
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    assert child.stdout is not None and child.stderr is not None
    # Stderr is drained beside stdout, so a step that warns a lot cannot fill its pipe and stall.
    errors: list[str] = []
    reader = threading.Thread(target=lambda: errors.append(child.stderr.read() if child.stderr else ""))
    reader.start()
    peak = [0]
    done = threading.Event()
    watcher = threading.Thread(target=_watch, args=(child.pid, peak, done), daemon=True)
    watcher.start()
    lines = [line.rstrip("\n") for line in child.stdout]
    reader.join()
    # Its memory is gone once it exits: the watcher's last poll, at most 50 ms old, stands for
    # its end.
    child.wait()
    seconds = time.perf_counter() - started
    done.set()
    watcher.join()
    child.stdout.close()
    child.stderr.close()
    return Run(seconds, child.returncode, lines, "".join(errors), peak[0] / 1024)


def _watch(root: int, peak: list[int], done: threading.Event) -> None:
    while not done.is_set():
        for pid in _tree(root):
            peak[0] = max(peak[0], _high_water_kib(pid))
        done.wait(0.05)


def _tree(root: int) -> list[int]:
    """`root` and its descendants, from the parent pid in each /proc/<pid>/stat."""
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue  # gone since the listing
            # The command name (field 2) is parenthesised and may hold spaces or parentheses.
            parents[int(entry.name)] = int(stat.rpartition(")")[2].split()[1])
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        tree += frontier
    return tree


def _high_water_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0
