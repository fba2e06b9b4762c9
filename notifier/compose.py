"""A digest as an email message: headers for mail clients and relays, both parts rendered."""

from __future__ import annotations

import re
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from urllib.parse import quote

from config.schema import Config
from notifier.render import DigestView, environment, render, subject_text
from pipeline.models import Digest


def compose(config: Config, digest: Digest, view: DigestView, sent_at: datetime) -> EmailMessage:
    """The digest as a message. Its Date is when it is sent (a retry says when it was retried);
    its Message-ID stays the digest's own."""
    text, html = render(view, environment(config.mail.templates))
    message = EmailMessage()
    message["Subject"] = header_safe(f"{config.mail.subject_prefix} {subject_text(view)}")
    message["From"] = header_safe(config.mail.from_)
    message["To"] = header_safe(digest.recipient)
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = digest.message_id
    # RFC 3834: vacation responders and ticket systems do not answer it.
    message["Auto-Submitted"] = "auto-generated"
    # RFC 2369: mail clients offer an "unsubscribe" button that reaches whoever runs rolewatch.
    message["List-Unsubscribe"] = f"<{unsubscribe_address(config, digest.recipient)}>"
    message["X-Rolewatch-Digest"] = str(digest.id)
    # Quoted-printable: 7-bit safe on any relay (no 8BITMIME needed), and keeps "-- " whole.
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    return message


def unsubscribe_address(config: Config, recipient: str) -> str:
    if config.mail.unsubscribe:
        return header_safe(config.mail.unsubscribe)
    sender = parseaddr(config.mail.from_)[1] or "rolewatch@localhost"
    return f"mailto:{sender}?subject={quote(f'unsubscribe {recipient}')}"


def header_safe(value: str) -> str:
    """Header values never carry newlines or control characters from posting or config text."""
    return re.sub(r"[\x00-\x1f\x7f]+", " ", value).strip()
