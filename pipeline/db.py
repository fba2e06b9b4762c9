"""Engines, sessions and schema upgrades. SQLite gets WAL, a busy timeout and casefold() on every
connection."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

import migrations
from pipeline.casefold import register_sqlite
from pipeline.private import create_private_file, make_private_folder

# How long a SQLite write waits for another process's (ROLEWATCH_SQLITE_BUSY_TIMEOUT, seconds).
SQLITE_BUSY_TIMEOUT_MS = int(float(os.environ.get("ROLEWATCH_SQLITE_BUSY_TIMEOUT") or 30) * 1000)


def make_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        # Plain postgresql:// would pick psycopg2, which rolewatch does not install.
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            path = Path(database).expanduser()
            make_private_folder(path.parent)
            create_private_file(path)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    register_sqlite(dbapi_connection)


def insert_ignoring(session: Session, table: Any, keys: list[str]) -> Any:
    """INSERT … ON CONFLICT (keys) DO NOTHING, in the dialect of the session's database (the
    generic `insert` has no ON CONFLICT)."""
    from sqlalchemy.dialects.postgresql import insert as postgresql_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    dialect_insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
    return dialect_insert(table).on_conflict_do_nothing(index_elements=keys)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(engine: Engine) -> Any:
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (a no-op when it is current)."""
    from alembic import command

    command.upgrade(alembic_config(engine), "head")


def is_current(engine: Engine) -> bool:
    if not inspect(engine).has_table("alembic_version"):
        return False
    with engine.connect() as connection:
        current = set(connection.scalars(text("SELECT version_num FROM alembic_version")))
    return current == {migrations.HEAD}


class SchemaNotCurrent(Exception):
    """Raised by `open_current` for a database that is missing or not migrated: read-only
    commands say so and exit rather than create or change it."""


def open_current(url: str) -> Engine:
    """An engine on a database whose schema is already current; never creates or migrates."""
    parsed = make_url(url)
    file = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if file and file != ":memory:" and not Path(file).expanduser().exists():
        raise SchemaNotCurrent(
            f"no database at {parsed.database} yet: run `rolewatch run` or `rolewatch db upgrade`"
        )
    engine = make_engine(url)
    if not is_current(engine):
        engine.dispose()
        raise SchemaNotCurrent("the database schema is not current: run `rolewatch db upgrade`")
    return engine


def open_database(url: str) -> Engine:
    """An engine on an up-to-date schema, migrating it first if needed (for commands that
    write: `db upgrade`, `demo`, `run`, `crawl`, `digest`, the daemon)."""
    engine = make_engine(url)
    if not is_current(engine):
        with migration_lock(engine):
            if not is_current(engine):  # another process may have migrated it meanwhile
                upgrade(engine)
    return engine


# Any fixed number: the key of the PostgreSQL advisory lock that serializes migrations.
_MIGRATION_LOCK_KEY = 7_264_051_915


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """Held while the schema is migrated, so that two commands (or workers) starting on a new
    database do not both create it: an advisory lock on PostgreSQL, a lock file beside a SQLite
    file."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _MIGRATION_LOCK_KEY})
        return
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    lock = Path(f"{Path(database).expanduser()}.migrating")
    create_private_file(lock)
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
