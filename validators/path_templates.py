"""LeRobot's path templates (``data_path``, ``video_path`` in ``meta/info.json``), filled safely.

``str.format`` on a template from an uploaded file is a bomb: ``{episode_index:0100000000d}``
asks for a 100-million-character number per episode (issue 19, H4), and ``{x.__class__}`` reads
attributes. Templates are therefore parsed against an allow-list: plain field names, no
conversion, attribute or index access, and format specs that are zero-padded (or plain) integers
of at most ``MAX_WIDTH`` digits — everything LeRobot itself writes (``{episode_index:06d}``).
"""

from __future__ import annotations

import re
import string

MAX_WIDTH = 20
MAX_PATH_CHARS = 1024
_SPEC = re.compile(r"(0?)([0-9]*)(d?)")


class TemplateError(ValueError):
    """The template is not one we fill; the message says which part and why."""


def parse(template: str) -> list[tuple[str, str | None, str]]:
    """(literal text, field name or None, format spec) parts, or ``TemplateError``."""
    if len(template) > MAX_PATH_CHARS:
        raise TemplateError(f"longer than {MAX_PATH_CHARS} characters ({len(template):,})")
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as error:
        raise TemplateError(f"not a valid template: {error}") from error
    checked = []
    for literal, name, spec, conversion in parts:
        if name is None:
            checked.append((literal, None, ""))
            continue
        if not name.isidentifier():
            raise TemplateError(f"placeholder {{{name[:40]}}} must be a plain name")
        if conversion:
            raise TemplateError(f"placeholder {{{name}!{conversion}}}: conversions are not allowed")
        match = _SPEC.fullmatch(spec or "")
        if not match or "{" in spec:
            raise TemplateError(
                f"placeholder {{{name}:{spec[:40]}}}: only integer formats such as :03d are allowed"
            )
        if match.group(2) and (len(match.group(2)) > 3 or int(match.group(2)) > MAX_WIDTH):
            raise TemplateError(
                f"placeholder {{{name}:{spec[:40]}}}: width {match.group(2)[:40]} is more than "
                f"{MAX_WIDTH} digits"
            )
        checked.append((literal, name, spec or ""))
    return checked


def problem(template: str) -> str | None:
    """What is wrong with ``template`` (for a finding), or None when it can be filled."""
    try:
        parse(template)
    except TemplateError as error:
        return str(error)
    return None


def fill(template, **fields) -> str | None:
    """The path ``template`` gives for ``fields``; None when it cannot be filled safely (not a
    string, a refused placeholder, an unknown field, a value of the wrong type)."""
    if not isinstance(template, str):
        return None
    try:
        parts = parse(template)
    except TemplateError:
        return None
    out = []
    for literal, name, spec in parts:
        out.append(literal)
        if name is None:
            continue
        if name not in fields:
            return None
        value = fields[name]
        if spec and not isinstance(value, int):
            return None
        try:
            out.append(format(value, spec))
        except (ValueError, TypeError):
            return None
    path = "".join(out)
    return path if len(path) <= MAX_PATH_CHARS else None
