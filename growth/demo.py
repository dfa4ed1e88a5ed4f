"""Demo data for ``seed_demo``: a modest SIMULATED snapshot history, imported once."""

from pathlib import Path

from django.conf import settings

from growth.core.simulate import simulate
from growth.services import import_snapshot_file


def load_demo_snapshot(
    models: int = 30_000, datasets: int = 10_000, snapshots: int = 6, seed: int = 2026
):
    """Simulate weekly snapshots (labelled simulated) and import them; repeatable (no duplicates).

    Takes a few seconds at the default size. Returns the imported snapshots, oldest first.
    """
    folder = Path(settings.STORAGE_ROOT) / "growth"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"demo-hub-{models}-{datasets}-{snapshots}-{seed}.parquet"
    if not path.exists():
        simulate(str(path), models=models, datasets=datasets, seed=seed, snapshots=snapshots)
    return import_snapshot_file(path, simulated=True, report=lambda line: None)
