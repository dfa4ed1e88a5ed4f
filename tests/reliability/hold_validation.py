"""Loaded into a test worker with ``--include tests.reliability.hold_validation``: every validation
stops at its start (the pipeline has claimed the job and counted the attempt) until the test
releases it. Fault tests use it to strike "mid-validation" for certain, instead of hoping that
validating a small dataset takes longer than the test needs to react.

The test names a folder in ``VALIDATION_HOLD_DIR``. A held validation writes
``started-<pid>`` there (the pid of the pool process running it) and waits for a file named
``release``; once that exists, this and every later validation runs straight through. The test's
side is ``tests.reliability.conftest.ValidationHold``. Never imported by the test process itself.
"""

import os
import time
from pathlib import Path

import validators

HOLD_DIR = Path(os.environ["VALIDATION_HOLD_DIR"])
RELEASE = HOLD_DIR / "release"
NEVER_RELEASED_S = 900  # a test that forgot to release must not leave a worker stuck forever

_validate = validators.validate


def held_validate(folder, *args, **kwargs):
    (HOLD_DIR / f"started-{os.getpid()}").write_text(str(folder))
    deadline = time.monotonic() + NEVER_RELEASED_S
    while not RELEASE.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"validation held for {NEVER_RELEASED_S} s and never released")
        time.sleep(0.05)
    return _validate(folder, *args, **kwargs)


# The pipeline imports ``validate`` from the package at each run, so it finds this one.
validators.validate = held_validate
