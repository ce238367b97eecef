"""Files uploaded into a page: size limit, an allow-list of content types checked against
the file's own first bytes, stored outside any public URL."""

import mimetypes
import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import get_valid_filename

from ..models import Doc, DocAttachment

User = get_user_model()

# content type -> magic prefixes (None: text, must decode as UTF-8)
ALLOWED_TYPES: dict[str, tuple[bytes, ...] | None] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
    "application/pdf": (b"%PDF-",),
    "application/zip": (b"PK\x03\x04",),
    "text/plain": None,
    "text/csv": None,
    "text/markdown": None,
    "application/json": None,
}


def _sniff(content_type: str, head: bytes) -> bool:
    magics = ALLOWED_TYPES[content_type]
    if magics is None:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as error:
            # A multi-byte character cut at the end of the sample is still text.
            if error.start < len(head) - 4:
                return False
        return b"\x00" not in head
    if content_type == "image/webp":
        return head.startswith(b"RIFF") and head[8:12] == b"WEBP"
    return any(head.startswith(magic) for magic in magics)


@transaction.atomic
def attachment_add(*, doc: Doc, uploaded_file, user: User | None) -> DocAttachment:
    limit = settings.DOCS_ATTACHMENT_MAX_BYTES
    if uploaded_file.size > limit:
        raise ValidationError(
            {
                "file": [
                    f"The file is larger than the limit of {limit // (1024 * 1024) or limit} "
                    f"{'MB' if limit >= 1024 * 1024 else 'bytes'}."
                ]
            }
        )
    name = get_valid_filename(os.path.basename(uploaded_file.name or "file"))[:200] or "file"
    declared = (getattr(uploaded_file, "content_type", "") or "").split(";")[0].strip().lower()
    guessed = mimetypes.guess_type(name)[0] or ""
    content_type = declared if declared in ALLOWED_TYPES else guessed
    if content_type not in ALLOWED_TYPES:
        raise ValidationError(
            {
                "file": [
                    "This type of file is not accepted. Allowed: images (PNG, JPEG, GIF, "
                    "WebP), PDF, ZIP, text, CSV, Markdown, JSON."
                ]
            }
        )
    uploaded_file.seek(0)
    head = uploaded_file.read(2048)
    uploaded_file.seek(0)
    if not _sniff(content_type, head):
        raise ValidationError({"file": [f"The file's content does not match its type ({content_type})."]})
    attachment = DocAttachment(doc=doc, name=name, content_type=content_type, size=uploaded_file.size, uploaded_by=user)
    attachment.file.save(name, uploaded_file, save=False)
    stored = attachment.file
    try:
        attachment.full_clean()
        attachment.save()
    except ValidationError:
        stored.delete(save=False)
        raise
    return attachment


@transaction.atomic
def attachment_delete(*, attachment: DocAttachment) -> None:
    file = attachment.file
    attachment.delete()
    transaction.on_commit(lambda: file.delete(save=False))
