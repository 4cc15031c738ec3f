"""Moving the test database to a migration and back, for tests of data migrations."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate(targets: list[tuple[str, str]]) -> Any:
    """Migrate to `targets`; the executor afterwards (its loader's project_state gives the models of that moment)."""
    MigrationExecutor(connection).migrate(targets)
    return MigrationExecutor(connection)


def migrate_to_latest() -> None:
    """Every app back at its latest migration: migrating one app back also unapplies the apps that depend on it."""
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
