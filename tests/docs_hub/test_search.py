import pytest

from docs_hub import services
from docs_hub.search import search
from tests.accounts.factories import UserFactory
from tests.docs_hub.factories import make_doc
from tests.projects.factories import ProjectFactory, TicketFactory
from tests.services import require_postgres

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(member_of):
    """Two projects with the same words; the user belongs to one."""
    mine, theirs = ProjectFactory(key="MINE"), ProjectFactory(key="THEIRS")
    user = member_of(mine, "viewer")
    TicketFactory(project=mine, title="Calibrate the camera", description="Lens distortion on line three")
    make_doc(mine, title="Camera calibration guide", body="Use the checkerboard. Distortion matters.")
    make_doc(mine, title="Unrelated", body="We mention the camera only once, deep in the body text.")
    TicketFactory(project=theirs, title="Camera secret ticket", description="camera distortion secret")
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
    # Links as the pages' own URLs (reversed once per project for many hits).
    from docs_hub.links import doc_url
    from docs_hub.models import Doc
    from projects.ticket_links import ticket_url

    slugs = dict(Doc.objects.values_list("title", "slug"))
    assert {hit.url for hit in hits} == {ticket_url(hit.key) for hit in hits if hit.type == "ticket"} | {
        doc_url("MINE", slugs[hit.title]) for hit in hits if hit.type == "doc"
    }


def test_full_text_uses_the_gin_indexes(world):
    require_postgres()
    from django.db import connection

    with connection.cursor() as cursor:
        indexes = {"docs_hub_ticket_fts", "docs_hub_doc_fts", "docs_hub_ticket_title_fts", "docs_hub_doc_title_fts"}
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname = ANY(%s)", [list(indexes)])
        assert {row[0] for row in cursor.fetchall()} == indexes
        # No pending list for searches to scan (migration 0005): entries are written at once.
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relname = ANY(%s) AND 'fastupdate=off' = ANY(reloptions)",
            [list(indexes)],
        )
        assert {row[0] for row in cursor.fetchall()} == indexes
        from docs_hub.search.vectors import TICKET_VECTOR

        cursor.execute("SET enable_seqscan = off")
        cursor.execute(
            f"EXPLAIN SELECT id FROM projects_ticket WHERE {TICKET_VECTOR} @@ "
            "websearch_to_tsquery('english'::regconfig, 'camera')"
        )
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
        TicketFactory(project=project, title=f"Drift alert {n}", description="data drift detected")
        make_doc(project, title=f"Drift runbook {n}", body="what to do on drift")
    client.force_login(user)
    # Session, user, one query per provider (tickets, docs, runs; each scoped by a subquery),
    # one snippet query per kind among the results (tickets, docs), the menu's projects and
    # notifications: constant.
    with django_assert_max_num_queries(9):
        page = client.get("/search/?q=drift")
    assert page.status_code == 200 and "Drift runbook" in page.content.decode()


@pytest.mark.parametrize("size", [3, 30])
def test_search_api_costs_constant_queries(api, member_of, size, django_assert_max_num_queries):
    project = ProjectFactory()
    user = member_of(project)
    for n in range(size):
        TicketFactory(project=project, title=f"Drift alert {n}", description="data drift detected")
        make_doc(project, title=f"Drift runbook {n}", body="what to do on drift")
    client = api.as_user(user)
    # Token and user, one query per provider (tickets, docs, runs), one snippet query per kind
    # among the results (tickets, docs): constant.
    with django_assert_max_num_queries(7):
        response = client.get("/api/v1/search/", {"q": "drift"})
    assert response.status_code == 200 and len(response.json()["results"]) == min(2 * size, 50)


@pytest.mark.parametrize("query", ['"', "-", "or", "the", "!!! ((", "a" * 300, "'; DROP TABLE docs_hub_doc; --"])
def test_odd_queries_never_fail_nor_dump_everything(api, member_of, query):
    project = ProjectFactory()
    user = member_of(project)
    make_doc(project, title="Something", body="else")
    response = api.as_user(user).get("/api/v1/search/", {"q": query})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert response.json()["results"] == []


# --- Full-text ranking (PostgreSQL): the whole text is ranked, not only titles ------------------


def test_a_body_only_ticket_match_is_ranked_on_its_full_text(member_of):
    """Two tickets match only in their descriptions: the one about the word ranks first, even
    though it is older (titles alone used to rank them equal, newest first)."""
    require_postgres()
    project = ProjectFactory()
    user = member_of(project)
    about = TicketFactory(
        project=project,
        title="Nightly export",
        description="Quantization breaks the export. Quantization of the weights, "
        "quantization-aware training, and quantization errors in the logs.",
    )
    TicketFactory(
        project=project, title="Weekly report", description="Mentions quantization once among many other topics."
    )
    hits = search(user=user, query="quantization", types={"ticket"})
    assert hits[0].key == about.key
    assert hits[0].rank > hits[1].rank


