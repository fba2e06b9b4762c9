"""The Alembic migrations build exactly the schema the models describe, and upgrade a database
that already holds data without losing any."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, select

import migrations
from pipeline.db import alembic_config, is_current, make_engine, open_database, session_factory
from pipeline.models import Base, Event, OutboxItem
from pipeline.search import outside_index


def test_the_migrations_build_the_schema_the_models_describe(database_url: str) -> None:
    engine = open_database(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"include_name": outside_index})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_the_head_every_command_checks_for_is_alembics_newest_revision(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert ScriptDirectory.from_config(alembic_config(engine)).get_heads() == [migrations.HEAD]
        command.downgrade(alembic_config(engine), "base")
        assert not is_current(engine)
        command.upgrade(alembic_config(engine), "head")
        assert is_current(engine)
        command.downgrade(alembic_config(engine), "-1")
        assert not is_current(engine)
    finally:
        engine.dispose()


def test_a_database_with_events_and_outbox_items_upgrades_and_downgrades_keeping_them(
    database_url: str,
) -> None:
    # An outbox row refers to its event: a migration that rebuilt the events table would break
    # that reference (SQLite checks foreign keys on every connection here).
    engine = make_engine(database_url)
    command.upgrade(alembic_config(engine), "0001")
    tables = MetaData()
    tables.reflect(engine)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    rows = {
        "sources": {"id": 1, "name": "stripe", "type": "greenhouse", "created_at": now},
        "postings": {
            "id": 1, "source_id": 1, "external_id": "1", "fingerprint": "f", "status": "open",
            "first_seen": now, "last_seen": now, "missing_count": 0, "current_hash": "h", "version_count": 1,
        },
        "posting_versions": {
            "id": 1, "posting_id": 1, "number": 1, "content_hash": "h", "data": {}, "seen_at": now,
        },
        "events": {
            "id": 1, "posting_id": 1, "version_id": 1, "type": "new", "backfill": False, "created_at": now,
        },
        "outbox": {"id": 1, "recipient": "me@example.com", "event_id": 1, "watches": "w", "status": "pending",
                   "created_at": now},
    }  # fmt: skip
    with engine.begin() as connection:
        for name, row in rows.items():
            connection.execute(tables.tables[name].insert().values(**row))
    engine.dispose()

    engine = open_database(database_url)
    try:
        with engine.connect() as connection:
            assert connection.execute(select(Event.id, Event.announced)).all() == [(1, True)]
            assert connection.execute(select(OutboxItem.id, OutboxItem.event_id)).all() == [(1, 1)]
        command.downgrade(alembic_config(engine), "0001")  # and back, keeping the rows
        with engine.connect() as connection:
            assert connection.execute(select(OutboxItem.id, OutboxItem.event_id)).all() == [(1, 1)]
    finally:
        engine.dispose()


def test_items_and_digests_stored_under_a_url_with_its_token_are_renamed_to_the_redacted_name(
    database_url: str,
) -> None:
    from config.schema import stored_address
    from pipeline.models import Digest

    hook = "https://hooks.slack.com/services/T000/B000/SECRETTOKEN"
    engine = make_engine(database_url)
    command.upgrade(alembic_config(engine), "0007")
    tables = MetaData()
    tables.reflect(engine)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        ("sources", {"id": 1, "name": "stripe", "type": "greenhouse", "created_at": now}),
        ("postings", {
            "id": 1, "source_id": 1, "external_id": "1", "fingerprint": "f", "status": "open",
            "first_seen": now, "last_seen": now, "missing_count": 0, "current_hash": "h", "version_count": 1,
        }),
        ("posting_versions", {
            "id": 1, "posting_id": 1, "number": 1, "content_hash": "h", "data": {}, "seen_at": now,
        }),
        ("events", {
            "id": 1, "posting_id": 1, "version_id": 1, "type": "new", "backfill": False, "created_at": now,
        }),
        ("digests", {"id": 1, "recipient": hook, "message_id": "<1@rolewatch>", "status": "sent",
                     "created_at": now, "attempts": 1}),
        ("outbox", {"id": 1, "recipient": hook, "event_id": 1, "watches": "w", "status": "pending",
                    "created_at": now}),
        ("outbox", {"id": 2, "recipient": "me@example.com", "event_id": 1, "watches": "w",
                    "status": "pending", "created_at": now}),
    ]  # fmt: skip
    with engine.begin() as connection:
        for name, row in rows:
            connection.execute(tables.tables[name].insert().values(**row))
    engine.dispose()

    engine = open_database(database_url)
    try:
        with engine.connect() as connection:
            outbox = connection.execute(select(OutboxItem.id, OutboxItem.recipient).order_by(OutboxItem.id))
            assert outbox.all() == [(1, stored_address(hook)), (2, "me@example.com")]
            assert connection.scalars(select(Digest.recipient)).all() == [stored_address(hook)]
    finally:
        engine.dispose()
    assert "SECRETTOKEN" not in stored_address(hook)
    assert stored_address(hook).startswith("https://hooks.slack.com/… #")


def test_postings_stored_before_the_search_index_existed_are_found_after_the_upgrade(
    database_url: str,
) -> None:
    from rolewatch.search import search_postings

    engine = make_engine(database_url)
    command.upgrade(alembic_config(engine), "0008")
    tables = MetaData()
    tables.reflect(engine)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    posting = {"source_id": 1, "fingerprint": "f", "status": "open", "first_seen": now, "last_seen": now,
               "missing_count": 0, "current_hash": "h"}  # fmt: skip
    rows = [
        ("sources", {"id": 1, "name": "stripe", "type": "greenhouse", "created_at": now}),
        ("postings", {"id": 1, "external_id": "1", "version_count": 2, **posting}),
        ("postings", {"id": 2, "external_id": "2", "version_count": 1, **posting}),
        ("posting_versions", {"id": 1, "posting_id": 1, "number": 1, "content_hash": "a", "seen_at": now,
                              "data": {"title": "Chef", "description": "Cooking for the team."}}),
        ("posting_versions", {"id": 2, "posting_id": 1, "number": 2, "content_hash": "b", "seen_at": now,
                              "data": {"title": "Site Reliability Engineer", "department": "Infrastructure",
                                       "description": "Keep the databases up."}}),
        ("posting_versions", {"id": 3, "posting_id": 2, "number": 1, "content_hash": "c", "seen_at": now,
                              "data": {"title": "Accountant", "description": "Reliability of the books."}}),
    ]  # fmt: skip
    with engine.begin() as connection:
        for name, row in rows:
            connection.execute(tables.tables[name].insert().values(**row))
    engine.dispose()

    engine = open_database(database_url)
    try:
        with session_factory(engine)() as session:

            def found(query: str) -> list[int]:
                return [hit.posting.id for hit in search_postings(session, query)]

            assert found('"site reliability"') == [1]
            assert found("database infrastructure") == [1]  # a department, a stemmed word
            assert found("reliability") == [1, 2]  # the title's hit first
            assert found("cooking") == []  # only the current version is indexed
    finally:
        engine.dispose()
