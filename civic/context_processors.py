from typing import Any

from django.conf import settings
from django.http import HttpRequest

from civic.roles import is_staff_member


def site(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "CITY_NAME": settings.CITY_NAME,
        "is_staff_member": bool(user is not None and is_staff_member(user)),
    }
