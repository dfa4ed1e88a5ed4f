"""Community projects: Hub organizations whose repos many people build together.

The report notes that AI-for-science community projects "often [have] hundreds of contributors
across institutions and disciplines". A Hub listing names one author namespace per repo and no
contributors; the Hub exposes contributors only through each repo's commit history (the
``authors`` of ``GET /api/{type}s/{id}/commits/{revision}``, huggingface_hub's
``list_repo_commits``). From those commits, per project (an organization namespace):

- ``contributors``: distinct commit authors over the project's scanned repos;
- ``commits``: commits scanned;
- ``shared_with``: other projects that share at least one contributor (people who commit to
  both): the visible trace of work across organizations;
- the evidence: the repos scanned, each with its own contributor count, and the most active
  contributors.

Plain Python (no Django), like the rest of ``growth.core``.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class RepoCommits:
    project: str  # the organization namespace that publishes the repo
    repo_type: str
    repo_id: str
    authors: dict[str, int]  # commit author -> commits


@dataclass
class Project:
    name: str
    contributors: int = 0
    commits: int = 0
    repos: list[tuple[str, str, int]] = field(default_factory=list)  # (type, id, contributors)
    top_contributors: list[tuple[str, int]] = field(default_factory=list)
    shared_with: list[tuple[str, int]] = field(default_factory=list)  # (project, people shared)


def community_projects(repos: Iterable[RepoCommits], top: int = 10) -> list[Project]:
    """Projects ranked by distinct contributors (then commits, then name)."""
    people: dict[str, Counter] = defaultdict(Counter)
    scanned: dict[str, list] = defaultdict(list)
    for repo in repos:
        people[repo.project].update(repo.authors)
        scanned[repo.project].append((repo.repo_type, repo.repo_id, len(repo.authors)))
    projects_of: dict[str, set[str]] = defaultdict(set)
    for project, counter in people.items():
        for person in counter:
            projects_of[person].add(project)
    result = []
    for project, counter in people.items():
        shared = Counter(
            other for person in counter for other in projects_of[person] if other != project
        )
        result.append(
            Project(
                name=project,
                contributors=len(counter),
                commits=sum(counter.values()),
                repos=sorted(scanned[project], key=lambda r: (-r[2], r[1])),
                top_contributors=sorted(counter.items(), key=lambda item: (-item[1], item[0]))[
                    :top
                ],
                shared_with=sorted(shared.items(), key=lambda item: (-item[1], item[0])),
            )
        )
    return sorted(result, key=lambda p: (-p.contributors, -p.commits, p.name.lower()))
