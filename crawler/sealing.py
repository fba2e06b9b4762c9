"""What the fleet writes to Redis is sealed with a key every machine of the fleet shares.

Requests, sources' crawl state, staged postings and outcomes hold Scrapy requests and board
objects, so they are pickled; unpickling runs code, so nothing read back is unpickled before
its HMAC-SHA256 seal, over the message's kind and body, is checked against the key. Anyone who
can write to Redis but does not hold the key can then only make messages that are refused.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import pickle
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

KEY_ENV = "ROLEWATCH_QUEUE_KEY"
MIN_KEY_LENGTH = 16
_VERSION = b"rw1:"
_MAC_LENGTH = hashlib.sha256().digest_size


class MessageKind(StrEnum):
    """What a message is: sealed into it, so one kind cannot be passed off as another."""

    REQUEST = "request"
    STATE = "state"
    POSTING = "posting"
    OUTCOME = "outcome"


class QueueKeyMissing(ValueError):
    """Raised when a fleet is opened without a usable key in `ROLEWATCH_QUEUE_KEY`."""


class RefusedMessage(ValueError):
    """Raised by `Seal.open` for a message not sealed with this key (forged, corrupt, or from a
    fleet with another key). The reader records it and goes on without it."""


@dataclass(frozen=True)
class Seal:
    key: bytes

    @classmethod
    def from_environment(cls) -> Seal:
        key = os.environ.get(KEY_ENV, "")
        if len(key) < MIN_KEY_LENGTH:
            said = "is not set" if not key else f"is shorter than {MIN_KEY_LENGTH} characters"
            raise QueueKeyMissing(
                f"{KEY_ENV} {said}: the scheduler and every worker of a queue need the same secret "
                f"key in it (e.g. the output of `python -c 'import secrets; print(secrets.token_hex(32))'`)"
            )
        return cls(key.encode())

    def close(self, kind: MessageKind, value: object) -> bytes:
        body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        return _VERSION + self._mac(kind, body) + body

    def open(self, kind: MessageKind, data: bytes) -> Any:
        header = len(_VERSION) + _MAC_LENGTH
        if not data.startswith(_VERSION) or len(data) <= header:
            raise RefusedMessage(f"a {kind} message without a seal")
        mac, body = data[len(_VERSION) : header], data[header:]
        if not hmac.compare_digest(mac, self._mac(kind, body)):
            raise RefusedMessage(f"a {kind} message whose seal does not match the queue's key")
        try:
            return pickle.loads(body)
        except Exception as error:  # sealed by this fleet, written by another version of it
            raise RefusedMessage(
                f"a {kind} message this version cannot read: {type(error).__name__}"
            ) from None

    def _mac(self, kind: MessageKind, body: bytes) -> bytes:
        return hmac.new(self.key, kind.encode() + b"\0" + body, hashlib.sha256).digest()
