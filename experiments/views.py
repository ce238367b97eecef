from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def index(request, key):
    return HttpResponse("")


@login_required
def hub_section(request, key):
    return HttpResponse("")
