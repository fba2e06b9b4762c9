"""How a digest reaches its recipient: a mail transport, an Apprise URL, or a signed webhook.

Each channel delivers one digest or raises `DeliveryError` — `permanent` for refusals a retry
cannot change (a 4xx answer, a URL Apprise does not know) — so every channel shares the
outbox's guarantees: claimed once, retried with backoff, failures recorded for `status`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import requests

from config.loader import ENV_REF
from config.schema import Config, Recipient, shown_address
from notifier.render import DigestView, environment, render_chat, subject_text
from notifier.transports import DeliveryError, Transport
from pipeline.models import Digest

# Seconds to wait for a chat service or a webhook receiver.
TIMEOUT = 30
SIGNATURE_HEADER = "X-Rolewatch-Signature"
TIMESTAMP_HEADER = "X-Rolewatch-Timestamp"
DELIVERY_HEADER = "X-Rolewatch-Delivery"

Composer = Callable[[Config, Digest, DigestView, datetime], Any]


@dataclass(frozen=True)
class Outgoing:
    """One digest as it leaves: its row, its rendered view, its events for machines."""

    digest: Digest
    view: DigestView
    events: list[dict[str, Any]]
    sent_at: datetime


class Channel(Protocol):
    def deliver(self, config: Config, out: Outgoing) -> str: ...


@dataclass
class EmailChannel:
    transport: Transport
    compose: Composer

    def deliver(self, config: Config, out: Outgoing) -> str:
        message = self.compose(config, out.digest, out.view, out.sent_at)
        return self.transport.send(message, [out.digest.recipient])


def expand(url: str, env: Mapping[str, str]) -> str:
    """`${NAME}` in an Apprise URL replaced from the environment: tokens stay out of the config."""

    def value(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if not env.get(name) and default is not None:
            return default
        if not env.get(name):
            # The setup's to fix, not the message's: retried like any temporary failure.
            raise DeliveryError(f"{shown_address(url)}: environment variable {name} is empty")
        return env[name]

    return ENV_REF.sub(value, url)


@dataclass
class AppriseChannel:
    """Chat and push services through Apprise: the digest as a short Markdown message."""

    url: str
    env: Mapping[str, str]

    def deliver(self, config: Config, out: Outgoing) -> str:
        import apprise

        shown = shown_address(self.url)
        # A redirect is not followed, so a redirected notification is not counted as delivered:
        # neither by default nor for a URL's own `redirect=yes`.
        notifier = apprise.Apprise(asset=apprise.AppriseAsset(http_redirects=False))
        if not notifier.add(expand(self.url, self.env)):
            raise DeliveryError(f"{shown}: Apprise does not understand this URL", permanent=True)
        for service in notifier:
            service.redirects = False
        title, body = render_chat(out.view, environment(config.mail.templates))
        with apprise.LogCapture(level=logging.WARNING) as log:
            sent = notifier.notify(body=body, title=title, body_format=apprise.NotifyFormat.MARKDOWN)
        if not sent:
            # Apprise does not say whether a refusal would last: retried, with backoff.
            problem = " ".join(line.partition(" - WARNING - ")[2] for line in log.getvalue().splitlines())
            raise DeliveryError(f"{shown}: {problem.strip() or 'not delivered'}")
        return shown


@dataclass
class WebhookChannel:
    """A JSON POST per digest, signed: HMAC-SHA256 over "timestamp.body" with the secret."""

    url: str
    secret: str
    env: Mapping[str, str]

    def deliver(self, config: Config, out: Outgoing) -> str:
        body = json.dumps(payload(out), default=str).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "rolewatch",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: "sha256=" + sign(self.secret, timestamp, body),
            # The same on every retry of this digest: a receiver can drop repeats.
            DELIVERY_HEADER: out.digest.message_id,
        }
        shown = shown_address(self.url)
        try:
            answer = requests.post(
                expand(self.url, self.env), data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False
            )
        except requests.RequestException as error:
            # Not the error's text: it quotes the URL, whose path may be a token.
            raise DeliveryError(f"webhook {shown}: {type(error).__name__} (no answer)") from None
        if 200 <= answer.status_code < 300:
            return shown
        # A refusal (4xx) lasts, except "too many requests", "request timeout" and a refused
        # signature (401/403: a secret being rotated); a redirect is not followed, and lasts too.
        status = answer.status_code
        permanent = 300 <= status < 400 or (400 <= status < 500 and status not in (401, 403, 408, 429))
        raise DeliveryError(f"webhook {shown} answered {status} {answer.reason}", permanent=permanent)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify(
    secret: str, timestamp: str, body: bytes, signature: str, now: float, tolerance: float = 300
) -> bool:
    """What a receiver checks: the signature, and a timestamp recent enough not to be a replay."""
    expected = "sha256=" + sign(secret, timestamp, body)
    try:
        recent = abs(now - float(timestamp)) <= tolerance
    except ValueError:
        return False
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")) and recent


def payload(out: Outgoing) -> dict[str, Any]:
    return {
        "digest": out.digest.message_id,
        "sent_at": out.sent_at.isoformat(),
        "summary": subject_text(out.view),
        "counts": out.view.counts,
        "events": out.events,
    }


def channel_for(
    config: Config, recipient: Recipient | None, transport: Transport, compose: Composer,
    env: Mapping[str, str] | None = None,
) -> Channel:  # fmt: skip
    """The channel a recipient named; mail for one no longer in the config (its address is an
    email address then, or its digests are no longer retried)."""
    env = os.environ if env is None else env
    if recipient is None or recipient.channel == "email":
        return EmailChannel(transport, compose)
    if recipient.channel == "notify":
        assert recipient.notify is not None
        return AppriseChannel(recipient.notify, env)
    assert recipient.webhook is not None and recipient.secret_env is not None
    secret = env.get(recipient.secret_env)
    if not secret:
        raise DeliveryError(
            f"webhook {recipient.shown}: environment variable {recipient.secret_env} (its secret) is empty"
        )
    return WebhookChannel(recipient.webhook, secret, env)
