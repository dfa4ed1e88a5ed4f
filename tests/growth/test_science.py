"""The science taxonomy's rules: precision on a labelled sample of real Hub repos, one test per
rule (exclusions included), and the rule-set digest that versions the figures."""

import json

import pyarrow as pa
import pytest

from growth.core import science
from growth.core.domains import DEFAULT_RULES, classify, rules_digest
from growth.core.rules import Rule

MIN_PRECISION = 0.9


def repo(tags=(), pipeline_tag=None, library_name=None, author="someone", repo_type="model"):
    return {
        "repo_type": repo_type,
        "id": f"{author}/repo",
        "author": author,
        "tags": list(tags),
        "pipeline_tag": pipeline_tag,
        "library_name": library_name,
    }


def table(rows):
    return pa.table(
        {
            "repo_type": [r["repo_type"] for r in rows],
            "id": [r["id"] for r in rows],
            "author": [r["author"] for r in rows],
            "tags": pa.array([r["tags"] for r in rows], pa.list_(pa.string())),
            "pipeline_tag": pa.array([r["pipeline_tag"] for r in rows], pa.string()),
            "library_name": pa.array([r["library_name"] for r in rows], pa.string()),
        }
    )


def signal(rule: Rule) -> dict:
    """The smallest repo that carries exactly this rule's signal."""
    if rule.field == "tag":
        return repo(tags=[rule.value])
    if rule.field == "task_category":
        return repo(tags=[f"task_categories:{rule.value}"], repo_type="dataset")
    if rule.field == "architecture":  # the Hub lists config.json's model_type among the tags
        return repo(tags=["transformers", rule.value])
    if rule.field == "pipeline_tag":
        return repo(pipeline_tag=rule.value)
    if rule.field == "library_name":
        return repo(library_name=rule.value)
    if rule.field == "author":
        return repo(author=rule.value)
    raise AssertionError(rule.field)


def merged(*rows) -> dict:
    row = dict(rows[0])
    for other in rows[1:]:
        row["tags"] = row["tags"] + other["tags"]
        for name in ("pipeline_tag", "library_name"):
            row[name] = row[name] or other[name]
        if other["author"] != "someone":
            row["author"], row["id"] = other["author"], other["id"]
    return row


INCLUDES = [r for r in science.SCIENCE_RULES if not r.exclude]
EXCLUDES = [r for r in science.SCIENCE_RULES if r.exclude]
# One question-answering signal, one field word, one specific signal, for exclusion tests.
QA = repo(tags=["task_categories:question-answering"], repo_type="dataset")


def rule_id(rule):
    kind = "exclude" if rule.exclude else ("strong" if rule.overrides_exclusions else "include")
    return f"{rule.key}:{rule.field}={rule.value}:{kind}"


@pytest.mark.parametrize("rule", INCLUDES, ids=rule_id)
def test_each_include_rule_places_its_signal_in_its_key_and_the_domain(rule):
    masks = classify(table([signal(rule), repo(tags=["transformers"])]), DEFAULT_RULES)
    assert masks[rule.key].tolist() == [True, False]
    assert masks["science"].tolist() == [True, False]


@pytest.mark.parametrize("rule", INCLUDES, ids=rule_id)
def test_each_include_rule_yields_to_the_llm_exclusions_unless_it_is_specific(rule):
    masks = classify(table([merged(signal(rule), QA)]), DEFAULT_RULES)
    assert bool(masks[rule.key][0]) is rule.overrides_exclusions


@pytest.mark.parametrize("rule", [r for r in EXCLUDES if not r.subdomain], ids=rule_id)
def test_each_domain_exclusion_takes_out_field_words_but_not_specific_signals(rule):
    field_word = repo(tags=["biology"])
    specific = repo(tags=["genomics"])
    rows = [field_word, merged(field_word, signal(rule)), merged(specific, signal(rule))]
    masks = classify(table(rows), DEFAULT_RULES)
    assert masks["science/biology"].tolist() == [True, False, True]
    assert masks["science"].tolist() == [True, False, True]


@pytest.mark.parametrize("rule", [r for r in EXCLUDES if r.subdomain], ids=rule_id)
def test_each_subdomain_exclusion_only_applies_to_its_subdomain(rule):
    # Nucleotide Transformer: the ESM architecture on DNA is biology, not protein structure.
    esm_on_dna = merged(repo(tags=["esm"]), signal(rule), repo(tags=["genomics"]))
    masks = classify(table([repo(tags=["esm"]), esm_on_dna]), DEFAULT_RULES)
    assert masks[rule.key].tolist() == [True, False]
    assert masks["science/biology"].tolist() == [False, True]


