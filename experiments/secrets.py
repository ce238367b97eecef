"""Credentials of MLflow sources, encrypted at rest with Fernet. The key comes from
AIHUB_ENCRYPTION_KEY (a Fernet key, or any text, which is hashed into one) or, without it,
is derived from SECRET_KEY; rotating either makes stored secrets unreadable (re-enter them)."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    configured = getattr(settings, "AIHUB_ENCRYPTION_KEY", "") or ""
    if configured:
        try:
            return Fernet(configured.encode())
        except (ValueError, TypeError):
            material = configured
    else:
        material = settings.SECRET_KEY
    digest = hashlib.sha256(f"aihub-mlflow-credentials:{material}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode() if secret else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return ""
