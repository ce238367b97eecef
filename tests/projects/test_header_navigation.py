"""Every page's header (project switcher and the bell's unread count) costs one query, read
only when a template shows it, and says what the two separate reads said (issue 12, target 6)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from projects.context_processors import navigation
from projects.models import Notification
from projects.selectors import header_navigation, project_switcher, unread_notification_count
from tests.accounts.factories import UserFactory
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def _notify(recipient, project, n, *, read=False):
    for i in range(n):
        Notification.objects.create(
            recipient=recipient,
            kind=Notification.Kind.MENTION,
            project=project,
            excerpt=f"note {i}",
            read_at=timezone.now() if read else None,
        )


def test_the_switcher_and_the_unread_count_in_one_query(django_assert_num_queries):
    cv, nlp, other = (
        ProjectFactory(key="CV", name="Vision"),
        ProjectFactory(key="NLP", name="Language"),
        ProjectFactory(),
    )
    member = MembershipFactory(project=cv).user
    MembershipFactory(project=nlp, user=member)
    _notify(member, cv, 2)
    _notify(member, cv, 1, read=True)
    _notify(MembershipFactory(project=cv).user, cv, 1)  # someone else's
    outsider = UserFactory()  # in no project, with unread notices
    _notify(outsider, other, 3)
    quiet = MembershipFactory(project=cv).user  # nothing unread
    nobody = UserFactory()  # neither
    for user, unread in ((member, 2), (outsider, 3), (quiet, 0), (nobody, 0)):
        expected = (project_switcher(user=user), unread_notification_count(user=user))
        with django_assert_num_queries(1 if project_switcher(user=user) else 2):  # the count alone when no project
            assert header_navigation(user=user) == expected
        assert expected[1] == unread
    assert header_navigation(user=member)[0] == [{"key": "NLP", "name": "Language"}, {"key": "CV", "name": "Vision"}]


def test_the_context_reads_nothing_until_a_template_does(rf):
    user = MembershipFactory(project=ProjectFactory()).user
    _notify(user, None, 1)
    request = rf.get("/")
    request.user = user
    with CaptureQueriesContext(connection) as queries:
        context = navigation(request)
    assert len(queries) == 0
    with CaptureQueriesContext(connection) as queries:
        assert context["unread_notifications"]() == 1
        assert len(context["switcher_projects"]) == 1
        assert context["unread_notifications"]() == 1
    assert len(queries) == 1
