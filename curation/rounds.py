"""Reads: what changed between two review rounds of a submission (files, findings, metadata), from
the snapshots ``validation_finished`` keeps in its audit rows (``services.workflow.round_snapshot``).
"""

from dataclasses import dataclass, field

from curation.models import Submission


@dataclass
class RoundDiff:
    previous_round: int
    round: int
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    fixed: list[list] = field(default_factory=list)  # findings of the previous round now gone
    new: list[list] = field(default_factory=list)  # findings that were not there before
    metadata: list[tuple[str, str, str]] = field(default_factory=list)  # (field, before, after)

    @property
    def unchanged(self) -> bool:
        return not (
            self.added or self.removed or self.changed or self.fixed or self.new or self.metadata
        )


def round_diff(submission: Submission) -> RoundDiff | None:
    """The latest round against the one before it; None before a second round was validated."""
    snapshots = [
        e.extra
        for e in submission.audit_events.filter(action="validation_finished").order_by("-id")[:2]
        if "files" in (e.extra or {})
    ]
    if len(snapshots) < 2:
        return None
    now, before = snapshots
    if now.get("round") == before.get("round"):
        return None
    diff = RoundDiff(previous_round=before["round"], round=now["round"])
    old_files, new_files = before["files"], now["files"]
    diff.added = sorted(set(new_files) - set(old_files))
    diff.removed = sorted(set(old_files) - set(new_files))
    diff.changed = sorted(
        p for p in set(new_files) & set(old_files) if new_files[p] != old_files[p]
    )
    old_findings = {tuple(f[:2]): f for f in before.get("findings") or []}
    new_findings = {tuple(f[:2]): f for f in now.get("findings") or []}
    diff.fixed = [old_findings[k] for k in old_findings if k not in new_findings]
    diff.new = [new_findings[k] for k in new_findings if k not in old_findings]
    for name in ("title", "description", "domain", "notes"):
        a = (before.get("metadata") or {}).get(name, "")
        b = (now.get("metadata") or {}).get(name, "")
        if a != b:
            diff.metadata.append((name, a, b))
    return diff
