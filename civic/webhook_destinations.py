"""Where a webhook may be delivered: the receiver's host is resolved once, every address it
resolves to is checked (no loopback, private, link-local, multicast or reserved address unless the
host is listed in WEBHOOK_ALLOWED_PRIVATE_HOSTS), and the connection goes to the address that was
checked (pinned), while TLS still checks the certificate against the host name. Redirects are not
followed: `_post` returns the status and the caller fails the delivery."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

TIMEOUT_SECONDS = 10


class UnsafeDestination(Exception):
    """A receiver the toolkit refuses to call; `code` is the API's stable error code."""

    def __init__(self, message: str, code: str = "webhook_destination_refused") -> None:
        super().__init__(message)
        self.code = code


# IPv6 prefixes that carry an IPv4 address a gateway would reach: NAT64 (RFC 6052, RFC 8215).
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def address_refusal(address: str) -> str | None:
    """Why `address` is no place to send a webhook (loopback, private, link-local, multicast,
    reserved, unspecified, or an IPv6 form of one of them), or None when it is public."""
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(
        address.split("%", 1)[0]
    )
    embedded: ipaddress.IPv4Address | None = None
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # the socket reaches the IPv4 address itself
            ip = ip.ipv4_mapped
        elif ip.sixtofour is not None:
            embedded = ip.sixtofour
        elif ip.teredo is not None:
            return "a Teredo address"
        elif any(ip in net for net in _NAT64):
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    for candidate in (ip, embedded):
        if candidate is None:
            continue
        for flag in (
            "is_loopback",
            "is_link_local",
            "is_multicast",
            "is_unspecified",
            "is_reserved",
            "is_private",
        ):
            if getattr(candidate, flag):
                return f"{flag.removeprefix('is_').replace('_', '-')} address"
        if not candidate.is_global:
            return "non-public address"
    return None


@dataclass(frozen=True)
class Destination:
    """A receiver's URL, resolved once: the connection goes to `address`, TLS checks `host`."""

    scheme: str
    host: str
    port: int
    address: str
    target: str  # path and query

    def connection(self, timeout: float) -> http.client.HTTPConnection:
        if self.scheme == "https":
            return _PinnedHTTPSConnection(self.host, self.port, self.address, timeout)
        return _PinnedHTTPConnection(self.host, self.port, self.address, timeout)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.pinned_address = address

    def connect(self) -> None:
        # The address checked, not a fresh lookup of the name (DNS rebinding).
        self.sock = socket.create_connection((self.pinned_address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.pinned_address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.pinned_address, self.port), self.timeout)
        # The certificate is checked against the host name of the URL (SNI too), not the address.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def _allowed_private(host: str) -> bool:
    return host.rstrip(".").lower() in {
        h.rstrip(".").lower() for h in settings.WEBHOOK_ALLOWED_PRIVATE_HOSTS
    }


def resolve_destination(url: str) -> Destination:
    """Check `url` and resolve its host once. Refused: a scheme other than https (http only with
    WEBHOOK_ALLOW_HTTP), credentials in the URL, a host that does not resolve, and a host any of
    whose addresses is not public, unless the host is listed in WEBHOOK_ALLOWED_PRIVATE_HOSTS."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeDestination("not a valid URL") from exc
    schemes = {"https", "http"} if settings.WEBHOOK_ALLOW_HTTP else {"https"}
    if parts.scheme not in schemes:
        raise UnsafeDestination("only https URLs are allowed", code="webhook_scheme_refused")
    if not parts.hostname:
        raise UnsafeDestination("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeDestination("credentials in the URL are not allowed")
    host = parts.hostname
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise UnsafeDestination(f"{host} does not resolve") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise UnsafeDestination(f"{host} does not resolve")
    if not _allowed_private(host):
        for address in addresses:
            refusal = address_refusal(address)
            if refusal is not None:
                raise UnsafeDestination(f"{host} resolves to a {refusal}")
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return Destination(parts.scheme, host, port, addresses[0], target)


def _post(destination: Destination, body: bytes, headers: dict[str, str]) -> int:
    """POST once; the status code. A redirect is answered as it is, never followed."""
    connection = destination.connection(TIMEOUT_SECONDS)
    try:
        connection.request("POST", destination.target, body=body, headers=headers)
        response = connection.getresponse()
        response.read(65536)
        return response.status
    finally:
        connection.close()
