"""How a delivery is signed (and how a receiver checks it)."""

import hashlib
import hmac


def signature(secret: str, timestamp: int | str, body: str) -> str:
    """`sha256=<hex HMAC-SHA256 of "{timestamp}.{body}" with the secret>`."""
    message = f"{timestamp}.{body}".encode()
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str, body: str, header: str) -> bool:
    return hmac.compare_digest(signature(secret, timestamp, body), header or "")
