"""The app's URLs plus one view that fails, for the 500 page test."""

from django.urls import include, path


def boom(request):
    raise RuntimeError("boom: a bug in a view")


urlpatterns = [path("boom/", boom), path("", include("aihub.urls"))]
