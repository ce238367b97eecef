"""Reading an MLflow tracking server: plain REST with `requests` and `json.loads`.

MlflowClient is not used for syncing: its protobuf parsing costs about 0.66 s per 1,000
runs, and by default it retries 7 times with a 120 s timeout, so an unreachable server
would hang a worker for many minutes. Here each request has a short connect timeout and
one transport retry; the Celery task adds bounded retries with backoff on top, so an
unreachable server is reported as an error within 2 minutes.

Every request goes through the outbound guard (aihub/outbound.py): a tracking URI on a
loopback, private or link-local address is refused unless an operator allowed it, and
errors name the failure class and HTTP status, never the server's answer. Credentials from
the workers' environment go only to the hosts AIHUB_MLFLOW_CREDENTIAL_HOSTS names.

`LocalStoreClient` reads the app's own local MLflow store (settings.MLFLOW_TRACKING_URI,
a `sqlite:` URI) through MLflow's store classes and hands back the same JSON shapes.
"""

import json
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from aihub.outbound import DEFAULT_PORTS, OutboundFailed, OutboundRefused, Retry
from aihub.outbound import session as outbound_session

logger = logging.getLogger(__name__)

RUNS_PAGE_SIZE = 1000  # the most `runs/search` returns per page
HISTORY_BULK_MAX_RUNS = 100  # the bulk history endpoint reads one metric of up to 100 runs
HISTORY_BULK_MAX_POINTS = 25000  # and returns at most this many points in all
CONNECT_TIMEOUT = float(os.environ.get("AIHUB_MLFLOW_CONNECT_TIMEOUT", "3"))
READ_TIMEOUT = float(os.environ.get("AIHUB_MLFLOW_READ_TIMEOUT", "30"))


class MlflowError(Exception):
    """The server answered with an error the sync cannot get past by retrying."""

    def __init__(self, message: str, *, code: str = "", status: int | None = None):
        super().__init__(message)
        self.code = code
        self.status = status


class MlflowUnreachable(MlflowError):
    """The server could not be reached or failed transiently (connection, timeout, 5xx)."""


class MlflowRefused(MlflowError):
    """Nothing was sent: the address or the credentials are not allowed (not retried)."""


ERROR_CODE = re.compile(r"^[A-Z][A-Z_]{0,63}$")  # MLflow's error classes, e.g. RESOURCE_DOES_NOT_EXIST


@dataclass(frozen=True)
class Credentials:
    username: str = ""
    password: str = ""
    token: str = ""


def environment_credentials() -> Credentials:
    """The workers' own MLflow credentials: MLFLOW_TRACKING_TOKEN, or
    MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD."""
    return Credentials(
        username=os.environ.get("MLFLOW_TRACKING_USERNAME", ""),
        password=os.environ.get("MLFLOW_TRACKING_PASSWORD", ""),
        token=os.environ.get("MLFLOW_TRACKING_TOKEN", ""),
    )


def _host_port(uri: str) -> tuple[str, int | None]:
    split = urlsplit(uri or "")
    try:
        port = split.port or DEFAULT_PORTS.get(split.scheme.lower())
    except ValueError:
        port = None
    return (split.hostname or "").rstrip(".").lower(), port


def credential_hosts() -> list[str]:
    """Where environment credentials may go: AIHUB_MLFLOW_CREDENTIAL_HOSTS (`host` or
    `host:port`), by default the host and port of MLFLOW_TRACKING_URI."""
    from django.conf import settings

    configured = [
        entry.strip() for entry in getattr(settings, "AIHUB_MLFLOW_CREDENTIAL_HOSTS", []) or [] if entry.strip()
    ]
    if configured:
        return configured
    host, port = _host_port(settings.MLFLOW_TRACKING_URI)
    if not host or port is None:
        return []
    return [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]


def environment_credentials_refusal(tracking_uri: str) -> str | None:
    """Why the workers' credentials may not be sent to this tracking URI (None: they may)."""
    host, port = _host_port(tracking_uri)
    for entry in credential_hosts():
        entry = entry.lower()
        if entry.startswith("["):
            allowed_host, _, rest = entry[1:].partition("]")
            allowed_port = rest[1:] if rest.startswith(":") else ""
        elif entry.count(":") == 1:
            allowed_host, _, allowed_port = entry.partition(":")
        else:
            allowed_host, allowed_port = entry, ""
        if host and allowed_host.rstrip(".") == host and (not allowed_port or allowed_port == str(port)):
            return None
    return (
        f"Credentials from the workers' environment are only sent to the hosts an operator allowed "
        f"(AIHUB_MLFLOW_CREDENTIAL_HOSTS); {host or 'this host'}{f':{port}' if port else ''} is not one of "
        "them. Give this source its own username and password or token instead."
    )


