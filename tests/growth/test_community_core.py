"""Community projects from commit authors, computed by hand."""

from growth.core.community import RepoCommits, community_projects


def test_projects_count_distinct_contributors_and_the_people_they_share():
    repos = [
        RepoCommits("polymathic-ai", "dataset", "polymathic-ai/the_well", {"ann": 5, "bo": 2}),
        RepoCommits("polymathic-ai", "model", "polymathic-ai/aion-base", {"ann": 1, "cy": 1}),
        RepoCommits("MultimodalUniverse", "dataset", "MultimodalUniverse/gaia", {"cy": 3}),
        RepoCommits("MultimodalUniverse", "dataset", "MultimodalUniverse/sdss", {"cy": 1, "di": 1}),
        RepoCommits("ecmwf", "model", "ecmwf/aifs-single-1.0", {"ed": 9}),
    ]
    projects = community_projects(repos)
    assert [p.name for p in projects] == ["polymathic-ai", "MultimodalUniverse", "ecmwf"]
    poly = projects[0]
    assert (poly.contributors, poly.commits) == (3, 9)
    assert poly.top_contributors[0] == ("ann", 6)
    assert poly.repos == [  # most contributors first, then by id
        ("model", "polymathic-ai/aion-base", 2),
        ("dataset", "polymathic-ai/the_well", 2),
    ]
    assert poly.shared_with == [("MultimodalUniverse", 1)]  # cy commits to both
    assert projects[1].shared_with == [("polymathic-ai", 1)]
    assert projects[2].shared_with == []


def test_no_commits_no_projects():
    assert community_projects([]) == []
