"""Crawling a project's pages in Chromium while watching for what must never happen: a
Content-Security-Policy violation, a JavaScript error, a dialog, or a script of ours that
did not run (an injected one setting `window.__xss_*`).

`Watch(page)` installs the watchers (an init script runs before any page script, so it also
sees what an injected script would do); `project_urls(project)` lists every page of a
project from the database; `visit(page, watch, url)` opens one and waits until its htmx
fragments have loaded."""

import contextlib
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.urls import reverse
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

INIT_SCRIPT = """
(() => {
  window.__csp = [];
  document.addEventListener("securitypolicyviolation", (e) => {
    window.__csp.push({directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample,
                       source: e.sourceFile + ":" + e.lineNumber});
  }, true);
  // Anything an injected payload calls to prove it ran.
  window.__xss_hits = [];
  window.__xss_hit = (n) => window.__xss_hits.push(String(n));
})();
"""


@dataclass
class Watch:
    page: object
    errors: list = field(default_factory=list)
    console_csp: list = field(default_factory=list)
    dialogs: list = field(default_factory=list)
    failed: list = field(default_factory=list)

    def __post_init__(self):
        self.page.add_init_script(INIT_SCRIPT)
        # Generous: CI machines run the app, Chromium, a worker and MLflow on two cores.
        self.page.set_default_navigation_timeout(120_000)
        self.page.set_default_timeout(60_000)
        self.page.on("pageerror", lambda error: self.errors.append(f"{self.page.url}: {error}"))
        self.page.on("console", self._console)
        self.page.on("dialog", self._dialog)

    def _console(self, message):
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.console_csp.append(f"{self.page.url}: {text}")
        elif message.type == "error" and "Failed to load resource" not in text:
            self.errors.append(f"{self.page.url}: console error: {text}")

    def _dialog(self, dialog):
        self.dialogs.append(f"{self.page.url}: {dialog.type}: {dialog.message}")
        dialog.dismiss()


def visit(page, watch: Watch, url: str) -> dict:
    """Open url, let htmx load its fragments, and return what the page recorded."""
    try:
        response = page.goto(url, wait_until="load")
    except PlaywrightTimeoutError:
        watch.failed.append(f"{url}: did not load")
        return {"csp": [], "hits": [], "globals": [], "status": None, "csp_header": None}
    status = response.status if response else None
    if status is not None and status >= 500:
        watch.failed.append(f"{url}: HTTP {status}")
    # htmx sections (hx-trigger="load") and charts; live polling never keeps it busy. A slow
    # page is still checked for what it ran.
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_load_state("networkidle", timeout=20_000)
    recorded = page.evaluate("""() => ({
        csp: window.__csp || [],
        hits: window.__xss_hits || [],
        globals: Object.keys(window).filter((k) => k.startsWith("__xss_") && k !== "__xss_hits" && k !== "__xss_hit"),
    })""")
    recorded["status"] = status
    recorded["csp_header"] = response.headers.get("content-security-policy") if response else None
    return recorded


def project_urls(project, *, max_tickets: int = 12) -> list[str]:
    """Every HTML page of a project that a GET opens, built from what it holds."""
    from docs_hub.models import Doc, DocTemplate
    from experiments.models import Experiment, MlflowSource, Run, Target

    key = project.key
    r = lambda name, *args: reverse(name, args=[key, *args])  # noqa: E731
    urls = [
        reverse("projects:list"),
        reverse("projects:create"),
        reverse("portfolio"),
        reverse("portfolio") + "?sort=-milestone",
        r("projects:hub"),
        r("projects:dashboard"),
        r("projects:forecast") + f"?scope=tickets&tickets={key}-1",
        r("projects:board"),
        r("projects:backlog"),
        r("projects:sprints"),
        r("projects:members"),
        r("projects:settings"),
        r("projects:workflow"),
        r("projects:custom_fields"),
        r("projects:ticket_create"),
        r("projects:risks"),
        r("projects:risks") + "?status=all&sort=review",
        r("projects:risk_create"),
        r("projects:lifecycle"),
        r("projects:roadmap"),
        r("projects:milestone_create"),
        r("docs_hub:index"),
        r("docs_hub:create"),
        r("docs_markdown_import"),
        r("docs_hub:trash"),
        r("docs_hub:templates"),
        r("experiments:index"),
        r("experiments:sources"),
        r("experiments:sentinel"),
        reverse("projects:notifications"),
        reverse("search") + "?" + urlencode({"q": "a"}),
        reverse("search") + "?" + urlencode({"q": "x", "project": key}),
        reverse("accounts:profile"),
        reverse("accounts:tokens"),
        reverse("password_change"),
        reverse("api-docs"),
    ]
    board_all = r("projects:board") + "?sprint=all"
    urls.append(board_all)
    for sprint in project.sprints.order_by("pk"):
        urls.append(r("projects:sprint", sprint.pk))
    for ticket in project.tickets.order_by("-pk")[:max_tickets]:
        urls.append(r("projects:ticket", ticket.key))
    for risk in project.risks.order_by("pk")[:4]:
        urls += [r("projects:risk", risk.pk), r("projects:risk_edit", risk.pk)]
        urls.append(r("projects:risks") + "?" + urlencode({"likelihood": risk.likelihood, "impact": risk.impact}))
    for milestone in project.milestones.order_by("pk")[:3]:
        urls.append(r("projects:milestone_edit", milestone.pk))
    for doc in Doc.objects.filter(project=project, deleted_at__isnull=True).order_by("pk"):
        urls += [
            r("docs_hub:detail", doc.slug),
            r("docs_hub:edit", doc.slug),
            r("docs_hub:history", doc.slug),
            r("docs_hub:revision", doc.slug, 1),
        ]
        if doc.version > 1:
            urls.append(r("docs_hub:diff", doc.slug) + f"?from=1&to={doc.version}")
    if DocTemplate.objects.filter(project=project).exists():
        template = DocTemplate.objects.filter(project=project).first()
        urls.append(r("docs_hub:create") + "?" + urlencode({"template": template.pk}))
    urls.append(r("experiments:targets"))
    for target in Target.objects.filter(project=project).order_by("pk")[:4]:
        urls.append(r("experiments:target_edit", target.pk))
    for source in MlflowSource.objects.filter(project=project):
        urls.append(r("experiments:source", source.pk))
    for experiment in Experiment.objects.filter(source__project=project):
        urls.append(r("experiments:experiment", experiment.pk))
    runs = list(Run.objects.filter(project=project).order_by("pk").values_list("run_id", flat=True))
    for run_id in runs[:8]:
        urls.append(r("experiments:run", run_id))
    if runs:
        urls.append(r("experiments:compare") + "?" + urlencode([("run", run_id) for run_id in runs[:4]]))
    return urls