def test_medical_and_math_qa_sets_are_not_science():
    rows = [
        repo(
            tags=["medical", "biology", "task_categories:question-answering"], repo_type="dataset"
        ),
        repo(tags=["math", "task_categories:text-generation"], repo_type="dataset"),
        repo(tags=["chemistry", "instruction-finetuning"], repo_type="dataset"),
        repo(tags=["biology", "medical"], pipeline_tag="text-generation"),
    ]
    assert not classify(table(rows), DEFAULT_RULES)["science"].any()


def test_a_protein_generator_with_a_text_generation_pipeline_stays_in():
    masks = classify(
        table([repo(tags=["progen", "text-generation"], pipeline_tag="text-generation")]),
        DEFAULT_RULES,
    )
    assert masks["science/protein-structure"][0]


def test_author_rules_compare_namespaces_case_insensitively_and_fall_back_to_the_id():
    rows = [repo(author="rostlab"), {**repo(author=""), "id": "ROSTLAB/prot_bert"}]
    assert classify(table(rows), DEFAULT_RULES)["science/protein-structure"].tolist() == [
        True,
        True,
    ]


def test_every_rule_has_a_reason_and_every_subdomain_rules():
    assert all(rule.description for rule in science.SCIENCE_RULES)
    keys = {rule.key for rule in science.SCIENCE_RULES if not rule.exclude}
    assert keys >= {science.subdomain_key(s) for s in science.TAXONOMY}
    assert set(science.REPORT_AREAS) <= set(science.TAXONOMY)


# --- precision on the labelled sample ------------------------------------------------------------


def test_labelled_sample_is_large_real_looking_and_has_negatives():
    items = science.load_sample()
    assert len(items) >= 150
    assert len({i["id"] for i in items}) == len(items)  # no repo twice
    negatives = [i for i in items if not i["expected"]]
    assert len(negatives) >= 30
    assert any("medical" in i["tags"] for i in negatives)
    for subdomain in science.REPORT_AREAS:
        assert sum(subdomain in i["expected"] for i in items) >= 5, subdomain


def test_rules_reach_the_required_precision_on_the_labelled_sample():
    scores = science.evaluate(science.load_sample())
    print("\n" + science.format_scores(scores))  # the report: precision and recall per key
    low = {
        key: round(score.precision, 3)
        for key, score in scores.items()
        if score.precision is not None and score.precision < MIN_PRECISION
    }
    assert not low, f"precision below {MIN_PRECISION}: {low}\n{science.format_scores(scores)}"
    assert all(scores[science.subdomain_key(s)].true_positives for s in science.TAXONOMY)
    assert scores["science"].recall >= 0.9


def test_precision_check_fails_for_a_rule_set_that_lets_qa_sets_in():
    # Without the exclusions, field words pull LLM question-answering sets into science.
    loose = [r for r in DEFAULT_RULES if not r.exclude]
    scores = science.evaluate(science.load_sample(), loose)
    assert scores["science"].precision < MIN_PRECISION
    assert "openlifescienceai/medmcqa" not in scores["science"].false_positive_ids  # no field word
    assert "camel-ai/biology" in scores["science"].false_positive_ids


def test_sample_errors_say_which_line(tmp_path):
    path = tmp_path / "sample.jsonl"
    path.write_text(
        json.dumps({"id": "a/b", "repo_type": "model", "expected": []}) + "\n{not json\n"
    )
    with pytest.raises(science.SampleError, match=r"sample.jsonl:2: not JSON"):
        science.load_sample(path)
    path.write_text(json.dumps({"id": "a/b", "repo_type": "model", "expected": ["alchemy"]}))
    with pytest.raises(science.SampleError, match=r":1: unknown sub-domain"):
        science.load_sample(path)


# --- versions -------------------------------------------------------------------------------------


def test_rules_digest_ignores_order_and_changes_with_any_rule():
    rules = list(DEFAULT_RULES)
    assert rules_digest(rules) == rules_digest(reversed(rules))
    assert rules_digest(rules) != rules_digest(rules[:-1])
    changed = [*rules[:-1], Rule(**{**rules[-1].__dict__, "exclude": not rules[-1].exclude,
                                    "overrides_exclusions": False})]  # fmt: skip
    assert rules_digest(rules) != rules_digest(changed)