def source_credentials(*, tracking_uri: str, from_env: bool, username: str = "", secret: str = "") -> Credentials:
    """The credentials a source sends: the workers' environment ones (only to an allowed
    host, MlflowRefused otherwise), or its own username and password, or its own token."""
    if from_env:
        refusal = environment_credentials_refusal(tracking_uri)
        if refusal:
            raise MlflowRefused(refusal)
        return environment_credentials()
    if username:
        return Credentials(username=username, password=secret)
    return Credentials(token=secret)


class RestClient:
    parallel_requests = 2  # history reads in flight at once

    def __init__(
        self,
        tracking_uri: str,
        credentials: Credentials | None = None,
        *,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT),
        transport_retries: int = 1,
    ):
        self.base = tracking_uri.rstrip("/")
        self.timeout = timeout
        retry = Retry(
            total=transport_retries,
            connect=transport_retries,
            read=transport_retries,
            status=transport_retries,
            redirect=0,
            backoff_factor=0.5,
            status_forcelist=(502, 503, 504),
            allowed_methods=None,
            raise_on_status=False,
        )
        self.session = outbound_session(retries=retry, pool_maxsize=8, timeout=timeout)
        credentials = credentials or Credentials()
        if credentials.token:
            self.session.headers["Authorization"] = f"Bearer {credentials.token}"
        elif credentials.username:
            self.session.auth = (credentials.username, credentials.password)
        self.requests_made = 0

    # -- transport ---------------------------------------------------------------------
    def _call(self, method: str, path: str, *, params=None, body=None) -> dict:
        url = f"{self.base}{path}"
        self.requests_made += 1
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                timeout=self.timeout,
                data=json.dumps(body) if body is not None else None,
                headers={"Content-Type": "application/json"} if body is not None else None,
            )
        except OutboundRefused as error:
            raise MlflowRefused(f"Refused: {error}") from error
        except OutboundFailed as error:
            if error.kind == "redirect" or error.kind == "too_large":
                raise MlflowError(f"MLflow at {self.base}: {error}", status=error.status) from error
            raise MlflowUnreachable(f"Cannot reach MLflow at {self.base}: {error}") from error
        # Never the server's answer in a message: it may come from any server a user named.
        status = response.status_code
        if status >= 500:
            raise MlflowUnreachable(f"MLflow at {self.base} answered HTTP {status} (server error)", status=status)
        if status in (401, 403):
            raise MlflowError(f"MLflow at {self.base} refused the credentials (HTTP {status})", status=status)
        try:
            payload = json.loads(response.content) if response.content else {}
        except ValueError as error:
            raise MlflowError(
                f"{self.base}{path} did not answer JSON (HTTP {status}); is this an MLflow tracking server?",
                status=status,
            ) from error
        if not isinstance(payload, dict):
            raise MlflowError(f"{self.base}{path} did not answer an MLflow JSON object (HTTP {status})", status=status)
        if status >= 400:
            code = payload.get("error_code")
            code = code if isinstance(code, str) and ERROR_CODE.match(code) else ""
            raise MlflowError(
                f"MLflow at {self.base} answered HTTP {status}{f' ({code})' if code else ''} for {path}",
                code=code,
                status=status,
            )
        return payload

    # -- reads ---------------------------------------------------------------------------
    def ping(self) -> None:
        self._call("POST", "/api/2.0/mlflow/experiments/search", body={"max_results": 1})

    def experiment_by_name(self, name: str) -> dict | None:
        try:
            return self._call("GET", "/api/2.0/mlflow/experiments/get-by-name", params={"experiment_name": name})[
                "experiment"
            ]
        except MlflowError as error:
            if isinstance(error, MlflowUnreachable) or error.code != "RESOURCE_DOES_NOT_EXIST":
                raise
            return None

    def search_runs(
        self,
        experiment_ids: list[str],
        *,
        filter_string: str = "",
        run_view_type: str = "ALL",
        order_by: tuple[str, ...] = ("attributes.start_time ASC",),
        page_size: int = RUNS_PAGE_SIZE,
    ) -> Iterator[list[dict]]:
        """Every page of runs, following `page_token` to the end."""
        token = None
        while True:
            body = {
                "experiment_ids": list(experiment_ids),
                "filter": filter_string,
                "run_view_type": run_view_type,
                "max_results": page_size,
                "order_by": list(order_by),
            }
            if token:
                body["page_token"] = token
            payload = self._call("POST", "/api/2.0/mlflow/runs/search", body=body)
            yield payload.get("runs", [])
            token = payload.get("next_page_token")
            if not token:
                return

    def metric_history_bulk(self, run_ids: list[str], key: str) -> list[dict]:
        params = [("run_id", run_id) for run_id in run_ids] + [
            ("metric_key", key),
            ("max_results", HISTORY_BULK_MAX_POINTS),
        ]
        return self._call("GET", "/ajax-api/2.0/mlflow/metrics/get-history-bulk", params=params).get("metrics", [])

    def metric_history(self, run_id: str, key: str) -> list[dict]:
        """One run's history of one metric, paged (for histories longer than a bulk read)."""
        points, token = [], None
        while True:
            params = {"run_id": run_id, "metric_key": key, "max_results": HISTORY_BULK_MAX_POINTS}
            if token:
                params["page_token"] = token
            payload = self._call("GET", "/api/2.0/mlflow/metrics/get-history", params=params)
            points.extend({**point, "run_id": run_id} for point in payload.get("metrics", []))
            token = payload.get("next_page_token")
            if not token:
                return points

    def registered_models(self) -> Iterator[dict]:
        token = None
        while True:
            params = {"max_results": 1000, **({"page_token": token} if token else {})}
            payload = self._call("GET", "/api/2.0/mlflow/registered-models/search", params=params)
            yield from payload.get("registered_models", [])
            token = payload.get("next_page_token")
            if not token:
                return

    def model_versions(self) -> Iterator[dict]:
        token = None
        while True:
            params = {"max_results": 10000, **({"page_token": token} if token else {})}
            payload = self._call("GET", "/api/2.0/mlflow/model-versions/search", params=params)
            yield from payload.get("model_versions", [])
            token = payload.get("next_page_token")
            if not token:
                return


