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
from whitenoise.compress import Compressor
from whitenoise.middleware import WhiteNoiseMiddleware
from whitenoise.storage import CompressedManifestStaticFilesStorage

# Brotli at its maximum quality (whitenoise's, as in production) costs about a CPU-second per
# megabyte; the vendored bundles and their source maps (the API's documentation pages, the admin,
# the browsable API) are 11.5 MB of the 12.5 collected, and compressing them at full quality took
# this module 46 of its 48 CPU-seconds. Files up to VENDOR_SIZE (ours among them) are compressed
# exactly as in production; larger ones at a quality that costs a hundredth of the time.
VENDOR_SIZE = 64 * 1024
QUICK_BROTLI_QUALITY = 5


class QuickCompressor(Compressor):
    def compress_brotli(self, data: bytes) -> bytes:
        if len(data) <= VENDOR_SIZE:
            return super().compress_brotli(data)
        return bytes(brotli.compress(data, quality=QUICK_BROTLI_QUALITY))


class QuickCompressedStorage(CompressedManifestStaticFilesStorage):
    """Production's storage (hashed names, manifest, gzip and brotli copies), but for the
    quality at which it compresses the large vendored files."""

    def create_compressor(self, **kwargs: Any) -> Compressor:
        return QuickCompressor(**kwargs)


PRODUCTION_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": f"{__name__}.QuickCompressedStorage"},
}


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One collectstatic for the module, as production runs it (but QuickCompressedStorage)."""
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


def test_a_large_vendored_file_is_compressed_too(collected: Path) -> None:
    """The largest files (the API documentation's bundles) get their .br and .gz copies as well,
    and both give back the file."""
    manifest = json.loads((collected / "staticfiles.json").read_text())
    hashed = manifest["paths"]["drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"]
    original = (collected / hashed).read_bytes()
    assert len(original) > VENDOR_SIZE
    assert brotli.decompress((collected / f"{hashed}.br").read_bytes()) == original
    assert gzip.decompress((collected / f"{hashed}.gz").read_bytes()) == original


def test_the_job_pages_script_is_collected_hashed_and_named_by_its_hashed_name(
    collected: Path,
) -> None:
    """civic/job-progress.js (civic/progress.py) goes through the same storage as the style
    sheets: the job page's head names its hashed, immutable copy."""
    from django.template.loader import render_to_string

    hashed = json.loads((collected / "staticfiles.json").read_text())["paths"][
        "civic/job-progress.js"
    ]
    assert hashed != "civic/job-progress.js" and (collected / f"{hashed}.br").exists()
    assert _get(f"/static/{hashed}")["Cache-Control"] == "public, max-age=31536000, immutable"
    head = render_to_string("civic/_job_refresh.html", {"refresh": 2})
    assert head.strip() == f'<script src="/static/{hashed}" defer></script>'
    assert render_to_string("civic/_job_refresh.html", {"refresh": None}).strip() == ""
