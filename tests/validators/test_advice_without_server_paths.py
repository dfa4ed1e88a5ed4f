"""Advice written for the submitter: on a platform the dataset is checked in a server folder, and
the conversion command must name the dataset and the submitter's own copy, never that folder."""

from validators import validate


def test_conversion_advice_names_the_dataset_not_the_server_folder(base_datasets):
    root = base_datasets["v21"]
    report = validate(root, workers=1, dataset_name="manipulation-lab/pick-place")
    [outdated] = report.by_code("version.outdated")
    assert "--repo-id=manipulation-lab/pick-place --root=DIR" in outdated.message
    assert "DIR/manipulation-lab/pick-place" in outdated.message
    assert str(root) not in outdated.message and str(root.parent) not in outdated.message
    everything = " ".join(f.message for f in report.findings)
    assert str(root.parent) not in everything


def test_v20_advice_too(base_datasets):
    root = base_datasets["v20"]
    report = validate(root, workers=1, dataset_name="lab/old-set")
    [outdated] = report.by_code("version.outdated")
    assert "--repo-id=lab/old-set --root=DIR" in outdated.message
    assert str(root.parent) not in outdated.message
