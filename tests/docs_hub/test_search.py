import pytest

from docs_hub import services
from docs_hub.search import search
from tests.docs_hub.factories import make_doc, make_ticket
from tests.factories import ProjectFactory, UserFactory
from tests.services import require_postgres

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(member_of):
    """Two projects with the same words; the user belongs to one."""
    mine, theirs = ProjectFactory(key="MINE"), ProjectFactory(key="THEIRS")
    user = member_of(mine, "viewer")
    make_ticket(mine, title="Calibrate the camera", description="Lens distortion on line three")
    make_doc(mine, title="Camera calibration guide", body="Use the checkerboard. Distortion matters.")
    make_doc(mine, title="Unrelated", body="We mention the camera only once, deep in the body text.")
    make_ticket(theirs, title="Camera secret ticket", description="camera distortion secret")
    make_doc(theirs, title="Camera secret doc", body="camera distortion secret")
    trashed = make_doc(mine, title="Camera trashed page", body="camera")
    services.doc_trash(doc=trashed, user=None)
    return {"user": user, "mine": mine, "theirs": theirs}


def _check_scoping(world):
    hits = search(user=world["user"], query="camera")
    titles = [hit.title for hit in hits]
    assert titles and not any("secret" in t for t in titles), titles
    assert not any("trashed" in t for t in titles)
    assert {hit.project for hit in hits} == {"MINE"}
    assert {hit.type for hit in hits} == {"ticket", "doc"}
    # Title hits rank above a body-only hit.
    assert titles.index("Camera calibration guide") < titles.index("Unrelated")
    assert search(user=UserFactory(), query="camera") == []
    assert search(user=world["user"], query="camera", project=world["theirs"]) == []


def test_search_only_returns_what_the_user_may_see_sqlite_or_any(world):
    _check_scoping(world)


def test_full_text_search_on_postgres(world):
    require_postgres()
    _check_scoping(world)
    hits = search(user=world["user"], query="distortion")
    assert {hit.type for hit in hits} == {"ticket", "doc"}
    assert any("<mark>" in hit.snippet for hit in hits)
    # Stemming: "calibrating" finds "calibration" and "Calibrate".
    assert len(search(user=world["user"], query="calibrating")) == 2


def test_full_text_uses_the_gin_indexes(world):
    require_postgres()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes "
                       "WHERE indexname IN ('docs_hub_ticket_fts', 'docs_hub_doc_fts')")
        assert {row[0] for row in cursor.fetchall()} == {"docs_hub_ticket_fts", "docs_hub_doc_fts"}
        from docs_hub.search.vectors import TICKET_VECTOR

        cursor.execute("SET enable_seqscan = off")
        cursor.execute(f"EXPLAIN SELECT id FROM projects_ticket WHERE {TICKET_VECTOR} @@ "
                       "websearch_to_tsquery('english'::regconfig, 'camera')")
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = on")
    assert "docs_hub_ticket_fts" in plan, plan


def test_snippets_are_escaped(member_of):
    project = ProjectFactory()
    user = member_of(project)
    make_doc(project, title="Hostile", body="payload <img src=x onerror=alert(1)> payload")
    hits = search(user=user, query="payload")
    assert hits and "<img" not in hits[0].snippet and "&lt;img" in hits[0].snippet


def test_search_api_and_page(api, client, world):
    response = api.as_user(world["user"]).get("/api/v1/search/?q=camera")
    assert response.status_code == 200
    results = response.json()["results"]
    assert results and set(results[0]) >= {"type", "title", "url", "project", "snippet"}
    assert all(r["project"] == "MINE" for r in results)
    assert api.get("/api/v1/search/?q=camera&project=THEIRS").status_code == 404
    assert api.get("/api/v1/search/").status_code == 400
    client.force_login(world["user"])
    page = client.get("/search/?q=camera").content.decode()
    assert 'id="results-ticket"' in page and 'id="results-doc"' in page and "secret" not in page


@pytest.mark.parametrize("size", [3, 30])
def test_search_costs_constant_queries(client, member_of, size, django_assert_max_num_queries):
    project = ProjectFactory()
    user = member_of(project)
    for n in range(size):
        make_ticket(project, title=f"Drift alert {n}", description="data drift detected")
        make_doc(project, title=f"Drift runbook {n}", body="what to do on drift")
    client.force_login(user)
    # One query per provider (tickets, docs, runs) plus the scoping: constant.
    with django_assert_max_num_queries(7):
        page = client.get("/search/?q=drift")
    assert page.status_code == 200 and "Drift runbook" in page.content.decode()


@pytest.mark.parametrize("query", ['"', "-", "or", "the", "!!! ((", "a" * 300, "'; DROP TABLE docs_hub_doc; --"])
def test_odd_queries_never_fail_nor_dump_everything(api, member_of, query):
    project = ProjectFactory()
    user = member_of(project)
    make_doc(project, title="Something", body="else")
    response = api.as_user(user).get("/api/v1/search/", {"q": query})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert response.json()["results"] == []
