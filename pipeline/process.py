"""Which process owns a crawl run, and whether that process is still there."""

from __future__ import annotations

import os
import socket
from pathlib import Path


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_gone(owner: str) -> bool:
    """True when `owner` ("host:pid") is a process of this machine that no longer runs
    rolewatch. Another machine's process cannot be checked from here: never gone."""
    host, _, pid_text = owner.rpartition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, as another user
    try:  # the pid may have been reused by an unrelated program since
        return b"rolewatch" not in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def crawling_elsewhere(owner: str | None) -> bool:
    """True when `owner` is another process than this one and may still be crawling: its run
    is not this process's to settle."""
    return bool(owner) and owner != this_process() and not owner_gone(owner or "")
