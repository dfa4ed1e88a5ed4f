from curation.roles import roles_of


def user_roles(request):
    """Expose the signed-in user's roles to every template, so navigation shows what they can use."""
    user = getattr(request, "user", None)
    return {"user_roles": roles_of(user) if user is not None else frozenset()}
