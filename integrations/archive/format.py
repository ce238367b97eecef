"""The archive's format: its name and version, the limits an upload must keep, and reading a
zip safely (no member outside the names this format writes, sizes bounded before reading)."""

import json
import re
import zipfile

from django.conf import settings
from django.utils.text import get_valid_filename

FORMAT = "aihub-project"
FORMAT_VERSION = 1
MANIFEST = "project.json"

# The project's own settings carried as they are (besides key, created_by, created_at).
PROJECT_FIELDS = (
    "key",
    "name",
    "description",
    "objectives",
    "phase",
    "board_mode",
    "health_burndown_behind_pct",
    "health_blocked_days",
    "health_target_days",
    "health_high_risks_off_track",
    "health_sync_stale_hours",
    "forecast_weeks",
    "status_report_enabled",
    "status_report_weekday",
    "status_report_time",
    "ticket_counter",
    "created_at",
)

# Ticket history lines that name other rows by id in their `data`: carried as archive refs.
EVENT_DATA_REFS = {
    "sprint_id": "sprint",
    "old_id": "sprint",
    "new_id": "sprint",
    "comment_id": "comment",
    "risk_id": "risk",
}

ATTACHMENT_MEMBER = re.compile(r"^attachments/docs/[1-9][0-9]{0,8}/[1-9][0-9]{0,8}-[A-Za-z0-9._-]{1,120}$")


def max_archive_bytes() -> int:
    """The largest archive an upload may be (compressed)."""
    return int(getattr(settings, "AIHUB_ARCHIVE_MAX_BYTES", 200 * 1024 * 1024))


def max_unpacked_bytes() -> int:
    """The most its members may hold once unpacked (a zip bomb stops here)."""
    return int(getattr(settings, "AIHUB_ARCHIVE_MAX_UNPACKED_BYTES", 1024 * 1024 * 1024))


MAX_MEMBERS = 20_000


class ArchiveError(Exception):
    """An archive this instance will not import, with the reason a user can act on."""


def attachment_member(doc_ref: int, n: int, name: str) -> str:
    safe = get_valid_filename(name or "")[:120] or "file"
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", safe)
    return f"attachments/docs/{doc_ref}/{n}-{safe}"


def archive_open(fileobj) -> tuple[dict, zipfile.ZipFile]:
    """Open an uploaded archive: a zip of `project.json` and attachment members only, within
    the limits, of this format and version. Raises ArchiveError with the reason."""
    fileobj.seek(0, 2)
    size = fileobj.tell()
    fileobj.seek(0)
    if size > max_archive_bytes():
        raise ArchiveError(f"The archive is {size} bytes; the limit is {max_archive_bytes()}.")
    try:
        archive = zipfile.ZipFile(fileobj)
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise ArchiveError("This is not a zip archive (export a project to get one).") from error
    if len(infos) > MAX_MEMBERS:
        raise ArchiveError(f"The archive holds {len(infos)} files; at most {MAX_MEMBERS} are allowed.")
    total = 0
    names = set()
    for info in infos:
        name = info.filename
        if name.endswith("/") and info.file_size == 0:
            continue  # a directory entry
        if name != MANIFEST and not ATTACHMENT_MEMBER.match(name):
            raise ArchiveError(f"Unexpected file in the archive: {name[:200]!r}.")
        if name in names:
            raise ArchiveError(f"The archive holds {name!r} twice.")
        names.add(name)
        total += info.file_size
    if total > max_unpacked_bytes():
        raise ArchiveError(f"The archive unpacks to {total} bytes; the limit is {max_unpacked_bytes()}.")
    if MANIFEST not in names:
        raise ArchiveError(f"The archive has no {MANIFEST}.")
    try:
        raw = member_read(archive, MANIFEST)
        data = json.loads(raw)
    except (ValueError, RecursionError) as error:
        raise ArchiveError(f"{MANIFEST} is not valid JSON: {str(error)[:200]}") from error
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ArchiveError(f"{MANIFEST} is not an AI Hub project archive.")
    if data.get("version") != FORMAT_VERSION:
        raise ArchiveError(
            f"Archive format version {data.get('version')!r} is not supported (this instance reads {FORMAT_VERSION})."
        )
    return data, archive


def member_read(archive: zipfile.ZipFile, name: str) -> bytes:
    """A member's bytes, never more than it declares (the zip module checks size and CRC)."""
    try:
        info = archive.getinfo(name)
    except KeyError as error:
        raise ArchiveError(f"The archive has no file {name!r}.") from error
    try:
        with archive.open(info) as handle:
            return handle.read(info.file_size + 1)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError) as error:
        raise ArchiveError(f"{name} cannot be read: {str(error)[:200]}") from error


# The run fields an archive carries (a snapshot of each linked run).
RUN_FIELDS = (
    "run_id",
    "name",
    "user_id",
    "status",
    "start_time",
    "end_time",
    "artifact_uri",
    "lifecycle",
    "deleted",
    "purged",
    "params",
    "tags",
    "metrics",
)
