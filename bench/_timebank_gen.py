"""The time bank at city scale, generated set-based into the real tables (used by bench/timebank.py and by
tests/timebank/test_bench_smoke.py, which runs it at tiny scale so that it cannot rot).

`setup_stations` makes, with the ORM and the factories, a bench city of `n_stations` stations (ten per
district, one agency per district), one activity per station with `SHIFT_DAYS` daily shifts in the past,
the time bank's issuing account, and a station worker who approved the hours.

`generate` then writes, with INSERT ... SELECT over generate_series (no row passes through Python):
- `n_volunteers` people and volunteers (`ZY2025<8 digits>`), spread over the stations, each with its
  ledger account `tb:vol:<number>` (HOUR, liability, guarded), as `volunteer_register` opens it;
- for volunteer i, 1 + (31 i mod 19) approved hour records (10 on average, so 10,000,000 for 1,000,000
  volunteers), on distinct shifts of the home station's activity, 0.5-8 h each (the organizer's own
  limit: no agency approval needed), later records on later days;
- for each record what `services.attendance._post_credits` posts: one entry
  (source `timebank.hours`, external id = the record's id) with two postings, +h on `tb:issue` and -h on
  the volunteer's account, the record's `entry_id` pointing at it;
- the stored balances: each volunteer's account holds the sum of its postings (no record reaches the
  1,500 cap, so nothing overflows to the pool), `approved_hours` the sum of the hours, and `tb:issue`
  moves by the total.

It runs with `session_replication_role = replica`, so the ledger's per-row triggers (the deferred balance
check, the immutability guards) and the foreign-key checks do not fire for the generated rows only; the
secondary indexes of the bulk tables are dropped and rebuilt around the load. Afterwards `check`
proves, over the whole database, that every entry balances and every stored balance equals its postings.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

SHIFT_DAYS = 730  # two years of daily shifts per station
MAX_RECORDS = 19  # a volunteer has 1 + (31 i mod 19) records: 10 on average
STEP = 37  # record j of a volunteer is on shift (i*7 mod 27) + 37 j: distinct, increasing, < 730
CITY_CODE = "449800"
PREFIX = "ZY2025"  # volunteer numbers of generated volunteers (volunteer_register uses the current year)
BULK_TABLES = ["people_person", "ledger_account", "timebank_volunteer", "ledger_entry", "ledger_posting", "timebank_hoursrecord"]
WORKER = "tb-bench-worker"


def start_day(today: dt.date | None = None) -> dt.date:
    return (today or dt.date.today()) - dt.timedelta(days=SHIFT_DAYS + 1)


def setup_stations(n_stations: int, *, say: Callable[[str], None] = print) -> None:
    """The bench city: stations, agencies, one activity per station with its daily shifts, the worker."""
    from django.db import transaction
    from django.utils import timezone

    from shanlian.core.scoping import Role
    from shanlian.timebank.models import Activity, Category, Shift
    from shanlian.timebank.services.accounts import community_pool, issuing, redeemed
    from tests import factories as f

    t0 = time.perf_counter()
    tz = timezone.get_default_timezone()
    first = start_day()
    categories = list(Category.values)
    with transaction.atomic():
        city = f.division("基准市", "city", CITY_CODE)
        stations = []
        for n in range(n_stations):
            d, s = divmod(n, 10)
            if s == 0:
                district = f.division(f"基准{d + 1}区", "district", f"{CITY_CODE[:4]}{d + 1:02d}", city)
                agency = f.organization(f"基准{d + 1}区社会工作服务中心", district=district, is_agency=True)
            street = f.division(f"基准{d + 1}区{s + 1}街道", "street", f"{district.code}{s + 1:03d}", district)
            community = f.division(f"基准{d + 1}区{s + 1}街社区", "community", f"{street.code}001", street)
            stations.append((f.station(street, agency), community, agency))
        worker = f.user_with_role(WORKER, Role.STATION_WORKER, stations[0][0], name="基准社工")
        activities = Activity.objects.bulk_create([
            Activity(title=f"社区志愿服务·{station.street.name}", category=categories[n % len(categories)], station=station,
                     organization=agency, division=community, place=f"{community.name}服务点", created_by=worker)
            for n, (station, community, agency) in enumerate(stations)
        ])
        shifts = []
        for activity in activities:
            for k in range(SHIFT_DAYS):
                starts = dt.datetime.combine(first + dt.timedelta(days=k), dt.time(9, 0), tzinfo=tz)
                shifts.append(Shift(activity=activity, starts_at=starts, ends_at=starts + dt.timedelta(hours=8), headcount=50,
                                    qr_secret=f"bench-{activity.pk}-{k}"))
        Shift.objects.bulk_create(shifts, batch_size=5000)
        issuing(), redeemed(), community_pool()
    say(f"set up {n_stations:,} stations and {len(shifts):,} shifts in {time.perf_counter() - t0:.1f} s")


# Per station: its index, community and activity; per shift: its station index and day number k.
MAPS = """
CREATE TEMP TABLE bench_station AS
SELECT (row_number() OVER (ORDER BY s.id) - 1)::int AS idx, s.id AS station_id, c.id AS community_id, a.id AS activity_id
  FROM orgs_station s
  JOIN places_division st ON st.id = s.street_id
  JOIN places_division c ON c.parent_id = st.id AND c.code = st.code || '001'
  JOIN timebank_activity a ON a.station_id = s.id
 WHERE st.code LIKE '{city}%%';
