from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_jitter=True, max_retries=5)
def send_invitation_email(user_id: int, project_name: str, inviter_name: str, base_url: str) -> str:
    """Tell a user they were added to a project; a user with no password gets a link to set one."""
    user = get_user_model().objects.get(pk=user_id)
    lines = [f"{inviter_name} added you to the project “{project_name}” on AI Hub.", ""]
    if not user.has_usable_password():
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        token = default_token_generator.make_token(user)
        path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
        lines += [f"Your username is {user.username}. Choose a password here:", f"{base_url}{path}"]
    else:
        lines += [f"Sign in at {base_url}{reverse('login')} to see it."]
    subject = f"You were added to {project_name} on AI Hub"
    send_mail(subject, "\n".join(lines), settings.DEFAULT_FROM_EMAIL, [user.email])
    return user.email


@shared_task
def prune_audit_log() -> int:
    """Beat, daily: delete audit entries older than AIHUB_AUDIT_RETENTION_DAYS, in batches."""
    from .audit import audit_prune

    return audit_prune()
