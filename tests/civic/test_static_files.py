"""Static files as production serves them: hashed names from the manifest, immutable for a year,
compressed. (Development and the tests read plain names from the apps' folders: config/settings.py.)"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

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


def production_static(root: Path) -> dict[str, Any]:
    return {
        "STATIC_ROOT": root,
        "STORAGES": PRODUCTION_STORAGES,
        "WHITENOISE_USE_FINDERS": False,
        "WHITENOISE_AUTOREFRESH": False,
        "DEBUG": False,
    }


@pytest.fixture(scope="module")
def collected_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """collectstatic runs once for the module (hashing and compressing every file is the slow
    part); the tests only read what it wrote."""
    root = tmp_path_factory.mktemp("static")
    with override_settings(**production_static(root)):
        call_command("collectstatic", "--no-input", verbosity=0)
    return root


@pytest.fixture
def collected(settings: Any, collected_once: Path) -> Path:
    for name, value in production_static(collected_once).items():
        setattr(settings, name, value)
    return collected_once


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
