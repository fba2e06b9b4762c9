"""Alembic environment: rolewatch passes its engine in `config.attributes`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from pipeline.models import Base
from pipeline.search import outside_index

config = context.config
engine = config.attributes.get("engine")
if engine is None:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///rolewatch.db")

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        # The full-text index is made by hand (migration 0009): autogenerate must not drop it.
        include_name=outside_index,
    )
    context.run_migrations()
