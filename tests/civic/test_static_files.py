"""Static files as production serves them: hashed names from the manifest, immutable for a year,
compressed. (Development and the tests read plain names from the apps' folders: config/settings.py.)"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import brotli
import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.http import HttpResponse
from django.test import RequestFactory, override_settings
from whitenoise.middleware import WhiteNoiseMiddleware

PRODUCTION_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One collectstatic for the module: compressing every file (gzip and brotli) takes a while."""
    root = tmp_path_factory.mktemp("static")
    production = override_settings(
        STATIC_ROOT=root,
        STORAGES=PRODUCTION_STORAGES,
        WHITENOISE_USE_FINDERS=False,
        WHITENOISE_AUTOREFRESH=False,
        DEBUG=False,
    )
    production.enable()
    try:
        call_command("collectstatic", "--no-input", verbosity=0)
        yield root
    finally:
        production.disable()


def _get(url: str, **headers: str) -> Any:
    middleware = WhiteNoiseMiddleware(lambda request: HttpResponse(status=404))
    return middleware(RequestFactory().get(url, **headers))


def test_a_collected_file_has_a_hashed_name_and_is_immutable_for_a_year(collected: Path) -> None:
    manifest = json.loads((collected / "staticfiles.json").read_text())
    hashed = manifest["paths"]["civic/site.css"]
    assert hashed != "civic/site.css" and hashed.startswith("civic/site.")
    assert staticfiles_storage.url("civic/site.css") == f"/static/{hashed}"
    response = _get(f"/static/{hashed}")
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    # The unhashed name is still served, but briefly: it can change with the next deployment.
    plain = _get("/static/civic/site.css")
    assert plain.status_code == 200 and "immutable" not in plain["Cache-Control"]


def test_a_collected_file_is_sent_compressed_to_a_client_that_accepts_it(collected: Path) -> None:
    hashed = json.loads((collected / "staticfiles.json").read_text())["paths"]["civic/site.css"]
    assert (collected / f"{hashed}.gz").exists()
    response = _get(f"/static/{hashed}", HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    body = b"".join(response.streaming_content)
    assert gzip.decompress(body) == (collected / hashed).read_bytes()
    assert len(body) < (collected / hashed).stat().st_size


def test_a_collected_file_is_sent_as_brotli_to_a_client_that_accepts_it(collected: Path) -> None:
    """collectstatic writes a .br copy beside the .gz one (the Brotli package is a dependency);
    a browser that accepts both gets the smaller brotli copy."""
    hashed = json.loads((collected / "staticfiles.json").read_text())["paths"]["civic/site.css"]
    assert (collected / f"{hashed}.br").exists()
    response = _get(f"/static/{hashed}", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert response["Content-Encoding"] == "br"
    assert "Accept-Encoding" in response["Vary"]
    body = b"".join(response.streaming_content)
    assert brotli.decompress(body) == (collected / hashed).read_bytes()
    assert len(body) < (collected / f"{hashed}.gz").stat().st_size
