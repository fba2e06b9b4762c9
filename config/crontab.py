"""Crontab expressions as APScheduler triggers, with crontab's meaning.

Two things differ between crontab and APScheduler 3's CronTrigger:

- weekday numbers: crontab counts from Sunday = 0 (7 is Sunday too), APScheduler from
  Monday = 0, so `from_crontab("0 8 * * 1-5")` fires Tuesday to Saturday. The day-of-week field
  is therefore expanded token by token into the days it means (steps included: `*/2` is Sunday,
  Tuesday, Thursday, Saturday) and handed over as day names;
- when both day-of-month and day-of-week are restricted (neither starts with `*`), crontab fires
  on either (`0 8 1 * mon` is the 1st and every Monday); CronTrigger needs both. That case
  becomes an OrTrigger.
"""

from __future__ import annotations

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger

_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_DAY_NUMBERS = {name: number for number, name in enumerate(_DAY_NAMES)}


def cron_trigger(expression: str, timezone: str = "UTC") -> BaseTrigger:
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"a cron expression has 5 fields, got {len(fields)}: {expression!r}")
    minute, hour, day, month, day_of_week = fields
    weekdays = crontab_weekdays(day_of_week)

    def trigger(day: str, day_of_week: str) -> CronTrigger:
        return CronTrigger(
            minute=minute, hour=hour, day=day, month=month, day_of_week=day_of_week, timezone=timezone
        )

    # As cron does: a field starting with "*" ("*/2" too) counts as unrestricted here.
    if not day.startswith("*") and not day_of_week.startswith("*"):
        return OrTrigger([trigger(day, "*"), trigger("*", weekdays)])
    return trigger(day, weekdays)


def crontab_weekdays(field: str) -> str:
    """A crontab day-of-week field as APScheduler day names: "1-5" → "mon,tue,wed,thu,fri",
    "*/2" → "sun,tue,thu,sat", "0,7" → "sun"; "*" stays "*"."""
    if field == "*":
        return field
    days: set[int] = set()
    for token in field.split(","):
        days |= _token_days(token, field)
    return ",".join(_DAY_NAMES[day] for day in sorted(days))


def _token_days(token: str, field: str) -> set[int]:
    base, _, step_text = token.partition("/")
    try:
        step = int(step_text) if step_text else 1
        if base == "*":
            first, last = 0, 6
        elif "-" in base:
            first_text, last_text = base.split("-", 1)
            first, last = _day(first_text), _day(last_text)
        else:
            first = _day(base)
            last = 6 if step_text else first  # "1/2": from Monday on, every other day
    except ValueError:
        raise ValueError(f"invalid day of week {token!r} in {field!r}") from None
    if step < 1 or first > last:
        raise ValueError(f"invalid day of week {token!r} in {field!r}")
    # 7 is Sunday as 0 is; a range may run up to it ("5-7": Friday to Sunday).
    return {day % 7 for day in range(first, last + 1, step)}


def _day(text: str) -> int:
    name = text.strip().lower()[:3]
    if name in _DAY_NUMBERS:
        return _DAY_NUMBERS[name]
    number = int(text)
    if not 0 <= number <= 7:
        raise ValueError(text)
    return number
