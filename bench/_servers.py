"""Real app servers for benchmarks and failure tests: gunicorn processes serving the project against a
PostgreSQL database, started, killed (SIGKILL, the whole process group: master and workers, mid-request)
and restarted; and pgbench for a baseline measured against the same server.

Shared by bench/intake.py and tests/charity/test_reliability.py. It lives in bench/ (not tests/) because a
benchmark is a command run from a checkout, and a test can put bench/ on sys.path; the other way round
would make the benchmark depend on the test package.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent


def pg_url_with_name(url: str, name: str) -> str:
    """The same server, another database: postgres://u@h:p/NAME."""
    return url.rsplit("/", 1)[0] + "/" + name


def ensure_database(url: str) -> None:
    """Create the database in `url` if the server does not have it yet."""
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def recreate_database(url: str, *, reuse: bool = False) -> None:
    """The database in `url`, dropped and made anew (a benchmark's figures depend on how much is in it), or kept
    with `reuse`."""
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and not reuse:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def migrate(url: str) -> None:
    """Bring the database's schema up to date, in a child process (this one may have Django set up otherwise)."""
    subprocess.run([str(VENV_BIN / "shanlian"), "migrate", "--noinput", "-v", "0"], env=server_env(url), check=True,
                   cwd=REPO)


def server_env(url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": url,
        "SHANLIAN_DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "shanlian.settings",
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        "SHANLIAN_LOG_LEVEL": "WARNING",
    })
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """One gunicorn master with its workers, in its own process group so that a kill takes them all."""

    url: str  # DATABASE_URL
    port: int = 0
    workers: int = 2
    worker_class: str = "sync"  # or "gthread", or "uvicorn" (the ASGI site with the intake gateway, shanlian.asgi)
    threads: int = 1
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    log: Path | None = None
    starts: int = 0

    def __post_init__(self) -> None:
        if not self.port:
            self.port = free_port()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, wait: float = 30.0) -> Server:
        if self.log is None:
            self.log = Path(tempfile.mkstemp(prefix=f"gunicorn-{self.port}-", suffix=".log")[1])
        asgi = self.worker_class == "uvicorn"
        cmd = [
            str(VENV_BIN / "gunicorn"), "shanlian.asgi:application" if asgi else "shanlian.wsgi:application",
            "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
            "--worker-class", "uvicorn_worker.UvicornWorker" if asgi else self.worker_class, "--threads", str(self.threads),
            "--backlog", "2048", "--timeout", "60", "--graceful-timeout", "2", "--keep-alive", "30",
            "--log-level", "warning",
        ]
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(cmd, cwd=REPO, env=server_env(self.url, **self.env), stdout=out, stderr=out,
                                         start_new_session=True)
        self.starts += 1
        self.wait_ready(wait)
        return self

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn on port {self.port} exited {self.proc.returncode}; see {self.log}")
            try:
                # Any answer from the app (401 for an anonymous call) means a worker is serving.
                if httpx.get(self.base + "/api/me", timeout=2.0).status_code in (200, 401):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"gunicorn on port {self.port} did not answer in {timeout}s; see {self.log}")

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL the master and every worker at once: requests in flight die without an answer."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.proc = None

    def stop(self) -> None:
        """Shut down politely (SIGTERM), and firmly if that takes too long."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            self.kill()
        self.proc = None

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def pgbench_insert_tps(url: str, *, clients: int, seconds: int, threads: int = 2, cpu: list[CPUTime] | None = None) -> float:
    """pgbench's rate of one-row INSERT transactions (each its own commit) into a bare table, against the
    server in `url`, with the same client count as the benchmark it is set beside. With `cpu`, the machine's CPU
    time is read just before and after pgbench runs and appended there."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_t (id bigserial PRIMARY KEY, a int NOT NULL, b text NOT NULL, "
                     "c numeric(18, 2) NOT NULL, t timestamptz NOT NULL DEFAULT now())")
        conn.execute("TRUNCATE bench_t")
    script = Path(tempfile.mkstemp(prefix="pgbench-insert-", suffix=".sql")[1])
    script.write_text("\\set amount random(1, 100000)\n"
                      "INSERT INTO bench_t (a, b, c) VALUES (:client_id, 'gift', :amount / 100.0);\n")
    m = re.match(r"postgres(?:ql)?://(?:(?P<user>[^:@/]+)(?::[^@/]*)?@)?(?P<host>[^:/]+)(?::(?P<port>\d+))?/(?P<db>[^?]+)", url)
    if m is None:
        raise ValueError(f"not a PostgreSQL URL: {url}")
    cmd = ["pgbench", "-n", "-f", str(script), "-c", str(clients), "-j", str(min(threads, clients)), "-T", str(seconds),
           "-h", m["host"], "-p", m["port"] or "5432", "-U", m["user"] or "postgres", m["db"]]
    try:
        if cpu is not None:
            cpu.append(CPUTime.now())
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        if cpu is not None:
            cpu.append(CPUTime.now())
    finally:
        script.unlink(missing_ok=True)
    found = re.search(r"tps = ([\d.]+)", out)
    if found is None:
        raise RuntimeError(f"pgbench printed no tps:\n{out}")
    return float(found.group(1))


@dataclass(frozen=True)
class CPUTime:
    """The whole machine's CPU time from /proc/stat, in seconds: busy (user, nice, system, irq, softirq) and stolen
    by the hypervisor for other guests. On a shared machine a rate swings with the neighbours' load; the CPU one
    operation costs here swings far less, so benchmarks print it beside the rate."""

    busy: float
    steal: float
    at: float
    postgres: float  # of which PostgreSQL's processes (their own time, and that of the ended ones the postmaster reaped)

    @classmethod
    def now(cls) -> CPUTime:
        with open("/proc/stat") as stat:
            fields = [int(x) for x in stat.readline().split()[1:]]
        user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
        tick = os.sysconf("SC_CLK_TCK")
        return cls(busy=(user + nice + system + irq + softirq) / tick, steal=steal / tick, at=time.monotonic(),
                   postgres=_postgres_ticks() / tick)

    def since(self, start: CPUTime) -> tuple[float, float, float]:
        """(busy CPU seconds, stolen CPU seconds, wall seconds) from `start` to this reading."""
        return self.busy - start.busy, self.steal - start.steal, self.at - start.at


def _postgres_ticks() -> int:
    """CPU ticks of the processes named postgres: each one's own, plus its reaped children's (the postmaster's
    ended backends). 0 where /proc cannot tell (a server on another machine)."""
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue  # ended meanwhile
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        if name == "postgres" or name.startswith("postgres:"):
            fields = stat[stat.rindex(")") + 2:].split()
            total += sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
    return total
