"""Writing sets of rows on PostgreSQL: statements whose parameters the server binds, and ids reserved for rows
COPYed straight into their table (so that rows pointing at them are written knowing their ids)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from django.db import connection


@contextlib.contextmanager
def bound() -> Iterator[Any]:
    """A psycopg cursor on Django's connection, in its transaction, raising Django's exceptions. Its parameters are
    sent apart from the SQL and bound by the server (Django's cursor quotes each one into the SQL text in Python,
    which for a few hundred values costs more than the statement); `%b` sends one in binary, and
    `execute(..., prepare=True)` prepares the statement once per connection (a group committer keeps its own)."""
    import psycopg

    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        yield cursor


def reserve_ids(cursor: Any, table: str, n: int) -> list[int]:
    """`n` new ids of `table`'s serial key, ascending."""
    cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, n])
    return sorted(row[0] for row in cursor.fetchall())
