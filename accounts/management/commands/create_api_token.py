from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.services import api_token_create


class Command(BaseCommand):
    help = "Create a personal access token for USERNAME; prints the raw token alone on the last line."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="command line")

    def handle(self, *args, username, name, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        token, raw = api_token_create(user=user, name=name)
        self.stdout.write(f"Created token {token.name!r} for {user.username}. It is shown only once:")
        self.stdout.write(raw)
