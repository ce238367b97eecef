"""Health, readiness and Prometheus metrics."""

import hmac
import logging
import os
import time

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.urls import resolve
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger(__name__)

REQUESTS = Counter("aihub_http_requests_total", "HTTP requests served", ["method", "view", "status"])
LATENCY = Histogram(
    "aihub_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["view"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


class PrometheusMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match and match.view_name else "unresolved"
        LATENCY.labels(view).observe(time.perf_counter() - started)
        REQUESTS.labels(request.method, view, str(response.status_code)).inc()
        return response


PROBE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class ProbeMiddleware:
    """Answers the probe and scrape endpoints before the host check: the kubelet and
    Prometheus call a pod by its IP, which is not in ALLOWED_HOSTS. These views build no
    URL from the Host header, so skipping the check there is safe."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info in PROBE_PATHS:
            match = resolve(request.path_info)
            request.resolver_match = match
            return match.func(request)
        return self.get_response(request)


def healthz(request):
    return JsonResponse({"status": "ok"})


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any driver error means "not ready"
        return f"database: {error.__class__.__name__}: {error}"
    return None


def _check_redis() -> str | None:
    if not settings.REDIS_URL:
        return None
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping()
    except Exception as error:  # connection refused, timeout, auth: all mean "not ready"
        return f"redis: {error.__class__.__name__}: {error}"
    return None


def _caller_is_staff(request) -> bool:
    """Whether a signed-in staff member asks. ProbeMiddleware answers before the session
    and auth middleware run, so the session is read here; when that fails too (the
    database or the cache behind sessions is what is down) the caller is not trusted."""
    user = getattr(request, "user", None)
    if user is None:
        from importlib import import_module

        from django.contrib.auth import get_user

        try:
            engine = import_module(settings.SESSION_ENGINE)
            request.session = engine.SessionStore(request.COOKIES.get(settings.SESSION_COOKIE_NAME))
            user = get_user(request)
        except Exception:  # any failure reading the session: show nothing more
            return False
    return bool(getattr(user, "is_staff", False))


def readyz(request):
    """503 when a dependency is down. Anyone may ask (load balancers do, anonymously), so
    the answer names the failed check ("database", "redis") and nothing more; staff also
    see the error, which can name hosts and ports."""
    problems = [p for p in (_check_database(), _check_redis()) if p]
    checks = {"database": "ok", "redis": "ok" if settings.REDIS_URL else "not configured"}
    staff = bool(problems) and _caller_is_staff(request)
    for problem in problems:
        name, detail = problem.split(":", 1)
        checks[name] = detail.strip() if staff else "fail"
    return JsonResponse({"status": "fail" if problems else "ok", "checks": checks}, status=503 if problems else 200)


# Collectors that read their values at scrape time (from the database, Redis): apps add
# theirs in AppConfig.ready(), so this module imports no domain app.
_scrape_collectors = []


def register_scrape_collector(collector) -> None:
    if collector not in _scrape_collectors:
        _scrape_collectors.append(collector)


_queue_clients = {}


class CeleryQueueCollector:
    """Tasks waiting in each Celery queue (LLEN of its Redis list), and whether the broker
    answered. Fails soft: a scrape while Redis is away reports aihub_celery_broker_up 0."""

    def collect(self):
        if not settings.REDIS_URL:
            return  # no broker: tasks run in-process
        import redis

        up = GaugeMetricFamily("aihub_celery_broker_up", "1 when the Celery broker (Redis) answered this scrape")
        length = GaugeMetricFamily("aihub_celery_queue_length", "Tasks waiting in a Celery queue", labels=["queue"])
        queues = list(settings.AIHUB_METRICS_QUEUES) or [getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")]
        try:
            client = _queue_clients.get(settings.REDIS_URL)
            if client is None:
                client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
                _queue_clients[settings.REDIS_URL] = client
            pipe = client.pipeline(transaction=False)
            for queue in queues:
                pipe.llen(queue)
            lengths = pipe.execute()
        except redis.RedisError as error:
            logger.warning("metrics: Celery queue length unknown, Redis did not answer: %s", error)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        for queue, value in zip(queues, lengths, strict=True):
            length.add_metric([queue], value)
        yield up
        yield length


register_scrape_collector(CeleryQueueCollector())


def _authorized(request) -> bool:
    token = settings.AIHUB_METRICS_TOKEN
    if not token:
        return True
    return hmac.compare_digest(request.headers.get("Authorization", "").encode(), f"Bearer {token}".encode())


def metrics(request):
    if not _authorized(request):
        return HttpResponse(
            "A bearer token is required (AIHUB_METRICS_TOKEN).\n",
            status=401,
            content_type="text/plain",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        # Several gunicorn processes: aggregate what each one wrote (see gunicorn.conf.py).
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest()
    scraped = CollectorRegistry()
    for collector in _scrape_collectors:
        scraped.register(collector)
    return HttpResponse(body + generate_latest(scraped), content_type=CONTENT_TYPE_LATEST)