CREATE UNIQUE INDEX ON bench_station (idx);
CREATE TEMP TABLE bench_shift AS
SELECT b.idx AS station_idx, (row_number() OVER (PARTITION BY b.idx ORDER BY sh.starts_at) - 1)::int AS k,
       sh.id AS shift_id, (sh.starts_at AT TIME ZONE 'Asia/Shanghai')::date AS day
  FROM bench_station b JOIN timebank_shift sh ON sh.activity_id = b.activity_id;
CREATE UNIQUE INDEX ON bench_shift (station_idx, k);
ANALYZE bench_station;
ANALYZE bench_shift;
"""

# Hours of record j of volunteer i: 0.5 to 8 in half hours.
HOURS = "(((({i})::bigint * 7919 + ({j}) * 104729) %% 16) + 1) * 0.5"

VOLUNTEERS = """
CREATE TEMP TABLE bench_vol AS
SELECT i, b.idx AS station_idx, b.station_id, b.community_id,
       %(pbase)s + i AS person_id, %(abase)s + i AS account_id, %(vbase)s + i AS volunteer_id,
       '{prefix}' || lpad(i::text, 8, '0') AS number,
       1 + (i * 31) %% {max_records} AS n_records,
       (i * 7) %% ({shift_days} - {step} * ({max_records} - 1)) AS first_k
  FROM generate_series(0, %(n)s - 1) AS i
  JOIN bench_station b ON b.idx = i %% %(stations)s;
CREATE TEMP TABLE bench_rec AS
SELECT v.i, j, v.volunteer_id, v.account_id, v.number, sh.shift_id, sh.day,
       ({hours})::numeric(12, 1) AS hours,
       %(rbase)s + v.i * {max_records} + j AS record_id, %(ebase)s + v.i * {max_records} + j AS entry_id
  FROM bench_vol v
  CROSS JOIN LATERAL generate_series(0, v.n_records - 1) AS j
  JOIN bench_shift sh ON sh.station_idx = v.station_idx AND sh.k = v.first_k + {step} * j;
