"""Roles are Django groups, created by a data migration (curation/migrations/0001_initial.py).

- lab member: uploads datasets for their lab and follows their submissions
- curator:    reviews submissions (never their own)
- researcher: browses the catalogue, growth and reuse metrics
Staff users are treated as curators as well.
"""

LAB_MEMBER = "lab member"
CURATOR = "curator"
RESEARCHER = "researcher"
ALL_ROLES = (LAB_MEMBER, CURATOR, RESEARCHER)


def roles_of(user) -> frozenset[str]:
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_role_cache", None)
    if cached is None:
        cached = frozenset(user.groups.filter(name__in=ALL_ROLES).values_list("name", flat=True))
        if user.is_staff:
            cached |= {CURATOR}
        user._role_cache = cached
    return cached


def has_role(user, role: str) -> bool:
    return role in roles_of(user)


def is_curator(user) -> bool:
    return has_role(user, CURATOR)


def is_lab_member(user) -> bool:
    return has_role(user, LAB_MEMBER)
