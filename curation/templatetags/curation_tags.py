from functools import lru_cache
from urllib.parse import parse_qsl, urlencode

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


@lru_cache(maxsize=512)
def _parsed(query: str) -> tuple[tuple[str, str], ...]:
    return tuple(parse_qsl(query, keep_blank_values=True))


@register.simple_tag
def query_with(query: str, name: str, value) -> str:
    """``query`` with ``name`` set to ``value`` (in its place, or last) and no page number. A
    catalogue page builds about a hundred of these links: the query is parsed once."""
    pairs, placed = [], False
    for key, current in _parsed(query):
        if key == "page":
            continue
        if key == name:
            if not placed:
                pairs.append((name, str(value)))
                placed = True
            continue
        pairs.append((key, current))
    if not placed:
        pairs.append((name, str(value)))
    return urlencode(pairs)


@register.simple_tag
def query_without(query: str, name: str) -> str:
    params = QueryDict(query, mutable=True)
    params.pop(name, None)
    params.pop("page", None)
    return params.urlencode()
