"""The schema view, safe under concurrent first requests (apart from `civic.api.schema`, which
drf-spectacular's views module imports as the default schema class: importing the views there
would be circular)."""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.utils import translation
from drf_spectacular.views import SpectacularAPIView
from rest_framework.request import Request
from rest_framework.response import Response

# One schema build at a time per process, kept per language: drf-spectacular resolves its
# extensions lazily on first use, and two first requests building at once crashed on a half-loaded
# extension (AttributeError, a 500). The build is also the API's costliest answer: made once.
_SCHEMA_LOCK = threading.Lock()
_SCHEMAS: dict[str, Any] = {}


class SchemaApi(SpectacularAPIView):
    """`GET /api/v1/schema/`: the OpenAPI schema, built once per process and language."""

    def _get_schema_response(self, request: Request) -> Response:
        version = self.api_version or request.version or self._get_version_parameter(request)
        language = translation.get_language() or settings.LANGUAGE_CODE
        # Only the plain schema in a language the site has is kept: no query string can fill
        # the memory with variants.
        cacheable = version is None and language in dict(settings.LANGUAGES)
        with _SCHEMA_LOCK:
            data = _SCHEMAS.get(language) if cacheable else None
            if data is None:
                generator = self.generator_class(
                    urlconf=self.urlconf, api_version=version, patterns=self.patterns
                )
                data = generator.get_schema(request=request, public=self.serve_public)
                if cacheable:
                    _SCHEMAS[language] = data
        filename = self._get_filename(request, version)
        return Response(
            data=data, headers={"Content-Disposition": f'inline; filename="{filename}"'}
        )
