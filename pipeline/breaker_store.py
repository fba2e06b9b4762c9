"""The circuit breakers' states in the database, so that a cron run knows what the last one
learnt: read all at a crawl's start, and each change made in a transaction of its own that
holds the breaker's row, so two processes never both take one breaker's probe."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.breakers import BreakerState
from pipeline.db import insert_ignoring
from pipeline.models import CircuitBreaker, utcnow

Result = TypeVar("Result")


def load_breakers(sessions: sessionmaker[Session]) -> dict[str, BreakerState]:
    """Every breaker that counts failures or is open, by key (the others are closed)."""
    with sessions() as session:
        return {row.key: _state(row) for row in session.scalars(select(CircuitBreaker))}


def change_breaker(
    sessions: sessionmaker[Session],
    key: str,
    change: Callable[[BreakerState], tuple[Result, BreakerState]],
) -> tuple[Result, BreakerState]:
    """Apply `change` to the breaker's stored state, its row held meanwhile; an idle state is
    not kept. Returns what `change` returned."""
    with sessions.begin() as session:
        session.execute(insert_ignoring(session, CircuitBreaker, ["key"]).values(key=key, failures=[]))
        row = session.scalars(select(CircuitBreaker).where(CircuitBreaker.key == key).with_for_update()).one()
        result, state = change(_state(row))
        if state.idle:
            session.execute(delete(CircuitBreaker).where(CircuitBreaker.key == key))
        else:
            row.failures = [moment.isoformat() for moment in state.failures]
            row.health, row.open_until = state.health, state.open_until
            row.probe, row.probe_at, row.updated_at = state.probe, state.probe_at, utcnow()
        return result, state


def _state(row: CircuitBreaker) -> BreakerState:
    return BreakerState(
        key=row.key,
        failures=tuple(datetime.fromisoformat(moment) for moment in row.failures or ()),
        health=row.health,
        open_until=row.open_until,
        probe=row.probe,
        probe_at=row.probe_at,
    )
