"""The README documents every source family and every config key a user can write."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from config.families import FAMILIES
from config.schema import (
    BreakerSettings,
    CrawlSettings,
    FeedSettings,
    MailConfig,
    Recipient,
    SmtpSettings,
    SourceConfig,
    WatchRule,
)

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("family", FAMILIES)
def test_every_source_family_is_documented(family: str) -> None:
    assert f"| `{family}` |" in README


@pytest.mark.parametrize(
    "model, prefix",
    [
        (SourceConfig, ""),
        (WatchRule, ""),
        (Recipient, ""),
        (MailConfig, "mail."),
        (SmtpSettings, ""),
        (CrawlSettings, "crawl."),
        (BreakerSettings, "crawl.breaker."),
        (FeedSettings, "feeds."),
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_every_config_key_is_documented(model: type[BaseModel], prefix: str) -> None:
    keys = [field.alias or name for name, field in model.model_fields.items()]
    missing = [key for key in keys if f"`{prefix}{key}`" not in README]
    assert missing == []
