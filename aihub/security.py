"""Content-Security-Policy on every HTML page (defence in depth against script injection).

Pages run only scripts served from our own origin (`static/`): no inline <script>, no
inline event handlers (`onclick=`...), no `eval` (htmx is configured with `allowEval: false`
in base.html). Data for scripts travels in `json_script` blocks (`type="application/json"`,
which browsers never execute) or in `data-*` attributes.

Styles come from our stylesheets only: templates carry no `style=` attribute (dynamic values
such as a label's colour travel in `data-*` attributes and app.js sets them through the
CSSOM, which CSP allows). The same policy holds for the Django admin and the Swagger UI at
/api/docs/ (served from drf-spectacular-sidecar's local copy, its start-up script from a
URL, its inline <style> moved to static/css/swagger.css): no page needs 'unsafe-inline'.
"""

from django.conf import settings

BASE_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    # Markdown may show images from https URLs (nh3 allows http/https/mailto links only).
    "img-src": "'self' data: https:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

POLICY = "; ".join(f"{name} {value}" for name, value in BASE_POLICY.items())


class ContentSecurityPolicyMiddleware:
    """Adds Content-Security-Policy to text/html responses that do not set their own.

    DEBUG's technical error pages (inline scripts and styles of Django's own) are left
    without one, so they stay readable in development."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" in response:
            return response
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        if settings.DEBUG and response.status_code >= 400:
            return response
        response["Content-Security-Policy"] = POLICY
        return response
