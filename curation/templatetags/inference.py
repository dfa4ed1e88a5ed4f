"""``{% inference_panel dataset_path=... dataset_version_id=... %}`` for the dataset page."""

from django import template

from curation.inference.selectors import inference_panel_context

register = template.Library()


@register.inclusion_tag("curation/_inference_panel.html", takes_context=True)
def inference_panel(context, dataset_path=None, dataset_version_id=None, limit=5):
    request = context.get("request")
    user = getattr(request, "user", None)
    panel = inference_panel_context(
        user, dataset_path=dataset_path, dataset_version_id=dataset_version_id, limit=limit
    )
    return {"inference": panel, "request": request, "csrf_token": context.get("csrf_token")}


@register.filter
def ms(value):
    """12.345 -> '12.3 ms'; None -> a dash."""
    if value is None or value == "":
        return "\u2013"
    value = float(value)
    return (
        f"{value:.0f} ms"
        if value >= 100
        else f"{value:.1f} ms"
        if value >= 1
        else f"{value:.2f} ms"
    )
