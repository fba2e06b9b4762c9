"""Files only their owner may read: the database, mail and feeds hold postings, addresses and
digests, and must not be world-readable under a permissive (022) umask."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def make_private_folder(path: Path) -> None:
    """`path` and every missing parent, created owner-only; folders that exist are left alone
    (a user who chose their modes keeps them)."""
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process may have made it meanwhile
            folder.mkdir(mode=FOLDER_MODE)


def create_private_file(path: Path) -> None:
    """An empty owner-only file at `path` unless one exists (SQLite then keeps its mode, and
    gives it to the -wal and -shm files it makes beside it)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))


def write_private(path: Path, content: bytes) -> None:
    """`content` into `path`, which is made owner-only whatever the umask or its old mode."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(descriptor, "wb") as handle:
        os.fchmod(handle.fileno(), FILE_MODE)
        handle.write(content)
