"""Simulated science repos look like the field: the taxonomy's signals, not random tags."""

import collections

import pyarrow.compute as pc
import pytest

from growth.core import science
from growth.core.domains import classify
from growth.core.simulate import simulate
from growth.core.snapshot import read_snapshot


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    path = tmp_path_factory.mktemp("sim") / "hub.parquet"
    simulate(str(path), models=30_000, datasets=10_000, seed=11, snapshots=1)
    return read_snapshot(path)


def test_every_subdomain_gets_repos_through_its_own_rules(snapshot):
    masks = classify(snapshot)
    for name in science.TAXONOMY:
        assert masks[science.subdomain_key(name)].sum() >= 10, name


def test_science_is_published_by_the_fields_organizations(snapshot):
    masks = classify(snapshot)
    authors = collections.Counter(snapshot.filter(masks["science"])["author"].to_pylist())
    profile_orgs = {org for p in science.PROFILES for org in p.organizations}
    from_orgs = sum(count for author, count in authors.items() if author in profile_orgs)
    assert from_orgs / sum(authors.values()) > 0.4
    top = [author for author, _ in authors.most_common(5)]
    assert set(top) & profile_orgs


def test_llm_lookalikes_are_simulated_and_kept_out(snapshot):
    masks = classify(snapshot)
    tags = snapshot["tags"].to_pylist()
    lookalikes = [
        i for i, t in enumerate(tags) if t and ("instruction-finetuning" in t or "medical" in t)
    ]
    assert len(lookalikes) >= 20
    assert not masks["science"][lookalikes].any()


def test_science_models_carry_science_libraries_and_architectures(snapshot):
    masks = classify(snapshot)
    models = pc.equal(snapshot["repo_type"], "model").to_numpy(zero_copy_only=False)
    protein = snapshot.filter(masks["science/protein-structure"] & models)
    libraries = set(protein["library_name"].to_pylist())
    assert {"esm", "boltzgen"} & libraries
    climate = snapshot.filter(masks["science/climate"] & models)
    assert {"anemoi", "fme"} & set(climate["library_name"].to_pylist())
