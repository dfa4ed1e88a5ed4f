"""Health of the platform's moving parts: database, broker and the workers behind each queue.

The worker check is a real round trip: a ping task is queued on every queue and the page waits
(briefly, all queues at once) for a worker to answer. A stopped worker therefore shows up as
"degraded" within ``HEALTH_PING_TIMEOUT`` seconds instead of hanging the page.
"""

import time
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.db import connection

from config.celery import QUEUES, app, ping


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    latency_ms: float | None = None


@dataclass
class HealthReport:
    status: str  # "ok", "degraded" (workers missing) or "down" (database or broker unusable)
    checks: list[Check] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"status": self.status, "checks": [asdict(check) for check in self.checks]}


def _timed(fn):
    start = time.perf_counter()
    try:
        detail = fn()
        ok = True
    except Exception as exc:  # a health page reports failures, it never raises them
        detail, ok = f"{type(exc).__name__}: {exc}", False
    return ok, detail, round((time.perf_counter() - start) * 1000, 1)


def check_database() -> Check:
    def query():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return f"{connection.vendor} answered"

    ok, detail, ms = _timed(query)
    return Check("database", ok, detail, ms)


def check_broker() -> Check:
    def connect():
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            return f"{conn.transport_cls} reachable"

    ok, detail, ms = _timed(connect)
    return Check("broker", ok, detail, ms)


def check_workers(timeout: float) -> list[Check]:
    """Ping every queue at once, then collect answers until the shared deadline."""
    sent = {}
    for queue in QUEUES:
        try:
            sent[queue] = (time.perf_counter(), ping.apply_async(queue=queue, expires=timeout + 5))
        except Exception as exc:
            sent[queue] = (None, exc)
    deadline = time.monotonic() + timeout
    checks = []
    for queue, (started, result) in sent.items():
        name = f"worker:{queue}"
        if started is None:
            checks.append(Check(name, False, f"could not queue the ping: {result}"))
            continue
        try:
            answer = result.get(timeout=max(0.05, deadline - time.monotonic()), interval=0.05)
            latency = round((time.perf_counter() - started) * 1000, 1)
            checks.append(Check(name, answer == "pong", f"answered {answer!r}", latency))
        except Exception:
            checks.append(Check(name, False, f"no worker answered within {timeout:g} s"))
        finally:
            result.forget()
    return checks


def platform_health(timeout: float | None = None) -> HealthReport:
    timeout = settings.HEALTH_PING_TIMEOUT if timeout is None else timeout
    database, broker = check_database(), check_broker()
    checks = [database, broker]
    if database.ok and broker.ok:
        checks += check_workers(timeout)
        status = "ok" if all(check.ok for check in checks) else "degraded"
    else:
        status = "down"
    return HealthReport(status, checks)
