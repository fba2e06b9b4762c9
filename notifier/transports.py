"""Where digests go: an SMTP server, a maildir of `.eml` files, or standard output."""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
import sys
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from config.schema import MailConfig
from pipeline.private import make_private_folder, write_private


class DeliveryError(Exception):
    """Raised by a transport when a message was not delivered.

    `permanent` is set for refusals that will not change on retry (SMTP 5xx); the digest is then
    marked failed and reported instead of retried.
    """

    def __init__(self, message: str, permanent: bool = False, too_large: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
        # The server refused the message for its size (552): a smaller one may go through.
        self.too_large = too_large


# "Requested mail action aborted: exceeded storage allocation" — for a message, its size.
TOO_LARGE = 552


def _about_size(error: smtplib.SMTPResponseException) -> bool:
    """A 552 refusing this message for its size — at MAIL FROM, the SIZE it declared; at DATA,
    unless it says the mailbox is full (5.2.2), which a smaller message would not change."""
    if isinstance(error, smtplib.SMTPSenderRefused):
        return True
    text = _text(error.smtp_error).lower()
    return "5.2.2" not in text and "mailbox" not in text


class Transport(Protocol):
    def send(self, message: EmailMessage, recipients: list[str]) -> str: ...


class MaildirTransport:
    """Delivers into a Maildir (tmp/ then new/), one `.eml` file per message."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def send(self, message: EmailMessage, recipients: list[str]) -> str:
        for sub in ("tmp", "new", "cur"):
            make_private_folder(self.path / sub)
        name = f"{time.time_ns()}.{os.getpid()}.{socket.gethostname()}.eml"
        temporary = self.path / "tmp" / name
        write_private(temporary, bytes(message))
        final = self.path / "new" / name
        os.replace(temporary, final)
        return str(final)


class StdoutTransport:
    def send(self, message: EmailMessage, recipients: list[str]) -> str:
        sys.stdout.write(message.as_string())
        sys.stdout.write("\n")
        sys.stdout.flush()
        return "stdout"


class SmtpTransport:
    def __init__(self, mail: MailConfig, env: dict[str, str] | None = None) -> None:
        assert mail.smtp is not None
        self.settings = mail.smtp
        self.env = os.environ if env is None else env

    def send(self, message: EmailMessage, recipients: list[str]) -> str:
        """Deliver, or raise DeliveryError. Only a refusal of this message or its recipients is
        permanent; login, TLS or sender problems are the setup's and are retried once fixed."""
        settings = self.settings
        where = f"SMTP {settings.host}:{settings.port}"
        client: smtplib.SMTP | None = None
        try:
            if settings.ssl:
                client = smtplib.SMTP_SSL(
                    settings.host, settings.port, timeout=settings.timeout,
                    context=self._tls_context(),
                )  # fmt: skip
            else:
                client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
            if settings.starttls and not settings.ssl:
                client.starttls(context=self._tls_context())
            if settings.username:
                client.login(settings.username, self._password())
            refused = client.send_message(message, to_addrs=recipients)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            raise DeliveryError(
                f"{where} refused recipients: {error.recipients}", permanent=all(c >= 500 for c in codes)
            ) from None
        except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as error:
            # A sender refused is the setup's (retried), unless it is the size the server
            # announced (SIZE) that this message exceeds.
            too_large = error.smtp_code == TOO_LARGE and _about_size(error)
            if isinstance(error, smtplib.SMTPSenderRefused) and not too_large:
                raise DeliveryError(f"{where} answered {error.smtp_code} {_text(error.smtp_error)}") from None
            raise DeliveryError(
                f"{where} refused the message: {error.smtp_code} {_text(error.smtp_error)}",
                permanent=error.smtp_code >= 500,
                too_large=too_large,
            ) from None
        except smtplib.SMTPResponseException as error:
            raise DeliveryError(f"{where} answered {error.smtp_code} {_text(error.smtp_error)}") from None
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError(f"{where} failed: {error or type(error).__name__}") from None
        finally:
            if client is not None:
                _close_quietly(client)
        if refused:
            raise DeliveryError(f"{where} refused some recipients: {refused}", permanent=True)
        return f"smtp://{settings.host}:{settings.port}"

    def _tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.settings.ca_file)

    def _password(self) -> str:
        name = self.settings.password_env
        if not name or name not in self.env:
            raise DeliveryError(
                f"SMTP password: environment variable {name or '(password_env not set)'} is empty"
            )
        return self.env[name]


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def _close_quietly(client: smtplib.SMTP) -> None:
    # The message was accepted (or already failed); an odd answer to QUIT changes neither.
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()


def make_transport(mail: MailConfig) -> Transport:
    if mail.transport == "smtp":
        return SmtpTransport(mail)
    if mail.transport == "stdout":
        return StdoutTransport()
    return MaildirTransport(mail.maildir)
