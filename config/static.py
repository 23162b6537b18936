"""Headers of the static files whitenoise serves (settings.WHITENOISE_ADD_HEADERS_FUNCTION).

Production serves what collectstatic wrote with CompressedManifestStaticFilesStorage: names that
carry a hash of the content, each with a gzip copy (and brotli where the Brotli package is
installed). Development and the tests keep plain names read from the apps' folders
(WHITENOISE_USE_FINDERS): no collectstatic before a page renders, and an edited style shows at once;
tests/civic/test_static_files.py collects with the production storage and checks these headers."""

from __future__ import annotations

from typing import Any


def static_headers(headers: Any, path: str, url: str) -> None:
    """A hashed file never changes under its name: a year (RFC 9111's advised ceiling; whitenoise's
    own is ten), immutable, so browsers do not even revalidate it on reload."""
    if "immutable" in headers.get("Cache-Control", ""):
        headers["Cache-Control"] = "public, max-age=31536000, immutable"
