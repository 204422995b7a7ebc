from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy

from audit.models import AuditEvent
from audit.services import record

from .forms import LoginForm


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("portal:home")

    def form_valid(self, form: Any) -> Any:
        response = super().form_valid(form)
        record(
            actor=self.request.user,
            action=AuditEvent.Action.UPDATE,
            target=self.request.user,  # type: ignore[arg-type]
            summary="修改本人密码",
        )
        messages.success(self.request, "密码已修改。")
        return response
