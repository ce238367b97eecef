"""The board's move in two SQL statements on PostgreSQL (issue 12: a move pays for its round
trips and for the ORM compiling them, more than for the work).

`ticket_move_by_key` is what `POST /api/v1/tickets/{key}/move/` calls first. In one
transaction:

1. LOCK: the ticket by its key, its row and its project's row locked (moves of a project
   queue on that row, as in `ticket_for_move`), only if the user's membership allows
   editing (access.roles_allowed): the access check and the lock are one statement.
2. MOVE: its place and its write in one data-modifying WITH: the target status by slug,
   the anchor card by key in that column, the rank of the card after it (an index probe on
   project, status, rank, as `board._following_rank`), the midpoint (`ranking.rank_between`
   in SQL), the UPDATE of the ticket and the INSERT of its history line. A second statement
   because, under READ COMMITTED, only a statement that starts after the lock is granted
   sees the moves committed while it waited.

Both are plain SQL with parameters: nothing for the ORM to compile on the way.

Whenever the SQL cannot decide alone, nothing is written and the ordinary path in
`services/board.py` (`ticket_move_locked`, whose rules are the reference) takes over in
the same transaction, with the locks held:
- a stale `version` (409), an unknown status, an anchor that is not in the column or is
  the card itself (400);
- entering a finished status from an unfinished one (finish guards, metric gates, admin
  override, close-out handlers);
- no integer left between the neighbours (the window around the spot is renumbered), a
  rank or version past its column's range (the field error full_clean gives).

It answers None, having written nothing, when the lock statement finds no row: not a
member, a viewer, no such ticket, or a concurrent move of that very ticket committed while
it waited (PostgreSQL rechecks the joined status, which no longer matches). The caller then
takes the ordinary way (`get_scoped_ticket` for the 404 or 403, `ticket_move`), so every
answer stays what it was. Other databases (SQLite, the embedded default) always get None.
"""

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from ..access import Action, roles_allowed
from ..models import Membership, Project, Ticket, TicketEvent, WorkflowStatus
from ..ranking import RANK_GAP
from .board import announce_move, ticket_for_move, ticket_move_locked

User = get_user_model()

BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1
# PositiveIntegerField on PostgreSQL: a version at this value cannot be bumped (full_clean
# refuses the next one), so such a move takes the ordinary path and its field error.
VERSION_MAX = 2**31 - 1

_TICKET, _PROJECT = Ticket._meta.db_table, Project._meta.db_table
_STATUS, _MEMBERSHIP, _EVENT = WorkflowStatus._meta.db_table, Membership._meta.db_table, TicketEvent._meta.db_table

LOCK_SQL = f"""
SELECT t.id, t.key, t.project_id, t.status_id, t.rank, t.version, s.slug, s.is_finished
FROM {_TICKET} t
JOIN {_PROJECT} p ON p.id = t.project_id
JOIN {_STATUS} s ON s.id = t.status_id
WHERE t.key = %(key)s
  AND EXISTS (
    SELECT 1 FROM {_MEMBERSHIP} m
    WHERE m.project_id = t.project_id AND m.user_id = %(user)s AND m.role = ANY(%(roles)s)
  )
FOR UPDATE OF t, p
"""

# The target column and the card's neighbours: `low` the anchor's rank (NULL: the top),
# `high` the rank of the first other card from there on (NULL: none). No row when the
# status or the anchor does not fit: the ordinary path says why. The first card in (rank,
# id) order has the least rank, so `high` is a min(): PostgreSQL reads it as the first
# entry of ticket_board_order (project, status, rank) from the anchor's rank on. (An
# ORDER BY rank, id LIMIT 1 lets it pick ticket_backlog_order (project, rank, id)
# instead, whose walk skips every other column's cards: longer as the project grows.)
_PLACE_AFTER = f"""
SELECT s.id AS status_id, s.slug, s.is_finished, a.rank AS low,
  (SELECT min(f.rank) FROM {_TICKET} f
   WHERE f.project_id = a.project_id AND f.status_id = a.status_id AND f.rank >= a.rank
     AND f.id <> a.id AND f.id <> %(ticket)s) AS high
FROM {_TICKET} a JOIN {_STATUS} s ON s.id = a.status_id
WHERE a.key = %(after)s AND a.project_id = %(project)s AND a.id <> %(ticket)s AND s.slug = %(status)s
"""
_PLACE_TOP = f"""
SELECT s.id AS status_id, s.slug, s.is_finished, NULL::bigint AS low,
  (SELECT min(f.rank) FROM {_TICKET} f
   WHERE f.project_id = s.project_id AND f.status_id = s.id AND f.id <> %(ticket)s) AS high
FROM {_STATUS} s
WHERE s.project_id = %(project)s AND s.slug = %(status)s
"""

