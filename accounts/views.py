from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import selectors, services
from .forms import ApiTokenForm, ProfileForm, SignupForm
from .models import ApiToken

FAILED_LOGIN_LIMIT = 10
FAILED_LOGIN_WINDOW = 15 * 60


def _login_key(request) -> str:
    # Per address and username: guessing one account is slowed, others still sign in.
    ip = request.META.get("REMOTE_ADDR", "?")
    username = (request.POST.get("username") or "").strip().lower()[:150]
    return f"login-failures:{ip}:{username}"


class LoginView(auth_views.LoginView):
    """Django's sign-in, refusing an address after too many failures in a window."""

    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        if cache.get(_login_key(request), 0) >= FAILED_LOGIN_LIMIT:
            form = self.get_form()
            form.add_error(None, "Too many failed sign-ins from this address. Try again in 15 minutes.")
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        key = _login_key(self.request)
        cache.add(key, 0, FAILED_LOGIN_WINDOW)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, FAILED_LOGIN_WINDOW)
        return super().form_invalid(form)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "signup_enabled": settings.AIHUB_SIGNUP_ENABLED}


def signup(request):
    if not settings.AIHUB_SIGNUP_ENABLED:
        raise Http404("Sign-up is switched off: ask an admin to invite you.")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Welcome to AI Hub.")
        return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "registration/signup.html", {"form": form})


@login_required
def profile(request):
    user = request.user
    form = ProfileForm(request.POST or None, initial={"display_name": user.display_name, "email": user.email})
    if request.method == "POST" and form.is_valid():
        services.user_profile_update(user=user, **form.cleaned_data)
        messages.success(request, "Profile saved.")
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})


@login_required
def tokens(request):
    form = ApiTokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        _, new_token = services.api_token_create(user=request.user, name=form.cleaned_data["name"])
        form = ApiTokenForm()
    context = {"form": form, "tokens": selectors.api_tokens_of(user=request.user), "new_token": new_token}
    return render(request, "accounts/tokens.html", context)


@login_required
@require_POST
def token_revoke(request, token_id: int):
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    services.api_token_revoke(token=token)
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("accounts:tokens")
