"""Logging for the command line: the level `-v` asks for, with no secret in any line.

Apprise and urllib3 write whole request URLs — a chat token, a webhook's secret path — in their
debug and info lines, so they stay at WARNING even at -vv, and a URL in a line they do write
is shown with only its scheme and host.
"""

from __future__ import annotations

import logging
import re

from config.schema import shown_address

# Libraries whose lines may quote a notify or webhook URL.
URL_LOGGERS = ("apprise", "urllib3", "requests")
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\"<>]+", re.IGNORECASE)


def configure_logging(verbose: int) -> None:
    """WARNING, INFO with -v, DEBUG with -vv — but never below WARNING for `URL_LOGGERS`."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in URL_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact_urls)
        if verbose < 2:
            # Alembic's set-up chatter on every command is debug detail; an upgrade that ran is news.
            handler.addFilter(_migrations_run)


def redact_urls(record: logging.LogRecord) -> bool:
    """A line from `URL_LOGGERS` with each URL in it shown as `shown_address` shows it."""
    if record.name.partition(".")[0] in URL_LOGGERS:
        message = record.getMessage()
        redacted = _URL.sub(lambda match: shown_address(match.group()), message)
        if redacted != message:
            record.msg, record.args = redacted, None
    return True


def _migrations_run(record: logging.LogRecord) -> bool:
    if not record.name.startswith("alembic") or record.levelno >= logging.WARNING:
        return True
    return record.getMessage().startswith("Running upgrade")
