from django.conf import settings
from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import views as account_views
from integrations import alert_views, archive_views, markdown_views
from projects.views import portfolio as portfolio_views

from . import observability

api_v1 = [
    path("", include("integrations.api.archive_urls")),  # projects/import/ before projects/<key>/
    path("", include("projects.api.urls")),
    path("", include("docs_hub.api.urls")),
    path("", include("experiments.api.urls")),
    path("", include("integrations.api.urls")),
    path("", include("integrations.api.alert_urls")),
    path("", include("accounts.api.urls")),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="projects:list", permanent=False), name="home"),
    # Browsers ask for /favicon.ico wherever a page did not name its icon (JSON, files).
    path("favicon.ico", lambda request: redirect(static("img/favicon.svg"), permanent=True)),
    path("healthz", observability.healthz, name="healthz"),
    path("readyz", observability.readyz, name="readyz"),
    path("metrics", observability.metrics, name="metrics"),
    path("admin/login/", account_views.admin_login),  # admin's own, with the sign-in limits
    path("admin/", admin.site.urls),
    path("accounts/login/", account_views.LoginView.as_view(), name="login"),
    path("accounts/signup/", account_views.signup, name="signup"),
    path("accounts/password_reset/", account_views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("accounts/", include("accounts.urls")),
    path("projects/<str:key>/settings/webhooks/", include("integrations.urls")),
    path("projects/<str:key>/settings/jira-import/", include("integrations.jira_urls")),
    path("projects/import/", archive_views.project_import, name="project_import"),
    path("projects/import/<int:job_id>/", archive_views.project_import_job, name="project_import_job"),
    path("projects/<str:key>/settings/export/", archive_views.project_export, name="project_export"),
    path("projects/", include("projects.urls")),
    path("portfolio/", portfolio_views.portfolio, name="portfolio"),
    path("projects/<str:key>/docs/import/markdown/", markdown_views.markdown_import_page, name="docs_markdown_import"),
    path(
        "projects/<str:key>/docs/import/markdown/<int:job_id>/",
        markdown_views.markdown_import_job,
        name="docs_markdown_import_job",
    ),
    path("projects/<str:key>/docs/", include("docs_hub.urls")),
    path("search/", include("docs_hub.search_urls")),
    path("projects/<str:key>/experiments/", include("experiments.urls")),
    path("projects/<str:key>/settings/alert-intake/", alert_views.alert_intake_settings, name="alert_intake_settings"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script from a URL: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
