"""gzip for API JSON responses only, when the client accepts it.

Why JSON only: BREACH recovers a secret from the compressed size of responses that carry
both the secret and text the attacker controls, over many requests. HTML pages carry the
CSRF token (in the body's hx-headers and forms) beside reflected input (search boxes,
filters), so they stay uncompressed. API JSON carries no secret that repeats across
responses: authentication travels in request headers, and the one response that holds a
secret (a new API token, shown once) holds a different one every time. The board API is
where it matters: ~230 bytes a card compress about 25x (10,000 cards: 2.3 MB -> ~80 KB).

Level 1 by default (API_GZIP_LEVEL): on board JSON it keeps ~97% of level 6's saving for
less than half the CPU time, and CPU is what a 2-core server runs out of first."""

import gzip
import re

from django.conf import settings
from django.utils.cache import patch_vary_headers

ACCEPTS_GZIP = re.compile(r"\bgzip\b")
MIN_SIZE = 1024  # below a packet or so, compressing costs more than it saves


class JSONGZipMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.level = int(getattr(settings, "API_GZIP_LEVEL", 1))

    def __call__(self, request):
        response = self.get_response(request)
        if response.streaming or not response.get("Content-Type", "").startswith("application/json"):
            return response
        if response.has_header("Content-Encoding") or len(response.content) < MIN_SIZE:
            return response
        patch_vary_headers(response, ("Accept-Encoding",))
        if not ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
            return response
        compressed = gzip.compress(response.content, compresslevel=self.level, mtime=0)
        if len(compressed) >= len(response.content):
            return response
        response.content = compressed
        response.headers["Content-Length"] = str(len(compressed))
        etag = response.get("ETag")
        if etag and etag.startswith('"'):
            response.headers["ETag"] = "W/" + etag  # RFC 9110 8.8.1: the bytes differ from the identity form
        response.headers["Content-Encoding"] = "gzip"
        return response
