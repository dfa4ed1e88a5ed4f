"""Keep every stored snapshot in the columnar history (``growth.core.history``), so the reuse
time metrics of any snapshot, crawled or imported, come from the same files."""

import datetime as dt
from pathlib import Path

import pyarrow as pa
from django.conf import settings

from growth.core import history
from growth.models import Snapshot


def history_root() -> Path:
    """``HUB_HISTORY_DIR`` setting, else ``STORAGE_ROOT/hub/history``."""
    return Path(getattr(settings, "HUB_HISTORY_DIR", settings.STORAGE_ROOT / "hub" / "history"))


def history_kind(snapshot: Snapshot) -> str:
    return "simulated" if snapshot.simulated else "real"


def record_history(snapshot: Snapshot, table: pa.Table) -> Path:
    """Write (or replace) the snapshot's day in the history of its kind."""
    return history.write_day(history_root(), history_kind(snapshot), snapshot.taken_on, table)


def read_history(snapshot: Snapshot, columns: list[str] | None = None) -> pa.Table:
    """Every stored day of the snapshot's kind up to and including its date."""
    return history.read(
        history_root(), history_kind(snapshot), until=snapshot.taken_on, columns=columns
    )


def prune_history(keep_days: int) -> dict[str, list[dt.date]]:
    """Retention: keep the newest ``keep_days`` days of each kind (``HUB_HISTORY_KEEP_DAYS``)."""
    return {kind: history.prune(history_root(), kind, keep_days) for kind in history.KINDS}
