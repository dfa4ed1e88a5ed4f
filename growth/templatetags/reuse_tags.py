"""Template helpers for the reuse pages and the "models citing this dataset" include."""

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma

from growth.core.reuse.definitions import lookup
from growth.reuse.selectors import models_citing_dataset

register = template.Library()


@register.filter
def reuse_value(value, kind="number"):
    """A metric value for people: shares as percentages, counts with separators, null as a dash."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):  # "not available": the snapshot lacks a column the metric needs
        return value
    if kind == "share":
        return f"{100 * value:.2f}%"
    if kind == "count":
        return intcomma(int(value))
    if kind == "index":
        return f"{value:.4f}"
    if kind == "days":
        return f"{value:g} days"
    return f"{value:,.2f}" if isinstance(value, float) else intcomma(value)


@register.filter
def metric_at(metrics: dict, key: str):
    """The value at a dotted key of a metrics dict: ``metrics|metric_at:"derivatives.direct"``."""
    return lookup(metrics or {}, key)


@register.filter
def get_item(mapping, key):
    return (mapping or {}).get(key)


@register.simple_tag
def reuse_citations_of(repo_id, snapshot=None):
    """``{% reuse_citations_of repo_id as citations %}``: the models citing a dataset."""
    return models_citing_dataset(repo_id, snapshot or None) if repo_id else []
