from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import selectors, services, throttles
from .forms import ApiTokenForm, LoginForm, ProfileForm, SignupForm, ThrottledPasswordResetForm
from .models import ApiToken


class LoginView(auth_views.LoginView):
    """Django's sign-in, refusing an address after too many failures (accounts/throttles.py)."""

    redirect_authenticated_user = True
    authentication_form = LoginForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.throttled:
            response.status_code = 429
        return response

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "signup_enabled": settings.AIHUB_SIGNUP_ENABLED}


def admin_login(request):
    """/admin/login/: Django admin's sign-in with the same limits (admin.site.login_form is
    AdminLoginForm), answering 429 like the sign-in page once they apply."""
    from django.contrib import admin

    response = admin.site.login(request)
    form = (getattr(response, "context_data", None) or {}).get("form")
    if getattr(form, "throttled", False):
        response.status_code = 429
    return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, limited per address (said in the page) and per account
    (silently: the page answers the same whether an e-mail went out or not)."""

    form_class = ThrottledPasswordResetForm

    def form_valid(self, form):
        if not throttles.password_reset_requested(self.request):
            form.add_error(None, throttles.password_reset_locked_message())
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)


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
