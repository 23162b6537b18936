"""OpenAPI naming for one-view-per-operation serializers.

Views nest `InputSerializer`/`OutputSerializer` classes (HackSoft style), so bare class names collide;
components are named after the whole qualified name instead: `VerificationApi.InputSerializer` ->
`VerificationApiInput`.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi


class AutoSchema(openapi.AutoSchema):
    def get_serializer_name(self, serializer: Any, direction: Any) -> str:
        name = super().get_serializer_name(serializer, direction)
        serializer_class = serializer if isinstance(serializer, type) else type(serializer)
        qualname = serializer_class.__qualname__
        if "." not in qualname or "<locals>" in qualname:
            return name
        return "".join(part.removesuffix("Serializer") for part in qualname.split("."))
