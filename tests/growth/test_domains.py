import numpy as np
import pyarrow as pa
import pytest

from growth.core.domains import DEFAULT_RULES, Rule, classify, domain_keys


def snapshot(rows):
    return pa.table(
        {
            "tags": [r.get("tags") for r in rows],
            "pipeline_tag": [r.get("pipeline_tag") for r in rows],
            "library_name": [r.get("library_name") for r in rows],
        },
        schema=pa.schema(
            [
                ("tags", pa.list_(pa.string())),
                ("pipeline_tag", pa.string()),
                ("library_name", pa.string()),
            ]
        ),
    )


def test_robotics_rules_match_what_lerobot_writes():
    table = snapshot(
        [
            {"tags": ["LeRobot", "task_categories:robotics"]},  # a LeRobot dataset
            {"tags": ["task_categories:robotics"]},  # a robotics dataset in another format
            {"library_name": "lerobot", "pipeline_tag": "robotics"},  # a policy
            {"tags": ["task_categories:text-generation"]},
            {"tags": None},
        ]
    )
    masks = classify(table)
    assert masks["robotics"].tolist() == [True, True, True, False, False]
    assert masks["robotics/lerobot"].tolist() == [True, False, True, False, False]


def test_a_repo_can_belong_to_several_domains():
    table = snapshot([{"tags": ["task_categories:robotics", "chemistry"]}])
    masks = classify(table)
    assert masks["robotics"][0]
    assert masks["science"][0]
    assert masks["science/chemistry"][0]
    assert not masks["science/biology"][0]


def test_domain_is_union_of_its_subdomains():
    table = snapshot([{"tags": ["genomics"]}, {"tags": ["weather"]}, {"tags": ["nlp"]}])
    masks = classify(table)
    union = np.zeros(3, dtype=bool)
    for key, mask in masks.items():
        if key.startswith("science/"):
            union |= mask
    assert (masks["science"] == union).all()
    assert masks["science"].tolist() == [True, True, False]


def test_custom_rules_and_keys():
    rules = [Rule("ocean", "", "tag", "ocean"), Rule("ocean", "waves", "tag", "waves")]
    assert domain_keys(rules) == ["ocean", "ocean/waves"]
    masks = classify(snapshot([{"tags": ["Waves"]}, {"tags": ["ocean"]}]), rules)
    assert masks["ocean"].tolist() == [True, True]
    assert masks["ocean/waves"].tolist() == [True, False]


def test_bad_rule_is_refused():
    with pytest.raises(ValueError, match="rule field"):
        Rule("x", "", "colour", "red")


def test_every_default_domain_has_a_key():
    keys = domain_keys(DEFAULT_RULES)
    assert "robotics" in keys
    assert "science/biology" in keys
    assert keys.index("science") < keys.index("science/biology")
