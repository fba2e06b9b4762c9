"""Cron schedules mean what crontab means: Sunday is 0 (and 7), steps in the day-of-week field,
and day-of-month OR day-of-week when both are restricted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from config.crontab import cron_trigger
from config.loader import ConfigError, parse_config

START = datetime(2026, 11, 29, 12, tzinfo=UTC)  # a Sunday, after 08:00


def fires(expression: str, count: int = 7) -> list[str]:
    trigger = cron_trigger(expression)
    found: list[str] = []
    previous = None
    now = START
    while len(found) < count:
        fire = trigger.get_next_fire_time(previous, now)
        assert fire is not None
        found.append(fire.strftime("%a %d %H:%M"))
        previous, now = fire, fire + timedelta(seconds=1)
    return found


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("0 8 * * 1-5", ["Mon 30", "Tue 01", "Wed 02", "Thu 03", "Fri 04", "Mon 07", "Tue 08"]),
        ("0 8 * * */2", ["Tue 01", "Thu 03", "Sat 05", "Sun 06", "Tue 08", "Thu 10", "Sat 12"]),
        ("0 8 * * 1-5/2", ["Mon 30", "Wed 02", "Fri 04", "Mon 07", "Wed 09", "Fri 11", "Mon 14"]),
        ("0 8 * * 0,7", ["Sun 06", "Sun 13", "Sun 20", "Sun 27", "Sun 03", "Sun 10", "Sun 17"]),
        ("0 8 * * 5-7", ["Fri 04", "Sat 05", "Sun 06", "Fri 11", "Sat 12", "Sun 13", "Fri 18"]),
        ("0 8 * * MON,fri", ["Mon 30", "Fri 04", "Mon 07", "Fri 11", "Mon 14", "Fri 18", "Mon 21"]),
        ("0 8 * * 2/3", ["Tue 01", "Fri 04", "Tue 08", "Fri 11", "Tue 15", "Fri 18", "Tue 22"]),
        # A day field starting with "*" is unrestricted for cron: odd days that are Mondays.
        ("0 8 */2 * 1", ["Mon 07", "Mon 21", "Mon 11", "Mon 25", "Mon 01", "Mon 15", "Mon 01"]),
        # Both day fields restricted: the 1st of the month or any Monday.
        ("0 8 1 * 1", ["Mon 30", "Tue 01", "Mon 07", "Mon 14", "Mon 21", "Mon 28", "Fri 01"]),
    ],
)
def test_day_of_week_fields_follow_crontab(expression: str, expected: list[str]) -> None:
    assert [fire.rsplit(" ", 1)[0] for fire in fires(expression)] == expected


def test_minutes_and_hours_are_kept_with_a_weekday_step() -> None:
    assert fires("*/30 9-10 * * */3", 5) == [
        "Wed 02 09:00",
        "Wed 02 09:30",
        "Wed 02 10:00",
        "Wed 02 10:30",
        "Sat 05 09:00",
    ]


@pytest.mark.parametrize("field", ["8", "1-9", "5-2", "*/0", "mon-xyz", "1/a"])
def test_a_bad_day_of_week_is_an_error_at_its_line(field: str) -> None:
    text = f"""\
sources: [{{name: s, type: greenhouse, board: s}}]
recipients:
  - email: me@example.com
    watches: []
    digest: {{cron: "0 8 * * {field}"}}
"""
    with pytest.raises(ConfigError) as raised:
        parse_config(text, "bad.yaml", env={})
    (problem,) = raised.value.problems
    assert problem.startswith(f"bad.yaml:5:5: recipients[0].digest: invalid cron schedule '0 8 * * {field}'")
