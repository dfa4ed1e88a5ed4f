"""Demo data for a fresh install: labs, one user per role, and each app's own demo content.

Idempotent: running it again changes nothing that is already there.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from curation import roles
from curation.services import lab_get_or_create, user_create

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - printed to the operator, demo accounts only

DEMO_USERS = [
    # username, roles, lab slug, is_staff
    ("admin", (roles.CURATOR,), None, True),
    ("alice", (roles.LAB_MEMBER,), "manipulation-lab", False),
    ("bob", (roles.LAB_MEMBER,), "mobile-lab", False),
    ("carol", (roles.CURATOR,), None, False),
    ("rob", (roles.RESEARCHER,), None, False),
]


class Command(BaseCommand):
    help = "Create demo labs and users (one per role) and load each app's demo data."

    def add_arguments(self, parser):
        parser.add_argument("--skip-content", action="store_true", help="users and labs only")

    def handle(self, *args, skip_content=False, **options):
        labs = {
            "manipulation-lab": lab_get_or_create(name="Manipulation Lab", slug="manipulation-lab"),
            "mobile-lab": lab_get_or_create(name="Mobile Robotics Lab", slug="mobile-lab"),
        }
        User = get_user_model()
        for username, user_roles, lab_slug, is_staff in DEMO_USERS:
            if User.objects.filter(username=username).exists():
                continue
            user_create(
                username=username,
                password=DEMO_PASSWORD,
                email=f"{username}@example.org",
                roles=user_roles,
                lab=labs.get(lab_slug),
                is_staff=is_staff,
                is_superuser=is_staff,
            )
        self.stdout.write(
            f"demo users: {', '.join(u[0] for u in DEMO_USERS)} (password {DEMO_PASSWORD})"
        )
        if not skip_content:
            from curation import demo

            demo.seed(self.stdout)
