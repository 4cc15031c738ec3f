"""The PostgreSQL test databases of scripts/test.sh: the schema migrated once into a template, each test process's
database a copy of it (CREATE DATABASE ... TEMPLATE takes a second; migrating takes a minute, in every process).

    python scripts/test_databases.py template URL            # <name>_template, migrated (dropped first if there)
    python scripts/test_databases.py copy URL NAME...        # each NAME a fresh copy of the template
    python scripts/test_databases.py drop URL NAME...        # NAMEs and the template, if there

URL is the suite's DATABASE_URL (postgres://user@host:port/<name>); the copies are named as pytest-django names the
test databases it then finds, migrated, under --reuse-db (test_<name>, test_<name>_gw0, ...).
"""

from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql


def _parts(url: str) -> tuple[str, str, str]:
    """(the maintenance database's URL, the suite's database name, the template's name)."""
    split = urlsplit(url)
    name = split.path.lstrip("/")
    return urlunsplit(split._replace(path="/postgres")), name, f"{name}_template"


def _run(admin_url: str, statements: list[sql.Composed]) -> None:
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        for statement in statements:
            conn.execute(statement)


def _drop(names: list[str]) -> list[sql.Composed]:
    return [sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(n)) for n in names]


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in ("template", "copy", "drop"):
        print(__doc__, file=sys.stderr)
        return 2
    action, url, names = argv[0], argv[1], argv[2:]
    admin_url, _name, template = _parts(url)
    if action == "template":
        _run(admin_url, [*_drop([template]), sql.SQL("CREATE DATABASE {}").format(sql.Identifier(template))])
        target = urlunsplit(urlsplit(url)._replace(path=f"/{template}"))
        return subprocess.run([sys.executable, "-m", "shanlian.manage", "migrate", "--verbosity", "0"],
                              env={**os.environ, "DATABASE_URL": target}, check=False).returncode
    if action == "copy":
        _run(admin_url, [*_drop(names), *[sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(n), sql.Identifier(template)) for n in names]])
        return 0
    _run(admin_url, _drop([*names, template]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
