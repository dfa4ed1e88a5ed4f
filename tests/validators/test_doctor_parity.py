"""We find at least what lerobot-doctor (the community validator) finds, on every damaged fixture.

For each damage, lerobot-doctor's new WARN/FAIL messages (compared with the intact dataset) are
grouped by its check; for each such check we must report a new finding in the matching code
family. Advice that is not about the damage (training readiness, per-episode drilldown) is skipped.
"""

import pytest

from tests.validators.damages import DAMAGES, covered, doctor_findings, new_doctor_findings
from validators import validate

# Per-episode drilldown repeats the other checks; training readiness is policy advice.
SKIPPED_DOCTOR_CHECKS = {"Per-Episode Summary", "Training Readiness"}


@pytest.fixture(scope="module")
def baselines(base_datasets):
    return {
        name: (validate(path, workers=1).codes(), doctor_findings(path))
        for name, path in base_datasets.items()
        if name in ("v30", "v21")
    }


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy warnings inside lerobot-doctor
@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_we_find_what_lerobot_doctor_finds(damage, dataset, baselines):
    base, recipe = DAMAGES[damage]
    root = dataset(base)
    recipe(root)
    ours_before, doctor_before = baselines[base]
    report = validate(root, workers=1)
    ours_new = report.codes() - ours_before
    doctor_new = new_doctor_findings(doctor_findings(root), doctor_before)
    # Every damage is something we report, as an error or warning.
    assert ours_new, f"{damage}: we found nothing new"
    missed = {
        check: messages
        for check, messages in doctor_new.items()
        if check not in SKIPPED_DOCTOR_CHECKS and not covered(check, ours_new)
    }
    assert not missed, f"{damage}: lerobot-doctor found {missed}; we found {sorted(ours_new)}"
