"""MLflow sources against server-side request forgery and credential leaks (issue 8,
findings 2, 3 and 11): refused tracking URIs, the workers' credentials only for allowed
hosts, "Test connection" throttled, and errors that never echo the target's answer.
Real local HTTP servers play the targets and record what reached them."""

import pytest
from django.urls import reverse

from experiments.models import MlflowSource, SyncRecord
from experiments.services import source_sync_request
from tests.experiments.factories import MlflowSourceFactory
from tests.http_receiver import Receiver, always

pytestmark = pytest.mark.django_db

WORKER_TOKEN = "worker-token-do-not-leak"
SECRET_BODY = "TOP-SECRET-BODY-0123456789"


@pytest.fixture(autouse=True)
def local_tracking_store(settings, tmp_path):
    settings.MLFLOW_TRACKING_URI = f"sqlite:///{tmp_path / 'mlflow.db'}"
    settings.AIHUB_MLFLOW_CREDENTIAL_HOSTS = []


@pytest.fixture
def receiver():
    with Receiver() as server:
        yield server


@pytest.fixture
def worker_token(monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", WORKER_TOKEN)
    monkeypatch.delenv("MLFLOW_TRACKING_USERNAME", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_PASSWORD", raising=False)


def create(client, project, **body):
    return client.post(
        f"/api/v1/projects/{project.key}/mlflow-sources/", {"experiment_names": ["detector"], **body}, format="json"
    )


def sync_in_process(source, django_capture_on_commit_callbacks) -> SyncRecord:
    with django_capture_on_commit_callbacks(execute=True):
        record = source_sync_request(source=source)
    record.refresh_from_db()
    return record


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.0.0.1:5000", "private"),
        ("http://2130706433:5000", "loopback"),
        ("http://localhost:5000", "loopback"),
        ("http://bot@mlflow.example.com", "user name"),
    ],
)
def test_a_refused_tracking_uri_is_a_400_with_the_reason(api, project, member_of, settings, uri, reason):
    settings.AIHUB_OUTBOUND_ALLOWED_HOSTS = []
    answer = create(api.as_user(member_of(project, "admin")), project, tracking_uri=uri)
    assert answer.status_code == 400
    assert reason in " ".join(answer.json()["tracking_uri"])
    assert not MlflowSource.objects.exists()


def test_the_page_form_shows_why_a_tracking_uri_is_refused(client, project, member_of):
    client.force_login(member_of(project, "admin"))
    form = {
        "tracking_uri": "http://169.254.169.254/",
        "experiment_names": "a",
        "fast_interval_seconds": 300,
        "reconcile_interval_seconds": 3600,
    }
    page = client.post(reverse("experiments:sources", args=[project.key]), form)
    assert page.status_code == 200 and "link-local" in page.content.decode()
    assert not MlflowSource.objects.exists()
    source = MlflowSourceFactory(project=project, tracking_uri="http://127.0.0.1:5999")
    page = client.post(
        reverse("experiments:source", args=[project.key, source.pk]), {**form, "tracking_uri": "http://10.1.2.3:5000"}
    )
    assert page.status_code == 200 and "private address" in page.content.decode()
    source.refresh_from_db()
    assert source.tracking_uri == "http://127.0.0.1:5999"


def test_an_invalid_sqlite_uri_does_not_name_the_servers_store(api, project, member_of, settings):
    answer = create(api.as_user(member_of(project, "admin")), project, tracking_uri="sqlite:////etc/passwd")
    assert answer.status_code == 400 and "tracking_uri" in answer.json()
    assert settings.MLFLOW_TRACKING_URI not in answer.content.decode()
    assert settings.MLFLOW_TRACKING_URI.split(":///", 1)[1] not in answer.content.decode()


def test_a_stored_source_is_checked_again_on_each_sync(project, receiver, settings, django_capture_on_commit_callbacks):
    source = MlflowSourceFactory(project=project, tracking_uri=receiver.url, experiment_names=["detector"])
    settings.AIHUB_OUTBOUND_ALLOWED_HOSTS = []  # the operator withdrew the allowance
    record = sync_in_process(source, django_capture_on_commit_callbacks)
    assert record.status == "error" and "loopback" in record.error and "Refused" in record.error
    assert receiver.requests == []


