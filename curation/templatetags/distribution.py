"""The dataset page's distribution parts (files, downloads, card), as includes that compute their
own context, so the page's view and template only name them."""

from django import template

from curation.distribution import card
from curation.distribution import selectors as dist
from curation.distribution.views import _human_size

register = template.Library()

TOP_FILES = 50


@register.inclusion_tag("curation/_dataset_distribution.html", takes_context=True)
def dataset_distribution(context, submission):
    request = context["request"]
    files = dist.file_entries(submission)
    revision = dist.Revision(submission=submission, commit=dist.commit_of(submission), files=files)
    entries = dist.tree(revision)
    return {
        "request": request,
        "dataset": submission.dataset,
        "shown": submission,
        "entries": [(e, _human_size(e.size)) for e in entries[:TOP_FILES]],
        "more_entries": max(0, len(entries) - TOP_FILES),
        "file_count": len(files),
        "total_size": _human_size(sum(f.size for f in files)),
        **card.card_context(request, submission),
    }


@register.inclusion_tag("curation/_dataset_jsonld.html", takes_context=True)
def dataset_jsonld(context, submission):
    return {"json_ld": card.card_context(context["request"], submission)["json_ld"]}
