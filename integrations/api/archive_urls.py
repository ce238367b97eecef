"""Before projects.api.urls: `projects/import/` would otherwise read as a project key."""

from django.urls import path

from . import archive

urlpatterns = [
    path("projects/import/", archive.ProjectImport.as_view(), name="project-import"),
    path("projects/<str:key>/export/", archive.ProjectExport.as_view(), name="project-export"),
]