def test_environment_credentials_are_refused_for_a_host_the_operator_did_not_allow(
    api, client, project, member_of, receiver, worker_token, django_capture_on_commit_callbacks
):
    admin = member_of(project, "admin")
    # The receiver's address is allowed for requests (AIHUB_OUTBOUND_ALLOWED_HOSTS, by the
    # experiments fixtures), but not for the workers' credentials.
    answer = create(api.as_user(admin), project, tracking_uri=receiver.url, credentials_from_env=True)
    assert answer.status_code == 400
    assert "AIHUB_MLFLOW_CREDENTIAL_HOSTS" in " ".join(answer.json()["credentials_from_env"])

    client.force_login(admin)
    tested = client.post(
        reverse("experiments:source_test", args=[project.key]),
        {"tracking_uri": receiver.url, "experiment_names": "detector", "credentials_from_env": "on"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "AIHUB_MLFLOW_CREDENTIAL_HOSTS" in tested and "flash-error" in tested

    stored = MlflowSourceFactory(
        project=project, tracking_uri=receiver.url, credentials_from_env=True, experiment_names=["detector"]
    )  # saved before the rule existed
    record = sync_in_process(stored, django_capture_on_commit_callbacks)
    assert record.status == "error" and "AIHUB_MLFLOW_CREDENTIAL_HOSTS" in record.error
    assert receiver.requests == [] and receiver.authorizations() == []


def test_environment_credentials_go_to_an_allowed_host(
    api, client, project, member_of, receiver, worker_token, settings
):
    client.force_login(member_of(project, "admin"))
    test_url = reverse("experiments:source_test", args=[project.key])
    body = {"tracking_uri": receiver.url, "experiment_names": "detector", "credentials_from_env": "on"}

    settings.AIHUB_MLFLOW_CREDENTIAL_HOSTS = [f"127.0.0.1:{receiver.port}"]
    assert "Connected to" in client.post(test_url, body).content.decode()
    settings.AIHUB_MLFLOW_CREDENTIAL_HOSTS = []
    settings.MLFLOW_TRACKING_URI = receiver.url  # the default: the host of MLFLOW_TRACKING_URI
    assert "Connected to" in client.post(test_url, body).content.decode()
    assert receiver.authorizations() and set(receiver.authorizations()) == {f"Bearer {WORKER_TOKEN}"}
    created = create(
        api.as_user(member_of(project, "admin")), project, tracking_uri=receiver.url, credentials_from_env=True
    )
    assert created.status_code == 201, created.content


def test_errors_name_the_failure_and_status_never_the_answer(
    api, client, project, member_of, django_capture_on_commit_callbacks
):
    admin, viewer = member_of(project, "admin"), member_of(project, "viewer")
    client.force_login(admin)
    answers = [
        always(500, SECRET_BODY),
        always(401, SECRET_BODY),
        always(
            400, f'{{"error_code": "{SECRET_BODY}", "message": "{SECRET_BODY}"}}', {"Content-Type": "application/json"}
        ),
        always(200, SECRET_BODY),
    ]
    for answer in answers:
        with Receiver(answer) as target:
            tested = client.post(
                reverse("experiments:source_test", args=[project.key]),
                {"tracking_uri": target.url, "experiment_names": "detector"},
            ).content.decode()
            assert target.requests, "the test connection reached the target"
            assert SECRET_BODY not in tested and "flash-error" in tested
            assert "HTTP" in tested
    with Receiver(always(500, SECRET_BODY)) as target:
        source = MlflowSourceFactory(project=project, tracking_uri=target.url, experiment_names=["detector"])
        record = sync_in_process(source, django_capture_on_commit_callbacks)
        assert record.status == "error" and "HTTP 500" in record.error and SECRET_BODY not in record.error
    last_sync = api.as_user(viewer).get(f"/api/v1/mlflow-sources/{source.pk}/").json()["last_sync"]
    assert "500" in last_sync["error"] and SECRET_BODY not in last_sync["error"]


def test_test_connection_is_throttled_per_user(api, client, project, member_of, settings):
    settings.AIHUB_TEST_CONNECTION_THROTTLE = "10/min"
    admin, other_admin = member_of(project, "admin"), member_of(project, "admin")
    client.force_login(admin)
    url = reverse("experiments:source_test", args=[project.key])
    body = {"tracking_uri": "http://10.0.0.1:5000", "experiment_names": "a"}  # refused at once: nothing sent
    codes = [client.post(url, body).status_code for _ in range(10)]
    assert codes == [200] * 10
    throttled = client.post(url, body)
    assert throttled.status_code == 429 and "Too many connection tests" in throttled.content.decode()
    assert int(throttled["Retry-After"]) > 0
    in_page = client.post(url, body, HTTP_HX_REQUEST="true")  # htmx swaps it in place
    assert "Too many connection tests" in in_page.content.decode()

    api_url = f"/api/v1/projects/{project.key}/mlflow-sources/test/"
    api_body = {"tracking_uri": "http://10.0.0.1:5000", "experiment_names": ["a"]}
    assert api.as_user(admin).post(api_url, api_body, format="json").status_code == 429
    other = api.as_user(other_admin).post(api_url, api_body, format="json")
    assert other.status_code == 200 and other.json()["ok"] is False and "private" in other.json()["message"]


def test_test_connection_api_answers_for_admins_only(api, project, member_of, receiver):
    api_url = f"/api/v1/projects/{project.key}/mlflow-sources/test/"
    body = {"tracking_uri": receiver.url, "experiment_names": ["detector"]}
    assert api.as_user(member_of(project, "member")).post(api_url, body, format="json").status_code == 403
    answer = api.as_user(member_of(project, "admin")).post(api_url, body, format="json")
    assert answer.status_code == 200 and answer.json()["ok"] is False
    assert "Connected to" in answer.json()["message"] and "Not found (yet): detector" in answer.json()["message"]
    assert (
        api.as_user(member_of(project, "admin"))
        .post(api_url, {"tracking_uri": receiver.url}, format="json")
        .status_code
        == 400
    )
