"""The on-device inference check for VLA policies: can this policy run on this device against this
dataset, and how fast? Plain Python (no Django), used by the Celery task, ``manage.py vla_check``,
``python -m validators.inference`` and ``bench/vla_overhead.py``. See README.md beside this file.

    from validators.inference import check_policy
    report = check_policy("path/to/dataset", "path/to/policy", device="auto", steps=100)
    report.status, report.per_action.p50_ms, report.to_dict()
"""

# The check never reaches for the Hub: every load passes ``local_files_only=True``, so a Hub id must
# already be in the local cache. It deliberately does not switch the whole process to offline mode
# (HF_HUB_OFFLINE): a worker that also serves the ``hub`` queue crawls the Hub in the same process.

from validators.inference.errors import (
    DatasetError,
    InferenceCheckError,
    PolicyLoadError,
    UsageError,
)
from validators.inference.report import (
    FAILED,
    INCOMPATIBLE,
    OK,
    FeatureIssue,
    InferenceReport,
    LatencyStats,
)
from validators.inference.runner import check_policy

__all__ = [
    "FAILED",
    "INCOMPATIBLE",
    "OK",
    "DatasetError",
    "FeatureIssue",
    "InferenceCheckError",
    "InferenceReport",
    "LatencyStats",
    "PolicyLoadError",
    "UsageError",
    "check_policy",
]
