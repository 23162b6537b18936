"""A test client that reads the site in English: pages under /en/ (the language is in their
address), the API and the admin with the language cookie (they negotiate it)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.test import Client

from civic.languages import is_page_path


class EnglishClient(Client):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    def generic(self, method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        if path.startswith("/") and is_page_path(path) and not path.startswith("/en/"):
            path = "/en" + path
        return super().generic(method, path, *args, **kwargs)
