"""Moving the test database to a migration and back, for tests of data migrations."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# A data migration is tested once a CI run, on PostgreSQL (the database a city runs on): moving the whole schema back
# and forth takes a minute a test, and the SQLite pass would only repeat it.
ONCE_ON_POSTGRESQL = pytest.mark.skipif(connection.vendor != "postgresql",
                                        reason="data migrations are tested once a CI run, in the PostgreSQL pass")


def migrate(targets: list[tuple[str, str]]) -> Any:
    """Migrate to `targets`; the executor afterwards (its loader's project_state gives the models of that moment)."""
    MigrationExecutor(connection).migrate(targets)
    return MigrationExecutor(connection)


def migrate_to_latest() -> None:
    """Every app back at its latest migration: migrating one app back also unapplies the apps that depend on it."""
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
