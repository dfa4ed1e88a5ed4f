"""The conversation on a submission page, as an include that reads its own context."""

from django import template

from curation.services.comments import MAX_COMMENT_CHARS, can_comment

register = template.Library()


@register.inclusion_tag("curation/_comments.html", takes_context=True)
def submission_comments(context, submission):
    request = context["request"]
    comments = list(submission.comments.select_related("author"))
    decisions = [c for c in comments if c.is_decision and c.round == submission.round]
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "submission": submission,
        "comments": comments,
        # The latest decision's reason stays at the top, whatever follows it.
        "pinned": decisions[-1] if decisions else None,
        "can_comment": can_comment(request.user, submission),
        "max_chars": MAX_COMMENT_CHARS,
    }


@register.inclusion_tag("curation/_round_diff.html")
def submission_round_diff(submission):
    from curation.rounds import round_diff

    return {"diff": round_diff(submission), "submission": submission}


@register.inclusion_tag("curation/_draft_tree.html", takes_context=True)
def draft_folders(context, submission):
    """The draft's folders (two levels) with their file counts, each removable while editable."""
    counts: dict[str, int] = {}
    for path in submission.files.values_list("path", flat=True):
        parts = path.split("/")[:-1]
        for depth in range(1, min(len(parts), 2) + 1):
            folder = "/".join(parts[:depth])
            counts[folder] = counts.get(folder, 0) + 1
    return {
        "submission": submission,
        "folders": sorted(counts.items()),
        "can_edit": context.get("can_edit"),
        "csrf_token": context.get("csrf_token"),
    }
