"""Rate limits that hold under concurrency and survive a Redis outage.

- `client_ip(request)`: the caller's address. Forwarded headers count only when the
  connection comes from a proxy listed in `TRUSTED_PROXIES`; everything else uses
  REMOTE_ADDR, so a client cannot pick its own address with `X-Forwarded-For`.
- `hit(scope, ident, limit=, window=)` counts one request atomically in Redis (one
  MULTI/EXEC: the window starts at the first request and the counter expires with it), so
  N threads or processes never let more than `limit` through.
- `guarded(fn)` runs a cache call and turns any Redis failure into `CacheUnavailable`.
  After a failure Redis is left alone for `REDIS_RETRY_SECONDS` (no request waits on a
  dead server), and a warning is logged at most once a minute per process. While Redis is
  down, counters fall back to this process's memory: limits still apply, per process.
- `UserRateThrottle`, `AnonRateThrottle`: DRF throttles on top of `hit` and `client_ip`.
"""

import ipaddress
import logging
import threading
import time
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from rest_framework import throttling

logger = logging.getLogger(__name__)

REDIS_RETRY_SECONDS = 5.0
WARNING_EVERY_SECONDS = 60.0


class CacheUnavailable(Exception):
    """The shared cache (Redis) did not answer; callers degrade instead of failing."""


# --- Redis failures: fail fast, warn rarely --------------------------------------------

_state_lock = threading.Lock()
_down_until = 0.0
_last_warning = 0.0


def _redis_errors() -> tuple[type[BaseException], ...]:
    import redis

    return (redis.exceptions.RedisError, ConnectionError, TimeoutError, OSError)


def _default_cache():
    return caches["default"]


def cache_is_redis() -> bool:
    return isinstance(_default_cache(), RedisCache)


def redis_marked_down() -> bool:
    return time.monotonic() < _down_until


def _mark_down(error: BaseException) -> None:
    global _down_until, _last_warning
    now = time.monotonic()
    with _state_lock:
        _down_until = now + REDIS_RETRY_SECONDS
        warn = now - _last_warning >= WARNING_EVERY_SECONDS
        if warn:
            _last_warning = now
    if warn:
        logger.warning(
            "Redis is unavailable (%s): rate limits count per process and live updates are paused "
            "until it answers again.",
            error.__class__.__name__,
        )


def reset_redis_state() -> None:
    """Forget a past failure (tests, or an operator's shell after fixing Redis)."""
    global _down_until, _last_warning
    with _state_lock:
        _down_until = 0.0
        _last_warning = 0.0


def guarded(fn, *args, **kwargs):
    """Call `fn` (a cache operation); raise CacheUnavailable if Redis fails or was found
    down in the last few seconds. Caches other than Redis are called as they are."""
    if not cache_is_redis():
        return fn(*args, **kwargs)
    if redis_marked_down():
        raise CacheUnavailable("redis marked down")
    try:
        return fn(*args, **kwargs)
    except _redis_errors() as error:
        _mark_down(error)
        raise CacheUnavailable(str(error)) from error


# --- Atomic counters -------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    count: int
    limit: int
    retry_after: float  # seconds until the window ends

    @property
    def allowed(self) -> bool:
        return self.count <= self.limit


class _LocalCounters:
    """This process's counters, used while Redis is down."""

    def __init__(self, max_keys: int = 20_000):
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, float]] = {}
        self._max_keys = max_keys

    def hit(self, key: str, window: int, amount: int = 1) -> tuple[int, float]:
        now = time.monotonic()
        with self._lock:
            count, expires = self._counts.get(key, (0, 0.0))
            if expires <= now:
                count, expires = 0, now + window
            count += amount
            self._counts[key] = (count, expires)
            if len(self._counts) > self._max_keys:
                self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
            return count, expires - now

    def peek(self, key: str) -> int:
        now = time.monotonic()
        with self._lock:
            count, expires = self._counts.get(key, (0, 0.0))
            return count if expires > now else 0

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()


fallback_counters = _LocalCounters()


def _key(scope: str, ident: str) -> str:
    return f"ratelimit:{scope}:{ident}"