CREATE TEMP TABLE bench_total AS
SELECT volunteer_id, SUM(hours) AS total FROM bench_rec GROUP BY volunteer_id;
CREATE UNIQUE INDEX ON bench_total (volunteer_id);
"""

NAMES = ("substr('王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗', (i %% 20) + 1, 1)"
         " || substr('伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰', ((i / 20) %% 20) + 1, 1)"
         " || CASE WHEN i %% 5 < 3 THEN substr('华建国玉志强红梅兵', ((i / 7) %% 9) + 1, 1) ELSE '' END")

LOAD = [
    ("people", """
    INSERT INTO people_person (id, real_name, name_initials, name_pinyin, gender, birth_year, division_id, resident_id_enc,
                               resident_id_hash, phone_enc, phone_hash, phone_last4_hash, user_id, created_at, updated_at)
    SELECT person_id, {names}, '', '', CASE WHEN i %% 2 = 0 THEN 'F' ELSE 'M' END, 1950 + (i %% 55), community_id, '', '', '', '', '',
           NULL, now(), now()
      FROM bench_vol"""),
    ("accounts", """
    INSERT INTO ledger_account (id, code, name, unit, type, guarded, balance, held, created_at)
    SELECT v.account_id, 'tb:vol:' || v.number, '志愿者 ' || v.number, 'HOUR', 'liability', true, t.total, 0, now()
      FROM bench_vol v JOIN bench_total t ON t.volunteer_id = v.volunteer_id"""),
    ("volunteers", """
    INSERT INTO timebank_volunteer (id, person_id, number, station_id, skills, availability, party_member, party_consent_at,
                                    account_id, approved_hours, registered_at, idempotency_key)
    SELECT v.volunteer_id, v.person_id, v.number, v.station_id, '[]'::jsonb, '[]'::jsonb, v.i %% 9 = 0,
           CASE WHEN v.i %% 9 = 0 THEN now() END, v.account_id, t.total, now() - INTERVAL '{shift_days} days', ''
      FROM bench_vol v JOIN bench_total t ON t.volunteer_id = v.volunteer_id"""),
    ("entries", """
    INSERT INTO ledger_entry (id, source, external_id, content_hash, memo, posted_at, reverses_id, booked_on)
    SELECT entry_id, 'timebank.hours', record_id::text, md5(record_id::text), '服务时长 hours ' || number || ' ' || day,
           (day + TIME '18:00') AT TIME ZONE 'Asia/Shanghai', NULL, day
      FROM bench_rec"""),
    ("postings", """
    INSERT INTO ledger_posting (entry_id, account_id, unit, amount)
    SELECT r.entry_id, leg.account_id, 'HOUR', leg.amount
      FROM bench_rec r CROSS JOIN LATERAL (VALUES (%(issue)s::bigint, r.hours::numeric(18, 2)),
                                                  (r.account_id, -r.hours::numeric(18, 2))) AS leg(account_id, amount)"""),
    ("hour records", """
    INSERT INTO timebank_hoursrecord (id, volunteer_id, shift_id, attendance_id, day, hours, status, late_entry, late_reason,
                                      recorded_by_id, approved_by_id, agency_approved_by_id, decided_at, decline_reason, entry_id,
                                      created_at)
    SELECT record_id, volunteer_id, shift_id, NULL, day, hours, 'approved', false, '', %(worker)s, %(worker)s, NULL,
           (day + TIME '18:00') AT TIME ZONE 'Asia/Shanghai', '', entry_id, (day + TIME '17:10') AT TIME ZONE 'Asia/Shanghai'
      FROM bench_rec"""),
]

FINISH = [
    # tb:issue (equity: credits are negative on its normal side) moves by everything issued.
    "UPDATE ledger_account SET balance = balance - (SELECT COALESCE(SUM(hours), 0) FROM bench_rec) WHERE id = %(issue)s",
    *(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT MAX(id) FROM {t}))" for t in BULK_TABLES),
]


def _fmt(sql: str) -> str:
    return sql.format(prefix=PREFIX, max_records=MAX_RECORDS, shift_days=SHIFT_DAYS, step=STEP, names=NAMES,
                      hours=HOURS.format(i="v.i", j="j"), city=CITY_CODE[:4])


def _statements(script: str) -> list[str]:
    return [s.strip() for s in _fmt(script).split(";\n") if s.strip()]


def generate(n_volunteers: int, *, say: Callable[[str], None] = print) -> int:
    """Generate the volunteers, their records, entries and postings; returns the number of records made."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from shanlian.timebank.services.accounts import issuing

    t0 = time.perf_counter()
    worker = get_user_model().objects.get(username=WORKER)
    issue = issuing()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM orgs_station s JOIN places_division d ON d.id = s.street_id WHERE d.code LIKE %s",
                    [CITY_CODE[:4] + "%"])
        n_stations = cur.fetchone()[0]
        bases = {}
        for key, table in (("pbase", "people_person"), ("abase", "ledger_account"), ("vbase", "timebank_volunteer"),
                           ("rbase", "timebank_hoursrecord"), ("ebase", "ledger_entry")):
            cur.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")
            bases[key] = cur.fetchone()[0]
        params: dict[str, Any] = {"n": n_volunteers, "stations": n_stations, "issue": issue.pk, "worker": worker.pk, **bases}
        cur.execute("SET LOCAL session_replication_role = replica")  # triggers and FK checks off for this load only
        cur.execute("SET LOCAL work_mem = '256MB'")
        cur.execute("SET LOCAL maintenance_work_mem = '1GB'")
        # Secondary indexes (those not behind a constraint) are dropped and rebuilt after the load.
        cur.execute("SELECT i.indexname, i.indexdef FROM pg_indexes i JOIN pg_class c ON c.relname = i.indexname "
                    "WHERE i.tablename = ANY(%s) AND i.schemaname = 'public' "
                    "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid)", [BULK_TABLES])
        indexes = cur.fetchall()
        for name, _def in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        for sql in _statements(MAPS + VOLUNTEERS):
            cur.execute(sql, params)
        cur.execute("SELECT COUNT(*) FROM bench_rec")
        n_records = cur.fetchone()[0]
        say(f"  planned {n_volunteers:,} volunteers, {n_records:,} records in {time.perf_counter() - t0:.1f} s")
        for what, sql in LOAD:
            t = time.perf_counter()
            cur.execute(_fmt(sql), params)
            say(f"  {what:<14} {cur.rowcount:>12,} rows  {time.perf_counter() - t:6.1f} s")
        t = time.perf_counter()
        for _name, definition in indexes:
            cur.execute(definition)
        say(f"  rebuilt {len(indexes)} indexes in {time.perf_counter() - t:.1f} s")
        for sql in FINISH:
            cur.execute(sql, params)
        for table in ("bench_rec", "bench_vol", "bench_total", "bench_shift", "bench_station"):
            cur.execute(f"DROP TABLE {table}")
        cur.execute("SET LOCAL session_replication_role = origin")
    if not connection.in_atomic_block:
        t = time.perf_counter()
        with connection.cursor() as cur:
            for table in BULK_TABLES:
                cur.execute(f"VACUUM (ANALYZE) {table}")
        say(f"  vacuumed in {time.perf_counter() - t:.1f} s")
    say(f"generated {n_records:,} approved hour records in {time.perf_counter() - t0:.1f} s")
    return int(n_records)


