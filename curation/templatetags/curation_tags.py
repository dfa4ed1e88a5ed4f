from django import template
from django.http import QueryDict

register = template.Library()


@register.filter
def get(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def attr(obj, name):
    value = getattr(obj, name, "")
    return "" if value is None else str(value)


@register.simple_tag
def query_with(query: str, name: str, value) -> str:
    params = QueryDict(query, mutable=True)
    params[name] = value
    params.pop("page", None)
    return params.urlencode()


@register.simple_tag
def query_without(query: str, name: str) -> str:
    params = QueryDict(query, mutable=True)
    params.pop(name, None)
    params.pop("page", None)
    return params.urlencode()
