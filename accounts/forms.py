from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, UserCreationForm
from django.core.exceptions import ValidationError

from . import throttles

User = get_user_model()


class SignupForm(UserCreationForm):
    email = forms.EmailField(required=True)
    display_name = forms.CharField(max_length=150, required=False)

    class Meta:
        model = User
        fields = ("username", "email", "display_name")


class ProfileForm(forms.Form):
    display_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False)


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. “CI uploader”.")


class ThrottledLoginMixin:
    """Refuse to check a password once this address failed too often (for this username,
    or in all), and count each failure. The sign-in page and /admin/login/ share it."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if self.request is not None and throttles.login_locked(self.request, username):
            raise ValidationError(throttles.login_locked_message(), code="throttled")
        try:
            return super().clean()
        except ValidationError:
            if self.request is not None and self.cleaned_data.get("password"):
                throttles.login_failed(self.request, username)
            raise

    @property
    def throttled(self) -> bool:
        return any(error.code == "throttled" for error in self.errors.as_data().get("__all__", []))


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass


class ThrottledPasswordResetForm(PasswordResetForm):
    """Sends at most AIHUB_PASSWORD_RESETS_PER_ACCOUNT e-mails to an account per window;
    beyond that it sends nothing, and the page answers as usual."""

    def get_users(self, email):
        return (user for user in super().get_users(email) if throttles.password_reset_mail_allowed(user))
