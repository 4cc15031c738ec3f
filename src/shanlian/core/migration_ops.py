"""Migration operations shared by apps."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def postgres_sql(forward: str, backward: str) -> migrations.RunPython:
    """Run raw SQL (triggers, functions) on PostgreSQL only; SQLite gets the same rules from Python.

    Executed without parameters, so '%' in PL/pgSQL is not taken for a placeholder.
    """

    def run(sql: str, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return migrations.RunPython(
        lambda apps, schema_editor: run(forward, schema_editor),
        lambda apps, schema_editor: run(backward, schema_editor),
    )
