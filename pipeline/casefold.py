"""Case-insensitive equality in SQL, as `str.casefold` sees it, so filters on names such as a
posting's company run in the database instead of over every fetched row."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, String, func, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class casefold(FunctionElement[str]):  # noqa: N801 - named like the SQL function it writes
    """casefold(x): Python's own on SQLite (registered on each connection, see
    `register_sqlite`); lower(x) elsewhere, which PostgreSQL applies to all of Unicode."""

    type = String()
    inherit_cache = True


@compiles(casefold)
def _lower(element: casefold, compiler: SQLCompiler, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(casefold, "sqlite")
def _sqlite_casefold(element: casefold, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite's lower() folds ASCII letters only.
    return f"casefold({compiler.process(element.clauses, **kw)})"


def register_sqlite(dbapi_connection: Any) -> None:
    """Give a sqlite3 connection the casefold() that `casefold` compiles to."""
    dbapi_connection.create_function("casefold", 1, _fold, deterministic=True)


def _fold(value: object) -> object:
    return value.casefold() if isinstance(value, str) else value


def same_casefold(expression: ColumnElement[Any], value: str) -> ColumnElement[bool]:
    """`expression` (NULL read as "") equals `value`, ignoring case; both sides are folded by
    the same function, so PostgreSQL's lower() and Python's casefold() each agree with
    themselves."""
    return casefold_among(expression, [value])


def casefold_among(expression: ColumnElement[Any], values: Iterable[str]) -> ColumnElement[bool]:
    """`expression` (NULL read as "") equals one of `values`, ignoring case."""
    folded = [casefold(literal(value, String())) for value in values]
    return casefold(func.coalesce(expression, "")).in_(folded)
