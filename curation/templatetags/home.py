"""The home page says, per role, what is waiting: the lab's drafts that need action, the curator's
queue, the researcher's pages."""

from django import template

from curation import roles, selectors
from curation.models import SubmissionState as S

register = template.Library()

NEEDS_LAB = (S.DRAFT, S.CHANGES_REQUESTED, S.RETURNED)


@register.inclusion_tag("curation/_home_waiting.html", takes_context=True)
def waiting_for_me(context):
    user = context["request"].user
    out = {"user": user, "is_lab": roles.is_lab_member(user), "is_curator": roles.is_curator(user)}
    if out["is_lab"]:
        mine = selectors.my_lab_submissions(user).filter(state__in=NEEDS_LAB)
        out["lab_waiting"] = list(mine[:10])
        out["lab_waiting_count"] = mine.count()
    if out["is_curator"]:
        queue = selectors.review_queue().exclude(dataset__lab__members=user)
        out["queue_count"] = queue.count()
        out["queue_mine"] = queue.filter(reviewer=user).count()
        out["queue_oldest"] = list(queue[:5])
    return out