class LocalStoreClient:
    """The app's own MLflow store (a `sqlite:` URI), read through MLflow's store classes and
    turned into the REST API's JSON shapes, so the importer has one input format."""

    def __init__(self, tracking_uri: str):
        self.tracking_uri = tracking_uri
        self.requests_made = 0
        self._store = None
        self._registry = None

    @property
    def store(self):
        if self._store is None:
            from django.conf import settings
            from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

            path = self.tracking_uri.split(":///", 1)[-1]
            if not os.path.exists(path):
                raise MlflowUnreachable("The app's local MLflow store does not exist yet.")
            self._store = SqlAlchemyStore(self.tracking_uri, settings.MLFLOW_ARTIFACT_ROOT)
        return self._store

    @property
    def registry(self):
        if self._registry is None:
            from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore as RegistryStore

            self.store  # noqa: B018  (checks the file exists)
            self._registry = RegistryStore(self.tracking_uri)
        return self._registry

    @staticmethod
    def _json(entity) -> dict:
        from mlflow.utils.proto_json_utils import message_to_json

        return json.loads(message_to_json(entity.to_proto()))

    def ping(self) -> None:
        self.store.search_experiments(max_results=1)

    def experiment_by_name(self, name: str) -> dict | None:
        self.requests_made += 1
        experiment = self.store.get_experiment_by_name(name)
        return self._json(experiment) if experiment else None

    def search_runs(
        self,
        experiment_ids,
        *,
        filter_string="",
        run_view_type="ALL",
        order_by=("attributes.start_time ASC",),
        page_size=RUNS_PAGE_SIZE,
    ):
        from mlflow.entities import ViewType

        token = None
        while True:
            self.requests_made += 1
            runs = self.store.search_runs(
                list(experiment_ids),
                filter_string,
                ViewType.from_string(run_view_type.lower()),
                page_size,
                list(order_by),
                token,
            )
            yield [self._json(run) for run in runs]
            token = runs.token
            if not token:
                return

    def metric_history_bulk(self, run_ids, key):
        self.requests_made += 1
        return [
            {**metric.to_dict(), "run_id": metric.run_id}
            for metric in self.store.get_metric_history_bulk(
                run_ids=run_ids, metric_key=key, max_results=HISTORY_BULK_MAX_POINTS
            )
        ]

    def metric_history(self, run_id, key):
        self.requests_made += 1
        return [
            {"key": m.key, "value": m.value, "timestamp": m.timestamp, "step": m.step, "run_id": run_id}
            for m in self.store.get_metric_history(run_id, key)
        ]

    def registered_models(self):
        self.requests_made += 1
        for model in self.registry.search_registered_models(max_results=1000):
            yield self._json(model)

    def model_versions(self):
        self.requests_made += 1
        for version in self.registry.search_model_versions(max_results=10000):
            yield self._json(version)


def is_local_uri(tracking_uri: str) -> bool:
    return tracking_uri.startswith("sqlite:")


def client_for_uri(tracking_uri: str, *, from_env: bool = False, username: str = "", secret: str = "", **options):
    """The client for a tracking URI: the app's local store as it is, a tracking server with
    the credentials source_credentials() gives (MlflowRefused: environment credentials for a
    host not allowed). `options` go to RestClient (timeout, transport_retries)."""
    if is_local_uri(tracking_uri):
        return LocalStoreClient(tracking_uri)
    credentials = source_credentials(tracking_uri=tracking_uri, from_env=from_env, username=username, secret=secret)
    return RestClient(tracking_uri, credentials, **options)