# ranking.rank_between in numeric (no overflow; floor division as Python's //); an empty
# column keeps the card's rank. NULL: no integer left, the ordinary path renumbers.
# The write happens only when the rank fits a bigint and the move enters no finished
# status from an unfinished one; the history line only when the column changed.
_MOVE = f"""
, ranked AS (
  SELECT status_id, slug, is_finished,
    CASE
      WHEN low IS NULL AND high IS NULL THEN %(own_rank)s::numeric
      WHEN low IS NULL THEN high::numeric - %(gap)s
      WHEN high IS NULL THEN low::numeric + %(gap)s
      WHEN high::numeric - low < 2 THEN NULL
      ELSE floor((low::numeric + high) / 2)
    END AS rank
  FROM place
), moved AS (
  UPDATE {_TICKET} t SET
    status_id = r.status_id,
    rank = r.rank::bigint,
    version = CASE WHEN r.status_id = %(old_status)s THEN t.version ELSE t.version + 1 END,
    finished_at = CASE WHEN r.status_id <> %(old_status)s AND NOT r.is_finished THEN NULL ELSE t.finished_at END,
    updated_at = %(now)s
  FROM ranked r
  WHERE t.id = %(ticket)s
    AND r.rank BETWEEN {BIGINT_MIN} AND {BIGINT_MAX}
    AND NOT (r.status_id <> %(old_status)s AND r.is_finished AND NOT %(old_finished)s)
    AND NOT (r.status_id <> %(old_status)s AND t.version >= {VERSION_MAX})
  RETURNING t.rank, t.version
), history AS (
  INSERT INTO {_EVENT} (ticket_id, actor_id, kind, field, old_value, new_value, data, created_at)
  SELECT %(ticket)s, %(actor)s, %(kind)s, 'status', %(old_slug)s, r.slug, '{{}}'::jsonb, %(now)s
  FROM moved, ranked r
  WHERE r.status_id <> %(old_status)s
)
SELECT r.status_id, r.slug, r.is_finished, moved.rank, moved.version
FROM ranked r LEFT JOIN moved ON true
"""
MOVE_AFTER_SQL = f"WITH place AS ({_PLACE_AFTER}){_MOVE}"
MOVE_TOP_SQL = f"WITH place AS ({_PLACE_TOP}){_MOVE}"


def ticket_move_by_key(
    *,
    key: str,
    user: User,
    status: str,
    after: str | None = None,
    version: int | None = None,
    override_reason: str = "",
) -> Ticket | None:
    """services.ticket_move for the ticket `key` as `user` (statuses and anchors as slugs and
    keys), with the access check folded in: the moved ticket (key, project_id, status,
    rank, version), or None when the caller must check access and move the ordinary way
    (see the module's docstring). Two statements for an ordinary move."""
    if connection.vendor != "postgresql":
        return None
    return _move(key=key, user=user, status=status, after=after, version=version, override_reason=override_reason)


@transaction.atomic
def _move(*, key, user, status, after, version, override_reason) -> Ticket | None:
    with connection.cursor() as cursor:
        cursor.execute(LOCK_SQL, {"key": key, "user": user.pk, "roles": roles_allowed(Action.EDIT)})
        locked = cursor.fetchone()
        if locked is None:
            return None
        ticket_id, ticket_key, project_id, old_status, own_rank, current_version, old_slug, old_finished = locked
        moved = None
        if version is None or int(version) == current_version:
            now = timezone.now()
            cursor.execute(
                MOVE_AFTER_SQL if after else MOVE_TOP_SQL,
                {
                    "ticket": ticket_id,
                    "project": project_id,
                    "status": status or "",
                    "after": after,
                    "own_rank": own_rank,
                    "gap": RANK_GAP,
                    "old_status": old_status,
                    "old_finished": old_finished,
                    "old_slug": old_slug,
                    "actor": user.pk,
                    "kind": TicketEvent.Kind.MOVED.value,
                    "now": now,
                },
            )
            moved = cursor.fetchone()
    if moved is None or moved[3] is None:
        # Nothing written: the ordinary path decides (errors, gates, renumbering), locks held.
        return ticket_move_locked(
            current=ticket_for_move(pk=ticket_id),
            user=user,
            status=status,
            after=after,
            version=version,
            override_reason=override_reason,
        )
    status_id, slug, is_finished, rank, new_version = moved
    ticket = Ticket(id=ticket_id, key=ticket_key, project_id=project_id, rank=rank, version=new_version)
    ticket.status = WorkflowStatus(id=status_id, project_id=project_id, slug=slug, is_finished=is_finished)
    announce_move(ticket)
    return ticket
