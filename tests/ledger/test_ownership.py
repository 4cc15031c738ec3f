"""The ledger owns its tables: no SQL outside `src/shanlian/ledger/` names them. Everything else posts through
`ledger.posting.entries_post` (or `ledger.services`) and reads through the ORM or `ledger.selectors`.

Other apps' migrations are history and may name the ledger's tables in index DDL (charity 0003 and 0006 made the
posting index the statements read); they are listed, so a new one is seen."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "shanlian"
TABLES = r"ledger_(?:account|entry|posting|hold|seal|sealleaf)\b"
# A table named where SQL names tables: after FROM, JOIN, INTO, UPDATE, TABLE, ON, COPY, or quoted as a literal
# (pg_get_serial_sequence('ledger_entry', 'id'), a "ledger_posting" identifier).
SQL = re.compile(rf"""(?:\b(?:from|join|into|update|table|on|copy)\s+"?|['"]){TABLES}""", re.IGNORECASE)
HISTORY = {"charity/migrations/0003_statement_indexes.py", "charity/migrations/0006_drop_posting_cover.py"}


def offenders(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if relative.startswith("ledger/") or relative in HISTORY:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if SQL.search(line):
                found.append(f"{relative}:{number}: {line.strip()}")
    return found


def test_no_sql_names_the_ledgers_tables_outside_the_ledger():
    assert offenders(SRC) == []


def test_the_search_finds_what_it_looks_for(tmp_path):
    planted = tmp_path / "charity" / "writer.py"
    planted.parent.mkdir()
    planted.write_text('cursor.execute("INSERT INTO ledger_posting (entry_id) VALUES (1)")\n'
                       "cursor.execute(\"SELECT pg_get_serial_sequence('ledger_entry', 'id')\")\n"
                       'sql = """UPDATE ledger_account SET balance = 0"""\n'
                       'Job("ledger-seal", "shanlian.ledger.tasks.ledger_seal")\n'  # a task's name, not a table
                       'counts["ledger_seals"] += 1\n')
    assert [line.split(":")[1] for line in offenders(tmp_path)] == ["1", "2", "3"]
