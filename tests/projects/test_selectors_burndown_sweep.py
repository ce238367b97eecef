"""The burndown's sweep over change points (issue 12, target 6) gives, day by day, what
evaluating every ticket on every day gave: random histories of creations, sprint moves and
finishes, checked against that direct evaluation."""

import datetime
import random
from collections import defaultdict
from types import SimpleNamespace

from projects.selectors.sprints import _in_sprint_at, _remaining_counts

START = datetime.datetime(2026, 3, 2, 9, tzinfo=datetime.UTC)


def direct(sprint, tickets, moves, moment) -> int:
    """The former per-day evaluation: each ticket asked where it was at that moment."""
    return sum(
        (t["estimate"] or 0)
        for t in tickets
        if _in_sprint_at(sprint.pk, t, moves[t["id"]], moment)
        and not (t["finished_at"] is not None and t["finished_at"] <= moment)
    )


def random_history(rng: random.Random, count: int):
    hour = datetime.timedelta(hours=1)
    tickets, moves = [], defaultdict(list)
    for ticket_id in range(1, count + 1):
        created = START + rng.randrange(-48, 200) * hour
        place = rng.choice([1, 2, None])
        for _ in range(rng.choice([0, 0, 1, 2, 4])):
            new = rng.choice([1, 2, None])
            # Moves on the hour, some at the same moment as a day's end or the creation.
            moves[ticket_id].append((created + rng.randrange(0, 300) * hour, place, new))
            place = new
        moves[ticket_id].sort(key=lambda move: move[0])
        finished = created + rng.randrange(1, 300) * hour if rng.random() < 0.5 else None
        tickets.append(
            {
                "id": ticket_id,
                "estimate": rng.choice([None, 0, 1, 2, 3, 5, 8]),
                "created_at": created,
                "finished_at": finished,
                "sprint_id": place,
                "move_times": [move[0] for move in moves[ticket_id]],
            }
        )
    return tickets, moves


def test_the_sweep_matches_the_direct_evaluation_on_random_histories():
    sprint = SimpleNamespace(pk=1)
    moments = [START + datetime.timedelta(days=day, hours=14, minutes=59) for day in range(14)]
    moments += [START + datetime.timedelta(hours=hours) for hours in (0, 24, 48, 299)]
    moments.sort()
    for seed in range(40):
        tickets, moves = random_history(random.Random(seed), 60)
        expected = [direct(sprint, tickets, moves, moment) for moment in moments]
        assert _remaining_counts(sprint, tickets, moves, moments) == expected, seed
