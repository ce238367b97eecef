"""Twenty people creating tickets in the same project at the same moment get twenty
distinct, gap-free keys: ticket_create takes the number under the project's row lock."""

import threading

import pytest
from django.db import close_old_connections, connection

from projects import services
from projects.models import Project, Ticket
from tests.accounts.factories import UserFactory
from tests.projects.factories import ProjectFactory
from tests.services import require_postgres

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_threads_creating_tickets_get_twenty_distinct_keys():
    require_postgres()
    project = ProjectFactory(key="RACE")
    reporter = UserFactory()
    start = threading.Barrier(20)
    errors: list[BaseException] = []

    def create(i: int) -> None:
        try:
            start.wait(timeout=30)
            services.ticket_create(project=project, reporter=reporter, title=f"Parallel {i}")
        except BaseException as error:  # reported below, so a failure names its cause
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    close_old_connections()
    assert not errors, errors
    keys = list(Ticket.objects.filter(project=project).values_list("key", flat=True))
    assert len(keys) == 20
    assert sorted(keys, key=lambda k: int(k.split("-")[1])) == [f"RACE-{n}" for n in range(1, 21)]
    assert Project.objects.get(pk=project.pk).ticket_counter == 20
    ranks = list(Ticket.objects.filter(project=project).values_list("rank", flat=True))
    assert len(set(ranks)) == 20  # every new ticket landed at a distinct place at the end


def test_ten_people_starting_different_sprints_at_once_leave_exactly_one_active():
    require_postgres()
    import datetime

    from django.core.exceptions import ValidationError

    from projects.models import Sprint

    project = ProjectFactory(key="RUSH")
    today = datetime.date.today()
    sprints = [
        Sprint.objects.create(project=project, name=f"S{i}", start_date=today, end_date=today) for i in range(10)
    ]
    start = threading.Barrier(10)
    outcomes: list[str] = []

    def begin(sprint) -> None:
        try:
            start.wait(timeout=30)
            services.sprint_start(sprint=sprint)
            outcomes.append("started")
        except ValidationError:
            outcomes.append("refused")
        except BaseException as error:
            outcomes.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=begin, args=(s,)) for s in sprints]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    close_old_connections()
    assert sorted(outcomes) == ["refused"] * 9 + ["started"]
    assert Sprint.objects.filter(project=project, state="active").count() == 1
