"""Django's sign-in back end, reading the signed-in user with the area every page's header names
(``User.area_name``): one query for the user, not three."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from .models import User


class AreaModelBackend(ModelBackend):
    """Checks the password as Django's does; reads the user with the township and county."""

    def get_user(self, user_id: Any) -> User | None:
        try:
            user = User._default_manager.select_related("township__county", "county").get(
                pk=user_id
            )
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
