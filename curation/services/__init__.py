"""Services that write: every change to curation data goes through a function here."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from curation.models import Lab
from curation.roles import ALL_ROLES


@transaction.atomic
def user_create(
    *, username: str, password: str, email: str = "", roles=(), lab: Lab | None = None, **extra
):
    unknown = set(roles) - set(ALL_ROLES)
    if unknown:
        raise ValueError(f"unknown role(s) {sorted(unknown)}; known roles are {list(ALL_ROLES)}")
    user = get_user_model().objects.create_user(
        username=username, password=password, email=email, **extra
    )
    user.groups.set(Group.objects.filter(name__in=roles))
    if lab is not None:
        lab.members.add(user)
    return user


def lab_get_or_create(*, name: str, slug: str) -> Lab:
    lab, _ = Lab.objects.get_or_create(slug=slug, defaults={"name": name})
    return lab
