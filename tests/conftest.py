"""Shared fixtures: real local HTTP and SMTP servers, and databases (SQLite, PostgreSQL)."""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from config.loader import parse_config
from config.schema import Config
from pipeline.db import open_database, session_factory
from pipeline.models import Event, Posting, PostingVersion
from rolewatch.boardserver import BoardServer
from rolewatch.crawling import CrawlOutcome, crawl_in_subprocess

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "tests" / "fixtures" / "real"
DEMO_DATA = ROOT / "rolewatch" / "demo_data"
POSTGRES_URL = os.environ.get("ROLEWATCH_TEST_POSTGRES_URL")
# The fleet's messages are sealed with this key; the tests' workers inherit it.
QUEUE_KEY = "test-fleet-key-0123456789abcdef"
os.environ.setdefault("ROLEWATCH_QUEUE_KEY", QUEUE_KEY)


def real_payload(relative: str) -> Any:
    """A recorded board payload (see tests/fixtures/real/SOURCES.md), decoded."""
    path = DEMO_DATA / relative if (DEMO_DATA / relative).exists() else REAL / relative
    return json.loads(path.read_text(encoding="utf-8"))


def stored_postings(database_url: str) -> dict[str, dict[str, Any]]:
    """The newest stored data of every posting, by external id."""
    engine = open_database(database_url)
    with session_factory(engine)() as session:
        rows = session.execute(select(Posting.external_id, PostingVersion.data).join(PostingVersion.posting))
        stored = {external_id: data for external_id, data in rows}
    engine.dispose()
    return stored


@pytest.fixture
def board_server() -> Iterator[BoardServer]:
    with BoardServer() as server:
        yield server


def _database_params() -> list[Any]:
    params: list[Any] = ["sqlite"]
    if POSTGRES_URL:
        params.append("postgresql")
    return params


@pytest.fixture(params=_database_params())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a private schema on the test PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'rolewatch.db'}"
        return
    assert POSTGRES_URL
    schema = f"t_{uuid.uuid4().hex[:12]}"
    url = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    scoped = url.update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on a fresh, migrated `database_url`."""
    engine = open_database(database_url)
    yield session_factory(engine)
    engine.dispose()


class SmtpSink:
    """Messages an aiosmtpd server received, parsed."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        return [
            message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)  # type: ignore[misc]
            for envelope in self.envelopes
        ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_factory() -> Iterator[Callable[..., tuple[Controller, SmtpSink]]]:
    """Start real aiosmtpd servers on 127.0.0.1; keyword arguments go to aiosmtpd's SMTP."""
    started: list[Controller] = []

    def start(sink: SmtpSink | None = None, **smtp_options: Any) -> tuple[Controller, SmtpSink]:
        sink = sink or SmtpSink()
        controller = Controller(sink, hostname="127.0.0.1", port=free_port(), **smtp_options)
        controller.start()
        started.append(controller)
        return controller, sink

    yield start
    for controller in started:
        controller.stop()


@pytest.fixture
def smtp_server(
    smtp_factory: Callable[..., tuple[Controller, SmtpSink]],
) -> tuple[Controller, SmtpSink]:
    return smtp_factory()


@pytest.fixture
def make_config(tmp_path: Path) -> Callable[..., Config]:
    """Write a YAML config into tmp_path and load it, as a user's file would be."""

    def build(text: str, name: str = "rolewatch.yaml") -> Config:
        path = tmp_path / name
        path.write_text(text)
        return parse_config(text, str(path))

    return build


def crawl_source(config: Config, name: str, timeout: float = 120) -> CrawlOutcome:
    """Crawl one source through the real crawl process, as `rolewatch crawl NAME` does."""
    (outcome,) = crawl_in_subprocess(config, [name], timeout=timeout)
    return outcome


def version_and_event_counts(database_url: str) -> tuple[int, int]:
    """How many posting versions and events are stored: an unchanged crawl adds none."""
    engine = open_database(database_url)
    with session_factory(engine)() as session:
        versions = session.scalar(select(func.count()).select_from(PostingVersion)) or 0
        events = session.scalar(select(func.count()).select_from(Event)) or 0
    engine.dispose()
    return versions, events
