"""Alembic migrations for rolewatch's schema; run with `rolewatch db upgrade`."""

# The newest revision. Every command checks the database against it, so that an up-to-date
# database is opened without loading Alembic (tests/test_migrations.py keeps it in step).
HEAD = "0010"
