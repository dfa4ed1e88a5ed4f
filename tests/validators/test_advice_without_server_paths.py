"""Advice written for the submitter: on a platform the dataset is checked in a server folder, and
the conversion command must name the submitter's copy by the dataset's name, never that folder."""

from validators import validate


def test_conversion_advice_names_the_dataset_not_the_server_folder(base_datasets):
    root = base_datasets["v21"]
    report = validate(root, workers=1, name="pick-place")
    [outdated] = report.by_code("version.outdated")
    assert "--root=pick-place" in outdated.message
    everything = " ".join(f.message for f in report.findings)
    assert str(root.parent) not in everything
