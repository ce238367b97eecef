from django.urls import path

from . import jira_views

app_name = "jira_import"

urlpatterns = [
    path("", jira_views.jira_import_page, name="page"),
    path("<int:job_id>/", jira_views.jira_import_job, name="job"),
]
