"""Source families are listed once (config.families); the crawler finds every reader from there."""

from __future__ import annotations

from datetime import timedelta

import pytest

from config.families import FAMILIES
from config.loader import parse_config
from config.schema import Config
from crawler.registry import reader


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_has_its_reader(family: str) -> None:
    assert reader(family).name == family


def test_durations_are_parsed_once_and_cross_processes_as_written() -> None:
    text = """\
sources:
  - name: s
    type: greenhouse
    board: s
    timeout: 90s
    schedule: {every: 2h, jitter: 5m}
  - name: c
    type: lever
    board: c
    schedule: {cron: "0 8 * * 1-5", timezone: Europe/Berlin}
"""
    config = parse_config(text, "ok.yaml", env={})
    first, second = config.sources
    assert first.timeout == timedelta(seconds=90)
    assert (first.schedule.every, first.schedule.jitter) == (timedelta(hours=2), timedelta(minutes=5))
    assert second.timeout == timedelta(minutes=15) and second.schedule.every is None
    assert str(first.schedule) == "every 2h (jitter 5m)"
    assert str(second.schedule) == "cron '0 8 * * 1-5' Europe/Berlin"
    # Crawl processes get the config as JSON: it reads back to the same values.
    dumped = config.model_dump(mode="json", by_alias=True)
    assert dumped["sources"][0]["schedule"]["every"] == "2h" and dumped["sources"][0]["timeout"] == "90s"
    assert Config.model_validate(dumped) == config
