"""The typed model of rolewatch's YAML configuration file.

Unknown keys are rejected everywhere, so a typo is an error with a line number rather than a
setting that silently does nothing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import timedelta
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

from config.crontab import cron_trigger
from config.families import FAMILIES, known_family
from config.printable import Printable
from config.watches import resolve_all
from pipeline.states import EventType

Workplace = Literal["remote", "hybrid", "onsite"]

_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"not a duration: {text!r}")
    return timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def format_duration(value: timedelta) -> str:
    """The way people write it: 7200 seconds is "2h", 90 seconds "90s"."""
    seconds = int(value.total_seconds())
    for unit in ("d", "h", "m"):
        if seconds and seconds % _UNIT_SECONDS[unit] == 0:
            return f"{seconds // _UNIT_SECONDS[unit]}{unit}"
    return f"{seconds}s"


def _duration(value: object) -> object:
    if isinstance(value, str):
        if not _DURATION.match(value):
            raise ValueError("expected a duration such as 30s, 15m, 2h or 1d")
        return parse_duration(value)
    if not isinstance(value, timedelta):
        raise ValueError("expected a duration such as 30s, 15m, 2h or 1d")
    return value


# Written "30s", "15m", "2h" or "1d"; parsed once, when the config loads, and written back the
# same way (a config crosses to crawl processes as JSON).
Duration = Annotated[timedelta, BeforeValidator(_duration), PlainSerializer(format_duration, return_type=str)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _valid_cron(value: str | None, timezone: str) -> None:
    if value is not None:
        try:
            cron_trigger(value, timezone)
        except (ValueError, LookupError) as error:
            raise ValueError(f"invalid cron schedule {value!r}: {error}") from None


class Schedule(Strict):
    """When a source is crawled: `{every: 2h}` or `{cron: "0 */2 * * *"}`."""

    every: Duration | None = None
    cron: str | None = None
    timezone: str = "UTC"
    jitter: Duration | None = None

    @model_validator(mode="after")
    def _one_of(self) -> Schedule:
        if (self.every is None) == (self.cron is None):
            raise ValueError("give exactly one of 'every' or 'cron'")
        _valid_cron(self.cron, self.timezone)
        return self

    def __str__(self) -> str:
        jitter = f" (jitter {format_duration(self.jitter)})" if self.jitter else ""
        when = f"every {format_duration(self.every)}" if self.every else f"cron {self.cron!r}"
        zone = f" {self.timezone}" if self.cron and self.timezone != "UTC" else ""
        return f"{when}{zone}{jitter}"


class SmtpSettings(Strict):
    host: Printable
    port: int = 587
    starttls: bool = True
    ssl: bool = False
    username: Printable | None = None
    password_env: str | None = None
    timeout: float = 30.0
    # A private relay's CA certificate (PEM); the system's trust store otherwise.
    ca_file: str | None = None

    @model_validator(mode="after")
    def _tls_choice(self) -> SmtpSettings:
        if self.ssl and self.starttls:
            raise ValueError("choose either 'ssl' (implicit TLS) or 'starttls', not both")
        return self


class MailConfig(Strict):
    transport: Literal["maildir", "smtp", "stdout"] = "maildir"
    maildir: Printable = "./mail"
    from_: Printable = Field("rolewatch <rolewatch@localhost>", alias="from")
    smtp: SmtpSettings | None = None
    subject_prefix: Printable = "[rolewatch]"
    # A folder whose digest.html.j2 / digest.txt.j2 replace the built-in templates.
    templates: Printable | None = None
    # Where a recipient asks to stop digests (List-Unsubscribe): a mailto: or https: URL; by
    # default a mail to the sender, who runs rolewatch.
    unsubscribe: Annotated[Printable, Field(pattern=r"^(mailto:|https://)")] | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _smtp_needs_settings(self) -> MailConfig:
        if self.transport == "smtp" and self.smtp is None:
            raise ValueError("transport 'smtp' needs an 'smtp' section with at least 'host'")
        return self


class SelectorSpec(Strict):
    """Where a plain HTML page keeps each field: a CSS selector, or an XPath when the value
    starts with "/" or "xpath:". Checked when the config loads, not mid-crawl."""

    title: str | None = None
    description: str | None = None
    location: str | None = None
    salary: str | None = None
    company: str | None = None

    @field_validator("title", "description", "location", "salary", "company")
    @classmethod
    def _parses(cls, value: str | None) -> str | None:
        if value is not None:
            from parsel import Selector

            kind, query = selector_query(value)
            try:
                getattr(Selector(text="<html></html>"), kind)(query)
            except Exception as error:  # cssselect and lxml raise their own error types
                label = "XPath" if kind == "xpath" else "CSS"
                raise ValueError(f"invalid {label} selector {query!r}: {error}") from None
        return value


def selector_query(value: str) -> tuple[Literal["css", "xpath"], str]:
    """("xpath", expression) for "xpath:..." or "/..." (also "(//h1)[1]"), else ("css", selector)."""
    value = value.strip()
    if value.startswith("xpath:"):
        return "xpath", value[len("xpath:") :].strip()
    if value.startswith(("/", "(/")):
        return "xpath", value
    return "css", value


class SourceConfig(Strict):
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    type: Annotated[str, AfterValidator(known_family)]
    board: Printable | None = None
    company: Printable | None = None
    urls: list[str] = []
    schedule: Schedule = Schedule(every=timedelta(hours=2))
    api_base: str | None = None
    # Consecutive complete crawls a posting must be missing from before it is closed.
    close_after_missing: Annotated[int, Field(ge=1)] = 2
    max_shrink: Annotated[float, Field(gt=0, le=1)] = 0.5
    timeout: Duration = timedelta(minutes=15)
    # Overrides of `crawl.max_postings` and `crawl.max_raw_mb` for this source.
    max_postings: Annotated[int, Field(ge=1)] | None = None
    max_raw_mb: Annotated[int, Field(ge=1)] | None = None
    # jsonld / selectors: regexes for links to follow from `urls` (and links to skip).
    follow: list[str] = []
    deny: list[str] = []
    selectors: SelectorSpec | None = None

    @field_validator("follow", "deny")
    @classmethod
    def _patterns_compile(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(f"invalid regular expression {value!r}: {error}") from None
        return values

    @model_validator(mode="after")
    def _family_settings(self) -> SourceConfig:
        if self.type == "selectors" and (
            self.selectors is None or not self.selectors.title or not self.selectors.description
        ):
            raise ValueError("a 'selectors' source needs 'selectors' with at least title and description")
        if self.type == "workday" and self.board and (self.board.count("/") != 1 or not self.api_base):
            raise ValueError(
                "a 'workday' source needs 'board: tenant/site' and 'api_base' "
                "(the careers host, e.g. https://nvidia.wd5.myworkdayjobs.com)"
            )
        if self.type == "oracle" and not self.api_base:
            raise ValueError(
                "an 'oracle' source needs 'board' (the site number, e.g. CX_1) and 'api_base' "
                "(the tenant's host, e.g. https://ejov.fa.ca2.oraclecloud.com)"
            )
        return self

    @model_validator(mode="after")
    def _needs_board(self) -> SourceConfig:
        if FAMILIES[self.type].needs == "urls":
            if not self.urls:
                raise ValueError(f"a '{self.type}' source needs 'urls'")
        elif not self.board:
            raise ValueError(f"a '{self.type}' source needs 'board' (the board/company token)")
        return self


class MinSalary(Strict):
    amount: Annotated[float, Field(ge=0)]
    currency: str = "USD"
    include_unknown: bool = False


class Topic(Strict):
    """A subject a posting is about: one `title` term, or at least `min_text` distinct `text` terms."""

    title: list[str] = []
    text: list[str] = []
    min_text: Annotated[int, Field(ge=1)] = 3


class Signal(Strict):
    """One named piece of evidence: `weight` for each distinct term of `terms` found in `fields`,
    counting at most `most` terms. A negative weight counts against."""

    name: Printable
    weight: float
    terms: Annotated[list[str], Field(min_length=1)]
    fields: list[Literal["title", "description", "department"]] = ["title"]
    most: Annotated[int, Field(ge=1)] = 1


class Score(Strict):
    """Evidence weighed together: the posting matches when its signals add up to `threshold`."""

    signals: Annotated[list[Signal], Field(min_length=1)]
    threshold: float


class WatchRule(Strict):
    """Which postings and events a person cares about. All given conditions must hold."""

    name: Printable
    extends: Printable | None = None
    any: list[str] = []
    all: list[str] = []
    none: list[str] = []
    fields: list[Literal["title", "description", "department"]] = ["title", "description"]
    title_any: list[str] = []
    title_none: list[str] = []
    regex: str | None = None
    topic: Topic | None = None
    score: Score | None = None
    workplace: list[Workplace] = []
    min_salary: MinSalary | None = None
    companies: list[str] = []
    companies_none: list[str] = []
    # Any of these places (aliases such as "SF" or "NYC" are understood).
    locations: list[str] = []
    # For `changed` events: only these fields matter (title, salary, locations, workplace, ...).
    changed_fields: list[str] = []
    sources: list[str] = []
    events: list[EventType] = list(EventType)

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(f"invalid regular expression: {error}") from None
        return value


class DigestSchedule(Strict):
    immediate: bool = False
    cron: str | None = None
    timezone: str = "UTC"

    def __str__(self) -> str:
        if self.immediate:
            return "as soon as there is news"
        zone = f" {self.timezone}" if self.timezone != "UTC" else ""
        return f"cron {self.cron!r}{zone}"

    @model_validator(mode="after")
    def _one_of(self) -> DigestSchedule:
        if self.immediate == (self.cron is not None):
            raise ValueError("give either 'immediate: true' or a 'cron' expression")
        _valid_cron(self.cron, self.timezone)
        return self


def _notify_url(value: str) -> str:
    if not re.match(r"^[a-z][a-z0-9+.-]*://", value):
        raise ValueError(
            f"notify must be an Apprise URL (ntfy://..., slack://..., json://...), not {value!r}"
        )
    return value


def _webhook_url(value: str) -> str:
    if not re.match(r"^https?://[^\s/]+", value):
        raise ValueError(f"webhook must be an http:// or https:// URL, not {value!r}")
    return value


def shown_address(address: str) -> str:
    """A recipient's address fit to print or log: the path, query and user part of an Apprise
    or webhook URL may hold tokens, so only its scheme and host are shown."""
    scheme, found, rest = address.partition("://")
    if not found:
        return address
    if scheme.lower() not in ("http", "https", "json", "jsons", "xml", "xmls", "form", "forms"):
        # Apprise services put tokens anywhere, the host part too (tgram://BOTTOKEN/...).
        return f"{scheme}://…"
    host = re.split(r"[/?#]", rest, maxsplit=1)[0].rpartition("@")[2]
    return f"{scheme}://{host}/…"


def stored_address(address: str) -> str:
    """The name a recipient's outbox items and digests are stored under: an email address as it
    is; a URL as it is shown, with a hash of it as written — a token in it is stored nowhere,
    and two URLs on one service stay apart."""
    if "://" not in address:
        return address
    return f"{shown_address(address)} #{hashlib.sha256(address.encode()).hexdigest()[:16]}"


# Outbox rows name their recipient by its address (an email, Apprise or webhook URL).
ADDRESS_LIMIT = 320
EmailAddress = Annotated[Printable, Field(pattern=r"^[^@\s<>]+@[^@\s<>]+$", max_length=ADDRESS_LIMIT)]


class Recipient(Strict):
    """Someone told of the events their watches match, by one channel: an `email` address, an
    Apprise URL (`notify`: Slack, Discord, Telegram, ntfy, Matrix, Teams, ...; `${NAME}` in it
    is read from the environment at sending time), or a JSON `webhook` signed with the secret
    in the environment variable `secret_env`."""

    email: EmailAddress | None = None
    notify: Annotated[Printable, AfterValidator(_notify_url), Field(max_length=ADDRESS_LIMIT)] | None = None
    webhook: Annotated[Printable, AfterValidator(_webhook_url), Field(max_length=ADDRESS_LIMIT)] | None = None
    secret_env: str | None = None
    watches: list[Printable]
    digest: DigestSchedule = DigestSchedule(immediate=True)
    # What a board's first crawl (every posting "new" at once) sends: one summary section with
    # the `backfill_top` best-paid matches, every match as usual (`full`), or nothing (`skip`).
    backfill: Literal["summary", "full", "skip"] = "summary"
    backfill_top: Annotated[int, Field(ge=0)] = 10

    @property
    def address(self) -> str:
        """The name its outbox items and digests are stored under, fit to print: its email
        address, or its URL redacted (`stored_address`)."""
        address = self.email or self.notify or self.webhook
        assert address is not None  # _one_channel
        return stored_address(address)

    @property
    def shown(self) -> str:
        return shown_address(self.address)

    @property
    def channel(self) -> Literal["email", "notify", "webhook"]:
        return "email" if self.email else "notify" if self.notify else "webhook"

    @model_validator(mode="after")
    def _one_channel(self) -> Recipient:
        given = [name for name in ("email", "notify", "webhook") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(
                "give one of 'email', 'notify' (an Apprise URL) or 'webhook' (a URL)"
                + (f", not {' and '.join(given)}" if given else "")
            )
        if self.webhook and not self.secret_env:
            raise ValueError(
                "a webhook needs 'secret_env': the environment variable holding its signing secret"
            )
        if self.secret_env and not self.webhook:
            raise ValueError("'secret_env' signs webhooks: give it with 'webhook'")
        return self


class FeedSettings(Strict):
    """Atom feeds `run` and `daemon` write after each cycle: one per watch, one per recipient."""

    dir: Printable = "feeds"
    # Each feed holds this many newest events.
    entries: Annotated[int, Field(ge=1, le=10000)] = 50


class BreakerSettings(Strict):
    """A circuit breaker per host and per vendor: `failures` failed crawls of its sources within
    `within` leave it alone for `open_for`, then one source probes it before the others."""

    enabled: bool = True
    failures: int = Field(3, ge=1, le=1000)
    within: Duration = timedelta(minutes=10)
    open_for: Duration = timedelta(minutes=30)


class CrawlSettings(Strict):
    """How one crawl fetches: every due source in one Scrapy process, sharing these limits.

    Boards on one API host (boards-api.greenhouse.io serves every Greenhouse board) share that
    host's limits through Scrapy's download slots; the defaults are polite to public APIs.
    """

    # Requests in flight across all sources, and to any one host.
    concurrency: int = Field(32, ge=1, le=1024)
    per_host: int = Field(2, ge=1, le=256)
    # Seconds between requests to one host (Scrapy's DOWNLOAD_DELAY); AutoThrottle may raise it.
    delay: float = Field(0.0, ge=0, le=600)
    autothrottle: bool = True
    # What one source may bring into a crawl: postings, and megabytes of responses. Past either,
    # the source ends incomplete (nothing closed) with what it had so far.
    max_postings: int = Field(20000, ge=1)
    max_raw_mb: int = Field(256, ge=1)
    # A board on a public host may send the crawler to loopback, private, link-local or
    # reserved addresses (a redirect, a link): only with this on (a source configured on such
    # an address may always).
    allow_private: bool = False
    # Requests in flight to one vendor's every host (`crawler/vendors.py`: tenants on
    # `{slug}.teamtailor.com`, one Workday pod...), and hosts of the user's own each vendor
    # serves (a host, or a suffix starting with a dot -> the vendor's name).
    per_vendor: int = Field(8, ge=1, le=256)
    vendors: dict[Annotated[str, Field(min_length=1, max_length=253)], Printable] = {}
    breaker: BreakerSettings = Field(default_factory=lambda: BreakerSettings.model_validate({}))


def _queue_url(value: str | None) -> str | None:
    if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError(f"queue must be a Redis URL (redis://host:port/db), not {value!r}")
    return value


class Config(Strict):
    database: Printable = "sqlite:///rolewatch.db"
    # A Redis URL: crawls go through a shared request queue to `rolewatch worker`s. Absent: every
    # crawl runs in one process.
    queue: Annotated[str | None, AfterValidator(_queue_url)] = None
    crawl: CrawlSettings = Field(default_factory=lambda: CrawlSettings.model_validate({}))
    mail: MailConfig = Field(default_factory=lambda: MailConfig.model_validate({}))
    sources: list[SourceConfig] = []
    watches: list[WatchRule] = []
    recipients: list[Recipient] = []
    feeds: FeedSettings | None = None

    @field_validator("watches")
    @classmethod
    def _resolved(cls, watches: list[WatchRule]) -> list[WatchRule]:
        return resolve_all(watches)

    def source(self, name: str) -> SourceConfig:
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(name)

    def sources_named(self, names: Iterable[str]) -> list[SourceConfig]:
        """The named sources, in that order: one pass, for crawls of tens of thousands."""
        by_name = {source.name: source for source in self.sources}
        return [by_name[name] for name in names]

    def watch(self, name: str) -> WatchRule:
        for watch in self.watches:
            if watch.name == name:
                return watch
        raise KeyError(name)