def _redis_hit(redis_cache: RedisCache, key: str, window: int, amount: int) -> tuple[int, float]:
    full_key = redis_cache.make_and_validate_key(key)
    client = redis_cache._cache.get_client(full_key, write=True)
    pipe = client.pipeline(transaction=True)
    pipe.set(full_key, 0, ex=window, nx=True)
    pipe.incrby(full_key, amount)
    pipe.pttl(full_key)
    _, count, pttl = pipe.execute()
    return int(count), max(pttl, 0) / 1000


def _redis_peek(redis_cache: RedisCache, key: str) -> int:
    full_key = redis_cache.make_and_validate_key(key)
    value = redis_cache._cache.get_client(full_key).get(full_key)
    return int(value) if value is not None else 0


def _cache_hit(key: str, window: int, amount: int) -> tuple[int, float]:
    # Local memory cache (embedded mode, unit tests): add + incr under the cache's lock.
    c = _default_cache()
    c.add(key, 0, window)
    try:
        return c.incr(key, amount), float(window)
    except ValueError:  # expired between add and incr
        c.set(key, amount, window)
        return amount, float(window)


def hit(scope: str, ident: str, *, limit: int, window: int, amount: int = 1) -> Hit:
    """Count `amount` against (scope, ident) in a window of `window` seconds starting at
    the first hit; `Hit.allowed` is False once the count passes `limit`."""
    key = _key(scope, ident)
    c = _default_cache()
    if isinstance(c, RedisCache):
        try:
            count, retry = guarded(_redis_hit, c, key, window, amount)
        except CacheUnavailable:
            count, retry = fallback_counters.hit(key, window, amount)
    else:
        count, retry = _cache_hit(key, window, amount)
    return Hit(count=count, limit=limit, retry_after=retry)


def count(scope: str, ident: str) -> int:
    """The current count of (scope, ident) without adding to it."""
    key = _key(scope, ident)
    c = _default_cache()
    if isinstance(c, RedisCache):
        try:
            return guarded(_redis_peek, c, key)
        except CacheUnavailable:
            return fallback_counters.peek(key)
    return c.get(key, 0)


# --- The client's address --------------------------------------------------------------


@lru_cache(maxsize=8)
def _trusted_networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def _parse_ip(value: str):
    value = (value or "").strip()
    if value.startswith("[") and "]" in value:  # "[::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "1.2.3.4:5678"
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def client_ip(request) -> str:
    """The address that connected to us, or, when that is a trusted proxy, the nearest
    address in X-Forwarded-For that is not a trusted proxy (read right to left, since
    only the entries our proxies appended can be believed)."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    networks = _trusted_networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))
    remote_ip = _parse_ip(remote)
    if not networks or remote_ip is None or not any(remote_ip in n for n in networks):
        return str(remote_ip) if remote_ip is not None else remote or "unknown"
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [h for h in (part.strip() for part in forwarded.split(",")) if h]
    for hop in reversed(hops):
        ip = _parse_ip(hop)
        if ip is None:
            break  # garbage from the client side: stop at the last address we can trust
        if not any(ip in n for n in networks):
            return str(ip)
        remote_ip = ip
    return str(remote_ip)


# --- DRF -------------------------------------------------------------------------------


class _AtomicRateThrottle(throttling.SimpleRateThrottle):
    """DRF's rate syntax and scopes, counted with `hit` (atomic, fixed window)."""

    def get_ident(self, request):
        return client_ip(request)

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self._hit = hit(self.scope, self.key, limit=self.num_requests, window=self.duration)
        return self._hit.allowed

    def wait(self):
        result = getattr(self, "_hit", None)
        return result.retry_after if result and not result.allowed else None


class UserRateThrottle(_AtomicRateThrottle, throttling.UserRateThrottle):
    pass


class AnonRateThrottle(_AtomicRateThrottle, throttling.AnonRateThrottle):
    pass


class ScopedRateThrottle(throttling.ScopedRateThrottle, _AtomicRateThrottle):
    """DRF's scoped throttle (`throttle_scope` on the view); its allow_request picks the
    scope's rate, then counts through `_AtomicRateThrottle`."""
