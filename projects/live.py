"""Live collaboration: after a change commits, announce it so every open board and ticket
page refetches what changed. An announcement carries no data (permissions stay in the
normal views), only which project changed and, where known, which ticket.

Every announcement bumps the project's revision in the cache, which pages poll cheaply
(304 when nothing changed). While the cache (Redis) is unavailable the revision is None:
pages say "live updates paused" and refetch once it is back; writes go on regardless.
What changed (`kind`, and the ticket's key) is counted and logged for operators, not sent
to pages."""

import contextlib
import logging
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import transaction
from prometheus_client import Counter

from aihub.throttling import CacheUnavailable, guarded

from . import hooks

logger = logging.getLogger(__name__)

ANNOUNCEMENTS = Counter("aihub_live_announcements_total", "Changes announced to open pages, after commit", ["kind"])


def revision_key(project_id: int) -> str:
    return f"project-rev:{project_id}"


def project_revision(project_id: int) -> int | None:
    """The project's revision, or None while the cache cannot be read (live updates paused)."""
    try:
        return guarded(cache.get, revision_key(project_id), 0)
    except CacheUnavailable:
        return None


def _redis_incr(redis_cache: RedisCache, key: str) -> int:
    """SET NX then INCR in one MULTI/EXEC: one round trip to Redis (not an add, then an incr)."""
    full_key = redis_cache.make_and_validate_key(key)
    pipe = redis_cache._cache.get_client(full_key, write=True).pipeline(transaction=True)
    pipe.set(full_key, 0, nx=True)
    pipe.incr(full_key)
    return int(pipe.execute()[1])


def _incr(project_id: int) -> int:
    key = revision_key(project_id)
    default = caches["default"]
    if isinstance(default, RedisCache):
        return _redis_incr(default, key)
    cache.add(key, 0, timeout=None)
    try:
        return cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=None)
        return 1


def _bump(project_id: int) -> int | None:
    try:
        return guarded(_incr, project_id)
    except CacheUnavailable:  # the write stands; pages refetch when live updates resume
        return None


def _announced(project_id: int, kind: str, ticket_key: str | None, then: Callable | None = None) -> None:
    revision = _bump(project_id)
    if then is not None:
        then(revision)
    ANNOUNCEMENTS.labels(kind).inc()
    logger.debug(
        "live: project %s is at revision %s after %s%s",
        project_id,
        revision,
        kind,
        f" of {ticket_key}" if ticket_key else "",
    )


def announce(
    *, project_id: int, kind: str, ticket_key: str | None = None, then: Callable[[int | None], None] | None = None
) -> None:
    """Call inside the write's transaction; once it commits, the project's revision moves
    (open pages refetch), the change is counted by `kind` ("ticket.moved",
    "sprint.started"...: aihub_live_announcements_total) and logged at DEBUG with the
    ticket's key when there is one. `then(revision)` is called with the revision this
    change produced (None while live updates are paused): a write's answer can carry it
    without asking Redis again."""
    transaction.on_commit(lambda: _announced(project_id, kind, ticket_key, then))
    hooks.changed(project_id=project_id, kind=kind, ticket_key=ticket_key)


# --- Figures kept until the project's next change ------------------------------------------


def kept_until_changed(
    name: str,
    project_ids: list[int],
    compute: Callable[[list[int]], dict[int, object]],
    *,
    stamps: dict[int, object] | None = None,
    seconds: int | None = None,
) -> dict[int, object]:
    """{project id: value} where `compute(ids)` gives {id: value} for the ids it is asked
    about; each value is kept in the cache under the project's revision (and its `stamp`:
    what else it was computed from, as the thresholds or the day) for at most `seconds`
    (AIHUB_FIGURES_CACHE_SECONDS). An announced change moves the revision after its commit,
    and the revision is read before `compute` runs, so a value computed from older data is
    never kept under a newer revision. What changes unannounced (the clock, a sync's end)
    shows within `seconds`. One cache round trip to read, one to keep what was computed;
    while the cache is down everything is computed and nothing kept."""
    stamps = stamps or {}
    seconds = settings.AIHUB_FIGURES_CACHE_SECONDS if seconds is None else seconds
    if seconds <= 0:
        return compute(list(project_ids))
    value_key = lambda project_id: f"kept:{name}:{project_id}"  # noqa: E731
    try:
        found = guarded(cache.get_many, [k for pk in project_ids for k in (revision_key(pk), value_key(pk))])
    except CacheUnavailable:
        return compute(list(project_ids))
    known, revisions = {}, {}
    for project_id in project_ids:
        revisions[project_id] = found.get(revision_key(project_id), 0)
        entry = found.get(value_key(project_id))
        if entry and entry[0] == revisions[project_id] and entry[1] == stamps.get(project_id):
            known[project_id] = entry[2]
    missing = [project_id for project_id in project_ids if project_id not in known]
    if missing:
        computed = compute(missing)
        with contextlib.suppress(CacheUnavailable):  # computed again next time
            guarded(
                cache.set_many,
                {value_key(pk): (revisions[pk], stamps.get(pk), value) for pk, value in computed.items()},
                timeout=seconds,
            )
        known.update(computed)
    return known
