"""`rolewatch mcp`: a Model Context Protocol server on the official SDK, whose tools answer
from the store with the JSON API's shapes (`rolewatch.paged`). Read-only unless mute tools are
allowed; tools are plain functions, which the SDK runs in worker threads."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from mcp_types import ToolAnnotations
from pydantic import Field
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from config.schema import Config
from notifier.mutes import mute, unmute
from notifier.stream import EventFilter, UnknownWatch, find_watch
from pipeline.db import session_factory
from pipeline.states import MuteKind
from rolewatch.paged import (
    BadRequest,
    PostingSearch,
    events_page,
    parse_since,
    posting_detail,
    postings_page,
    source_health,
)
from rolewatch.queries import NotFound, explain_posting, find_posting

READING = ToolAnnotations(read_only_hint=True, open_world_hint=False)
MUTING = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
# Pages an assistant asks for are short: its context is the cost.
TOOL_LIMIT = 20

Limit = Annotated[int, Field(ge=1, le=200, description="At most this many rows in the page.")]
Cursor = Annotated[str | None, Field(description="The `next` of the page before, to read on.")]
Since = Annotated[str | None, Field(description="ISO 8601 date or time (UTC unless it says).")]
PostingRef = Annotated[str, Field(description="A posting: its number, or source:external_id.")]


def build_server(config: Config, engine: Engine, allow_mute: bool = False) -> MCPServer[Any]:
    """The server and its tools over `engine` (a database whose schema is current)."""
    sessions = session_factory(engine)
    server: MCPServer[Any] = MCPServer(
        "rolewatch",
        instructions="Job postings rolewatch has stored from career boards: search them, read a "
        "posting's versions, recent events of a watch, why a posting matches a watch, and "
        "each source's crawl health. Lists come in pages: pass `next` back as `cursor`.",
        log_level="WARNING",
    )

    @contextmanager
    def answering() -> Iterator[Session]:
        """A session; what the caller got wrong comes back as the tool's error text."""
        try:
            with sessions() as session:
                yield session
        except (BadRequest, NotFound) as error:
            raise ToolError(str(error)) from None

    @server.tool(annotations=READING)
    def search_postings(
        query: Annotated[str | None, Field(description='Words all found, or a "quoted phrase".')] = None,
        status: Literal["open", "closed"] | None = None,
        company: Annotated[list[str] | None, Field(description="Any of these companies (any case).")] = None,
        source: Annotated[list[str] | None, Field(description="Any of these sources (needs query).")] = None,
        place: Annotated[list[str] | None, Field(description="Any of these places (needs query).")] = None,
        workplace: list[Literal["remote", "hybrid", "onsite"]] | None = None,
        min_pay: Annotated[
            str | None, Field(description="Yearly pay floor: 150k, 120kEUR (needs query).")
        ] = None,
        since: Since = None,
        watch: Annotated[str | None, Field(description="Only what this watch matches (needs query).")] = None,
        limit: Limit = TOOL_LIMIT,
        cursor: Cursor = None,
    ) -> dict[str, Any]:
        """Stored postings: with `query`, those holding its words, most relevant first; without,
        the newest first. Each is a posting as `rolewatch postings --json` prints it."""
        with answering() as session:
            search = PostingSearch(
                text=query, status=status, companies=tuple(company or ()), since=parse_since(since),
                sources=tuple(source or ()), places=tuple(place or ()), workplace=tuple(workplace or ()),
                min_pay=min_pay, watch=watch,
            )  # fmt: skip
            return postings_page(session, config, search, cursor, limit).as_json()

    @server.tool(annotations=READING)
    def posting_history(posting: PostingRef) -> dict[str, Any]:
        """A posting, every version of it with what changed old -> new, and the field diff
        between each version and the next (as `rolewatch history` and `diff` show them)."""
        with answering() as session:
            return posting_detail(session, posting)

    @server.tool(annotations=READING)
    def recent_events(
        watch: Annotated[str | None, Field(description="What this watch tells of, mutes honoured.")] = None,
        since: Since = None,
        type: Literal["new", "changed", "closed", "reopened"] | None = None,
        source: str | None = None,
        company: str | None = None,
        limit: Limit = TOOL_LIMIT,
        cursor: Cursor = None,
    ) -> dict[str, Any]:
        """Events newest first (a posting appeared, changed, closed, reopened), each with its
        field diff, as `rolewatch events --json` prints them."""
        with answering() as session:
            where = EventFilter(parse_since(since), type, source, company, watch)
            return events_page(session, config, where, cursor, limit).as_json()

    @server.tool(annotations=READING)
    def explain_match(
        posting: PostingRef,
        watch: Annotated[str | None, Field(description="Only this watch's verdicts.")] = None,
    ) -> dict[str, Any]:
        """Whether the newest version of a posting matches each recipient's watches, the
        conditions it met and the one it failed (as `rolewatch check --explain` says)."""
        with answering() as session:
            if watch is not None:
                _known_watch(config, watch)
            explained = explain_posting(session, config, find_posting(session, posting))
            if watch is not None:
                explained["watches"] = [row for row in explained["watches"] if row["watch"] == watch]
            return explained

    @server.tool(annotations=READING)
    def source_status() -> dict[str, Any]:
        """Each configured source's last crawl: complete, incomplete or failed, what it saw and
        its problems (as `rolewatch status --json` prints them)."""
        with answering() as session:
            return {"items": source_health(session, config), "next": None}

    if allow_mute:
        _add_mute_tools(server, answering)
    return server


def _known_watch(config: Config, name: str) -> None:
    try:
        find_watch(config, name)
    except UnknownWatch as error:
        raise NotFound(str(error)) from None


def _add_mute_tools(server: MCPServer[Any], answering: Callable[[], Any]) -> None:
    """mute and unmute, as the commands of those names do."""

    def target(session: Session, posting: str | None, company: str | None) -> tuple[MuteKind, str, str]:
        if (posting is None) == (company is None):
            raise BadRequest("give a posting (its number or source:external_id) or a company")
        if company is not None:
            return MuteKind.COMPANY, company, f"company {company!r}"
        found = find_posting(session, posting or "")
        return (
            MuteKind.POSTING,
            str(found.id),
            f"posting {found.id} ({found.source.name}:{found.external_id})",
        )

    @server.tool(name="mute", annotations=MUTING)
    def mute_tool(posting: str | None = None, company: str | None = None) -> dict[str, Any]:
        """Tell of a posting (its number or source:external_id) or a company no more, in any
        digest or outlet; its pending digest items are dropped."""
        with answering() as session, session.begin():
            kind, value, label = target(session, posting, company)
            return {"muted": label, "dropped": mute(session, kind, value)}

    @server.tool(name="unmute", annotations=MUTING)
    def unmute_tool(posting: str | None = None, company: str | None = None) -> dict[str, Any]:
        """Tell of a muted posting or company again, from its next event on."""
        with answering() as session, session.begin():
            kind, value, label = target(session, posting, company)
            return {"unmuted": label, "was_muted": bool(unmute(session, kind, value))}


def loopback_security(host: str) -> TransportSecuritySettings:
    """Requests must name a loopback host (and come from a loopback page, if from a browser):
    a page elsewhere that points its name at this machine is refused (DNS rebinding)."""
    named = f"[{host}]" if ":" in host else host
    hosts = ["127.0.0.1", "localhost", "[::1]", named]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[f"{name}:*" for name in hosts],
        allowed_origins=[f"http://{name}:*" for name in hosts],
    )