def check() -> tuple[int, int, int]:
    """What the triggers would have checked, for the whole database: (entries that do not balance, accounts whose
    stored balance differs from the sum of its postings, volunteers whose approved hours differ from their records)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM (SELECT entry_id FROM ledger_posting GROUP BY entry_id, unit HAVING SUM(amount) <> 0) x")
        unbalanced = cur.fetchone()[0]
        cur.execute("""
            SELECT COUNT(*) FROM ledger_account a
              LEFT JOIN (SELECT account_id, SUM(amount) AS total FROM ledger_posting GROUP BY account_id) s ON s.account_id = a.id
             WHERE a.balance <> COALESCE(s.total, 0) * CASE WHEN a.type IN ('asset', 'expense') THEN 1 ELSE -1 END""")
        mismatched = cur.fetchone()[0]
        cur.execute("""
            SELECT COUNT(*) FROM timebank_volunteer v
              LEFT JOIN (SELECT volunteer_id, SUM(hours) AS total FROM timebank_hoursrecord WHERE status = 'approved'
                          GROUP BY volunteer_id) h ON h.volunteer_id = v.id
             WHERE v.approved_hours <> COALESCE(h.total, 0)""")
        hours = cur.fetchone()[0]
    return int(unbalanced), int(mismatched), int(hours)
