"""Alembic migrations for rolewatch's schema; run with `rolewatch db upgrade`."""
