"""Alembic environment: rolewatch passes its engine in `config.attributes`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from pipeline.models import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///rolewatch.db")

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
