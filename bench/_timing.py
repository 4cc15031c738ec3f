"""What the database benchmarks share: a fresh database to build in, and timing a call's repetitions."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path


def fresh_database(sqlite_file: Path, *, reuse: bool = False) -> str:
    """A new empty database: the SQLite file removed, or the PostgreSQL database of DATABASE_URL dropped and made
    again (with `reuse`, the last run's is kept). Returns its URL."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        from bench._servers import recreate_database

        recreate_database(url, reuse=reuse)
        return url
    if not reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{sqlite_file}"
    return os.environ["DATABASE_URL"]


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    """Milliseconds of each of `repeat` calls, after one to warm up."""
    fn()
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p * (len(xs) - 1))))]