def test_snippets_come_from_the_field_that_matched(member_of):
    require_postgres()
    from projects.services import ticket_create

    project = ProjectFactory()
    user = member_of(project)
    ticket_create(
        project=project,
        reporter=None,
        title="Nightly job",
        description="Runs every night at two.",
        acceptance_criteria="The exporter writes parquet files to the bucket.",
    )
    described = TicketFactory(
        project=project,
        title="Storage format",
        description="We switch the feature store to parquet for the holdout month.",
    )
    make_doc(
        project,
        title="Runbook",
        body="Intro.\n\n" + "Filler sentence about nothing. " * 60 + "\n\nAt the very end, parquet is the format.",
    )
    hits = {hit.title: hit for hit in search(user=user, query="parquet")}
    # Acceptance criteria are searched, and their text is the snippet when only they match.
    criteria = next(hit for title, hit in hits.items() if title.endswith("Nightly job"))
    assert "<mark>parquet</mark>" in criteria.snippet and "exporter" in criteria.snippet
    assert "<mark>parquet</mark>" in hits[f"{described.key} Storage format"].snippet
    assert "feature store" in hits[f"{described.key} Storage format"].snippet
    # A doc's snippet is cut around the match deep in its body, not its first words.
    assert "<mark>parquet</mark>" in hits["Runbook"].snippet and "Intro" not in hits["Runbook"].snippet


def test_an_old_title_hit_still_ranks_among_many_newer_body_hits(member_of, monkeypatch):
    """Only the newest matches are ranked (a bounded pool), plus the newest title matches:
    a ticket titled with the word is found even when more newer tickets mention it."""
    require_postgres()
    from docs_hub.search import builtin

    monkeypatch.setattr(builtin, "CANDIDATES", 4)
    monkeypatch.setattr(builtin, "TITLE_CANDIDATES", 2)
    project = ProjectFactory()
    user = member_of(project)
    titled = TicketFactory(project=project, title="Tokenizer drift", description="See the dashboards.")
    for n in range(16):
        TicketFactory(project=project, title=f"Chore {n}", description="Something about the tokenizer.")
    hits = search(user=user, query="tokenizer", types={"ticket"}, limit=3)
    assert len(hits) == 3 and hits[0].key == titled.key


def test_other_projects_matches_never_show_nor_crowd_out_mine(member_of, monkeypatch):
    """Membership rules as before: the candidate pool is taken inside the user's projects, so
    many newer matches elsewhere neither leak nor push the user's own hits out."""
    from docs_hub.search import builtin

    monkeypatch.setattr(builtin, "CANDIDATES", 4)
    monkeypatch.setattr(builtin, "TITLE_CANDIDATES", 2)
    mine, theirs, also_mine = ProjectFactory(key="MINE"), ProjectFactory(key="THEIRS"), ProjectFactory(key="ALSO")
    user = member_of(mine)
    member_of(also_mine)  # someone else
    from tests.projects.factories import MembershipFactory

    MembershipFactory(project=also_mine, user=user, role="viewer")
    old = TicketFactory(project=mine, title="Anchor", description="the gradient exploded")
    doc = make_doc(also_mine, title="Notes", body="gradient clipping helps")
    for n in range(12):
        TicketFactory(project=theirs, title=f"Gradient secret {n}", description="gradient gradient gradient")
        make_doc(theirs, title=f"Gradient secret doc {n}", body="gradient")
    hits = search(user=user, query="gradient")
    assert {hit.project for hit in hits} == {"MINE", "ALSO"}
    assert {hit.title for hit in hits} == {f"{old.key} Anchor", doc.title}
    assert search(user=user, query="gradient", project=theirs) == []
    assert [hit.title for hit in search(user=user, query="gradient", project=also_mine)] == [doc.title]


def test_snippets_of_long_bodies_are_cut_around_the_first_match(member_of):
    """ts_headline parses only a window around the first match of a long body; a word whose
    stem is not a substring of it ("happy" -> "happi") falls back to the whole body."""
    require_postgres()
    project = ProjectFactory()
    user = member_of(project)
    filler = "Filler sentence about nothing. " * 200
    make_doc(project, title="Long one", body=f"{filler}The gradient exploded here. {filler}")
    make_doc(project, title="Long two", body=f"{filler}A happy ending. {filler}")
    [gradient] = search(user=user, query="gradients", types={"doc"})
    assert "<mark>gradient</mark> exploded" in gradient.snippet
    [happy] = search(user=user, query="happy", types={"doc"})
    assert "<mark>happy</mark> ending" in happy.snippet


def test_runs_are_found_by_name_or_run_id_through_their_indexes(member_of):
    """Search reads runs through docs_hub migration 0006's indexes (a btree on UPPER(run_id), a
    trigram index on UPPER(name)), not by reading every stored run."""
    require_postgres()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.experiments.factories import ExperimentFactory, MlflowSourceFactory, RunFactory

    project = ProjectFactory()
    user = member_of(project)
    experiment = ExperimentFactory(source=MlflowSourceFactory(project=project))
    named = RunFactory(experiment=experiment, name="EffNet-B3 augmix")
    other = RunFactory(experiment=experiment, name="baseline")
    assert [hit.title for hit in search(user=user, query="effnet", types={"run"})] == [named.name]
    assert [hit.title for hit in search(user=user, query=other.run_id.upper(), types={"run"})] == ["baseline"]
    with CaptureQueriesContext(connection) as queries:
        search(user=user, query="effnet", types={"run"})
    with connection.cursor() as cursor:
        # No scans of every run and no nested loop from the user's projects: with a few runs
        # in the table, a loop over the project_id index looks as cheap (and the statistics
        # other tests left decide), which would say nothing about these indexes.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_nestloop = off")
        cursor.execute(f"EXPLAIN {queries[-1]['sql']}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "docs_hub_run_name_trgm" in plan and "docs_hub_run_id_upper" in plan, plan
