"""Health, readiness and Prometheus metrics."""
import os
import time

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

REQUESTS = Counter(
    "aihub_http_requests_total", "HTTP requests served", ["method", "view", "status"]
)
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


def readyz(request):
    problems = [p for p in (_check_database(), _check_redis()) if p]
    checks = {"database": "ok", "redis": "ok" if settings.REDIS_URL else "not configured"}
    for problem in problems:
        checks[problem.split(":", 1)[0]] = problem.split(":", 1)[1].strip()
    return JsonResponse({"status": "fail" if problems else "ok", "checks": checks}, status=503 if problems else 200)


def metrics(request):
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        # Several gunicorn processes: aggregate what each one wrote.
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
    return HttpResponse(generate_latest(), content_type=CONTENT_TYPE_LATEST)
