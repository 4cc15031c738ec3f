"""Ids for rows written in bulk (PostgreSQL): reserved from a table's serial sequence in one query, so a large set of
rows is COPYed straight into its table, and rows that point at them are written knowing their ids."""

from __future__ import annotations

from typing import Any


def reserve_ids(cursor: Any, table: str, n: int) -> list[int]:
    """`n` new ids of `table`'s serial key, ascending."""
    cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, n])
    return sorted(row[0] for row in cursor.fetchall())
