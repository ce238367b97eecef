"""Create the demo user and a small demo workspace. Safe to run again: it changes nothing
that already exists."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from projects import hooks, services
from projects.models import Project, Role

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "aihub-demo"

DEMO_PROJECTS = [
    {
        "key": "CV",
        "name": "Defect detection",
        "phase": "develop",
        "description": "Find surface defects on the assembly line from camera images.\n\n"
        "Owner: the vision team. Data: line-3 cameras, labelled by QA.",
        "objectives": "- Recall of **0.95** on scratches by the end of Q1\n- Inference under 40 ms on the edge box",
    },
    {
        "key": "CHURN",
        "name": "Customer churn",
        "phase": "plan",
        "description": "Predict which subscribers leave within 30 days, so retention can call them first.",
        "objectives": "- AUC of 0.85 on the holdout month\n- A weekly scored list in the CRM",
    },
]


class Command(BaseCommand):
    help = "Create the demo user (printed) and a small demo workspace."

    @transaction.atomic
    def handle(self, *args, **options):
        User = get_user_model()
        demo, created = User.objects.get_or_create(
            username=DEMO_USERNAME,
            defaults={"display_name": "Demo PM", "email": "demo@example.com", "is_staff": True, "is_superuser": True},
        )
        if created:
            demo.set_password(DEMO_PASSWORD)
            demo.save()
        teammates = []
        for username, name in [("dana", "Dana Scientist"), ("sam", "Sam Stakeholder")]:
            user, made = User.objects.get_or_create(
                username=username, defaults={"display_name": name, "email": f"{username}@example.com"}
            )
            if made:
                user.set_password(DEMO_PASSWORD)
                user.save()
            teammates.append(user)
        for spec in DEMO_PROJECTS:
            if Project.objects.filter(key=spec["key"]).exists():
                continue
            project = services.project_create(creator=demo, **spec)
            services.membership_add(project=project, user=teammates[0], role=Role.MEMBER, added_by=demo)
            services.membership_add(project=project, user=teammates[1], role=Role.VIEWER, added_by=demo)
        for entry in hooks.demo_seeders:
            self.stdout.write(f"Seeding demo {entry['name']}…")
            entry["seeder"](demo)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo workspace ready. Sign in at http://127.0.0.1:8000 as {DEMO_USERNAME} / {DEMO_PASSWORD} "
                f"(also dana and sam, same password)."
            )
        )
