"""The application's CPU per gift when it writes a batch, in process: no HTTP, no clients, no noise from them.

`bench/intake.py` measures the whole server (HTTP, JSON, Django, the writer, PostgreSQL) against pgbench; on a
2-core machine its figures move by a third from one run to the next. This one calls the batch path
(`intake.batch.donation_batch_record`, what `/api/charity/donations/batch` and the gateway's group commit run)
directly, N gifts a call, and times this process's CPU (the application's share; the server's is PostgreSQL's).
In the same run it times a baseline: the same number of rows of a bare table with the same columns, sent by
psycopg from this process in one INSERT over arrays, so the ratio (baseline / ours) says how close the writer
comes to the cheapest way Python can hand PostgreSQL a set of rows.

    .venv/bin/python bench/committer.py                         # 100 gifts a call, 60 calls, 3 rounds
    .venv/bin/python bench/committer.py --gifts 30 --calls 200  # a group commit's size
    .venv/bin/python bench/committer.py --profile               # where the time goes (cProfile, top 25)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanlian.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shanlian_bench_committer")
os.environ["SHANLIAN_DEBUG"] = "0"

from bench._servers import migrate, recreate_database  # noqa: E402

BASELINE_TABLE = "bench_committer_baseline"


def _gifts(n: int) -> list:
    from shanlian.charity.intake.batch import BatchGiftIn

    run = uuid.uuid4().hex[:10]
    now = datetime.now(UTC).isoformat()
    return [BatchGiftIn(idempotency_key=f"{run}-{k}", amount=f"{10 + k % 90}.00", fund="bench-intake",
                        donor_name=f"捐赠人{k % 500}", donor_key=f"donor-{k % 500}", received_at=now) for k in range(n)]


def ours(user, gifts: int, calls: int) -> float:
    """CPU seconds per gift of `calls` batches of `gifts`."""
    from shanlian.charity.intake.batch import donation_batch_record

    sets = [_gifts(gifts) for _ in range(calls)]
    start = time.process_time()
    for one in sets:
        result = donation_batch_record(actor=user, gifts=one)
        assert result.count("created") == gifts, [g.code for g in result.gifts if g.code][:3]
    return (time.process_time() - start) / (gifts * calls)


def baseline(gifts: int, calls: int) -> float:
    """CPU seconds per row of the same number of bare rows with a gift's columns, one INSERT over arrays a call,
    in its own transaction (the least Python can do to hand PostgreSQL a set)."""
    from decimal import Decimal

    import psycopg
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute(f"""CREATE TABLE IF NOT EXISTS {BASELINE_TABLE} (id bigserial PRIMARY KEY, fund_id bigint,
            amount numeric(14, 2), donor_name varchar(100), donor_key varchar(64), received_at timestamptz,
            external_id varchar(64))""")
    rows = [[(1, Decimal(f"{10 + k % 90}.00"), "基准捐赠人", f"donor-{k % 500}", datetime.now(UTC), uuid.uuid4().hex)
             for k in range(gifts)] for _ in range(calls)]
    start = time.process_time()
    for one in rows:
        with transaction.atomic(), psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(f"""INSERT INTO {BASELINE_TABLE} (fund_id, amount, donor_name, donor_key, received_at, external_id)
                SELECT * FROM unnest(%b::bigint[], %b::numeric[], %b::varchar[], %b::varchar[], %b::timestamptz[],
                                     %b::varchar[])""", [list(column) for column in zip(*one, strict=True)], prepare=True)
    return (time.process_time() - start) / (gifts * calls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gifts", type=int, default=100, help="gifts a call (default 100; the API takes up to 500)")
    parser.add_argument("--calls", type=int, default=60, help="calls a round (default 60)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, interleaved with the baseline's (default 3)")
    parser.add_argument("--profile", action="store_true", help="profile one round of ours and print the top 25")
    parser.add_argument("--reuse", action="store_true", help="keep the database (default: made anew)")
    args = parser.parse_args()
    if not 1 <= args.gifts <= 500 or not 1 <= args.calls <= 100_000 or not 1 <= args.rounds <= 50:
        parser.error("--gifts 1..500, --calls 1..100000, --rounds 1..50")
    url = os.environ["DATABASE_URL"]
    recreate_database(url, reuse=args.reuse)
    migrate(url)

    from bench.intake import seed  # (sets Django up)

    seed()
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="bench-finance")
    ours(user, args.gifts, 5)  # warm: the connection's prepared statements, the learnt accounts
    baseline(args.gifts, 5)
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile(time.process_time)  # CPU, not the wait for the server
        profiler.enable()
        ours(user, args.gifts, args.calls)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        return
    mine, base = [], []
    for _ in range(args.rounds):
        base.append(baseline(args.gifts, args.calls))
        mine.append(ours(user, args.gifts, args.calls))
    b, m = statistics.median(base), statistics.median(mine)
    print("| gifts a call | calls x rounds | baseline µs/row | ours µs/gift | ratio (baseline / ours) |")
    print("|---:|---:|---:|---:|---:|")
    print(f"| {args.gifts} | {args.calls} x {args.rounds} | {b * 1e6:.1f} | {m * 1e6:.1f} | {b / m:.3f} |")
    print(f"(ours per round: {', '.join(f'{x * 1e6:.0f}' for x in mine)} µs; baseline: {', '.join(f'{x * 1e6:.1f}' for x in base)} µs)")


if __name__ == "__main__":
    main()
