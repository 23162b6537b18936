"""What a document of the city's answer is, read from its bytes, never from its name or from the
type the browser declared. Pure: no I/O beyond the file object given.

Accepted: PDF, OpenDocument text (ODT), Word (DOCX), PNG and JPEG. A ZIP is an ODT only if its
first member is the uncompressed `mimetype` naming the ODT type, a DOCX only if it holds
`[Content_Types].xml` and `word/document.xml`. Anything else (HTML, SVG, scripts, other archives,
an empty file) is refused.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

PDF = "application/pdf"
ODT = "application/vnd.oasis.opendocument.text"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PNG = "image/png"
JPEG = "image/jpeg"

EXTENSIONS = {PDF: "pdf", ODT: "odt", DOCX: "docx", PNG: "png", JPEG: "jpg"}
ACCEPT = ",".join([f".{e}" for e in EXTENSIONS.values()] + [".jpeg"])
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Sniffed:
    content_type: str
    extension: str


def _zip_type(data: BinaryIO) -> str | None:
    try:
        with zipfile.ZipFile(data) as archive:
            names = archive.namelist()
            if names and names[0] == "mimetype":
                if archive.read("mimetype").strip() == ODT.encode():
                    return ODT
                return None
            if "[Content_Types].xml" in names and "word/document.xml" in names:
                return DOCX
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return None
    return None


def sniff(data: BinaryIO) -> Sniffed | None:
    """The document's type from its content, or None if it is not one we accept."""
    data.seek(0)
    head = data.read(16)
    data.seek(0)
    found: str | None = None
    if head.startswith(b"%PDF-"):
        found = PDF
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        found = PNG
    elif head.startswith(b"\xff\xd8\xff"):
        found = JPEG
    elif head.startswith(b"PK\x03\x04"):
        found = _zip_type(data)
        data.seek(0)
    return Sniffed(found, EXTENSIONS[found]) if found else None


def safe_filename(name: str, extension: str) -> str:
    """A download name made of plain characters, ending with the extension of the real type."""
    stem = (name or "document").rsplit("/", 1)[-1].rsplit("\\", 1)[-1].rsplit(".", 1)[0]
    stem = _SAFE_NAME.sub("-", stem).strip("-.")[:80] or "document"
    return f"{stem}.{extension}"


def as_bytes_io(content: bytes) -> io.BytesIO:
    return io.BytesIO(content)
