from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy

from audit.events import Event
from audit.services import record

from .forms import LoginForm


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        """Say “登录已超时” only to someone whose session really ended: their browser still holds
        the session cookie that the server no longer knows. A first visitor is just asked to sign in."""
        context = super().get_context_data(**kwargs)
        request = self.request
        context["timed_out"] = bool(
            request.GET.get("next") and settings.SESSION_COOKIE_NAME in request.COOKIES
        )
        context["idle_minutes"] = settings.SESSION_IDLE_MINUTES
        return context


class LogoutView(auth_views.LogoutView):
    pass


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("portal:home")

    def form_valid(self, form: Any) -> Any:
        response = super().form_valid(form)
        record(
            actor=self.request.user,
            event=Event.PASSWORD_CHANGED,
            target=self.request.user,  # type: ignore[arg-type]
            summary="修改本人密码",
        )
        messages.success(self.request, "密码已修改。")
        return response
