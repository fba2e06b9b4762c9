"""Crontab expressions as APScheduler triggers, with crontab's day-of-week numbering.

APScheduler 3 numbers weekdays from Monday = 0, so its `from_crontab("0 8 * * 1-5")` fires
Tuesday to Saturday. Users write crontab, where 0 and 7 are Sunday: translate to names first.
"""

from __future__ import annotations

import re

from apscheduler.triggers.cron import CronTrigger

_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def cron_trigger(expression: str, timezone: str = "UTC") -> CronTrigger:
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"a cron expression has 5 fields, got {len(fields)}: {expression!r}")
    minute, hour, day, month, day_of_week = fields
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=crontab_weekdays(day_of_week),
        timezone=timezone,
    )


def crontab_weekdays(field: str) -> str:
    """ "1-5" → "mon-fri"; "0,6" → "sun,sat"; names and "*" pass through."""
    return re.sub(r"\d+", lambda m: _DAY_NAMES[int(m.group())] if int(m.group()) < 8 else m.group(), field)
