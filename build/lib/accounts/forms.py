from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "用户名或密码不正确。连续输错多次后账号将被临时锁定。",
        "inactive": "该账号已停用，请联系系统管理员。",
    }
