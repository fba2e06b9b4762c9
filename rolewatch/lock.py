"""A file lock so two `rolewatch run` from cron never overlap."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout
from sqlalchemy.engine import make_url

from config.schema import Config


class AlreadyRunning(Exception):
    """Raised by `cycle_lock` when another run holds the lock; the caller exits quietly."""


def lock_path(config: Config) -> Path:
    """Next to the SQLite file, or in the working directory for a server database."""
    url = make_url(config.database)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).expanduser().with_suffix(".lock")
    return Path("rolewatch.lock")


@contextmanager
def cycle_lock(config: Config, wait: float = 0) -> Iterator[None]:
    path = lock_path(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path))
    try:
        lock.acquire(timeout=wait)
    except Timeout:
        raise AlreadyRunning(str(path)) from None
    try:
        yield
    finally:
        lock.release()
