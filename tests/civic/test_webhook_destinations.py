"""Webhook receivers: never an internal address (at subscription and at each delivery, whatever the
DNS answers the second time), never a redirect followed, HTTPS only, and a secret nobody reads back."""

import socket
import ssl
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from civic.models import WebhookDelivery, WebhookSubscriber
from civic.webhook_destinations import (
    Destination,
    UnsafeDestination,
    address_refusal,
    resolve_destination,
)
from civic.webhooks import webhook_deliver, webhook_emit
from tests.factories import StaffFactory
from tests.httpd import serve_in_thread

pytestmark = pytest.mark.django_db

PUBLIC = "93.184.215.14"
SECRET = "s" * 40


def _answers(*addresses: str):  # type: ignore[no-untyped-def]
    """A getaddrinfo that answers each call with the next address (the last one repeats)."""
    calls: list[str] = []

    def fake(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        address = addresses[min(len(calls), len(addresses) - 1)]
        calls.append(host)
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    fake.calls = calls  # type: ignore[attr-defined]
    return fake


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # the cloud metadata service
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",  # noqa: S104 - an address refused, not bound
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "::ffff:10.0.0.1",
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2001:db8::1",
    ],
)
def test_internal_addresses_are_refused(address):
    assert address_refusal(address) is not None


@pytest.mark.parametrize("address", [PUBLIC, "2606:4700:4700::1111", "::ffff:93.184.215.14"])
def test_public_addresses_are_accepted(address):
    assert address_refusal(address) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://[::ffff:7f00:1]/hook",
        "https://localhost/hook",
    ],
)
def test_internal_destinations_are_refused_by_address_or_name(url):
    with pytest.raises(UnsafeDestination):
        resolve_destination(url)


def test_a_name_resolving_to_any_internal_address_is_refused(monkeypatch):
    def two_answers(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC, port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", two_answers)
    with pytest.raises(UnsafeDestination, match="private"):
        resolve_destination("https://hooks.example.org/civic")


def test_http_is_refused_unless_the_setting_allows_it(monkeypatch, settings):
    monkeypatch.setattr(socket, "getaddrinfo", _answers(PUBLIC))
    settings.WEBHOOK_ALLOW_HTTP = False
    with pytest.raises(UnsafeDestination) as refused:
        resolve_destination("http://hooks.example.org/civic")
    assert refused.value.code == "webhook_scheme_refused"
    settings.WEBHOOK_ALLOW_HTTP = True
    assert resolve_destination("http://hooks.example.org/civic").port == 80


def test_a_private_host_the_city_lists_by_name_is_allowed(monkeypatch, settings):
    monkeypatch.setattr(socket, "getaddrinfo", _answers("10.20.30.40"))
    with pytest.raises(UnsafeDestination):
        resolve_destination("https://hooks.intranet.ville.example/civic")
    settings.WEBHOOK_ALLOWED_PRIVATE_HOSTS = ["hooks.intranet.ville.example"]
    destination = resolve_destination("https://hooks.intranet.ville.example/civic?x=1")
    assert (destination.address, destination.target) == ("10.20.30.40", "/civic?x=1")


def test_dns_rebinding_between_check_and_connect_cannot_redirect_a_delivery(monkeypatch):
    """The name answers a public address to the check and 127.0.0.1 afterwards: the connection
    still goes to the address checked, and the name is looked up once."""
    subscriber = WebhookSubscriber.objects.create(
        name="r", url="https://hooks.example.org/civic", events=["initiative.published"]
    )
    fake = _answers(PUBLIC, "127.0.0.1")
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    connected: list[tuple[str, int]] = []

    def record(address, *args, **kwargs):  # type: ignore[no-untyped-def]
        connected.append(address)
        raise ConnectionRefusedError("test: no network")

    monkeypatch.setattr(socket, "create_connection", record)
    webhook_emit(event="initiative.published", payload={})
    delivery = WebhookDelivery.objects.get(subscriber=subscriber)
    assert webhook_deliver(delivery_id=delivery.pk) is False
    assert connected == [(PUBLIC, 443)]
    assert fake.calls == ["hooks.example.org"]


def test_tls_is_checked_against_the_host_name_not_the_pinned_address(monkeypatch):
    wrapped: dict[str, object] = {}

    class Context:
        check_hostname = True
        verify_mode = ssl.CERT_REQUIRED

        def wrap_socket(self, sock, server_hostname=None):  # type: ignore[no-untyped-def]
            wrapped["server_hostname"] = server_hostname
            return sock

    monkeypatch.setattr(socket, "create_connection", lambda address, *a, **k: object())
    connection = Destination("https", "hooks.example.org", 443, PUBLIC, "/").connection(5)
    real = connection._context  # type: ignore[attr-defined]
    assert real.check_hostname and real.verify_mode == ssl.CERT_REQUIRED
    connection._context = Context()  # type: ignore[attr-defined]
    connection.connect()
    assert wrapped == {"server_hostname": "hooks.example.org"}


class _Server:
    def __init__(self, answer: int, location: str = "") -> None:
        self.hits: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                server.hits.append(self.command)
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                self.send_response(answer)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = _any

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        serve_in_thread(self.httpd)


@pytest.fixture
def servers() -> Iterator[list[_Server]]:
    made: list[_Server] = []
    yield made
    for server in made:
        server.httpd.shutdown()


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_a_redirect_is_a_failed_delivery_and_is_not_followed(code, servers, settings):
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    inside = _Server(204)
    outside = _Server(code, location=inside.url)
    servers.extend([inside, outside])
    WebhookSubscriber.objects.create(name="r", url=outside.url, events=["initiative.published"])
    webhook_emit(event="initiative.published", payload={})
    delivery = WebhookDelivery.objects.get()
    assert webhook_deliver(delivery_id=delivery.pk) is False
    delivery.refresh_from_db()
    assert outside.hits == ["POST"]
    assert inside.hits == []
    assert delivery.status == "pending" and delivery.last_status_code == code
    assert "redirect" in delivery.last_error


# --- Subscription -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("https://127.0.0.1/hook", "webhook_destination_refused"),
        ("https://169.254.169.254/latest/meta-data/", "webhook_destination_refused"),
        ("https://[::ffff:127.0.0.1]/hook", "webhook_destination_refused"),
        ("http://hooks.example.org/civic", "webhook_scheme_refused"),
    ],
)
def test_subscribing_an_internal_or_plain_http_receiver_is_a_400(url, code, staff_api, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", _answers(PUBLIC))
    if "hooks.example.org" not in url:
        monkeypatch.undo()
    answer = staff_api("administrator").post(
        "/api/v1/staff/webhooks/",
        {"name": "r", "url": url, "events": ["initiative.published"], "secret": SECRET},
        format="json",
    )
    assert answer.status_code == 400, answer.content
    assert answer.json()["code"] == code
    assert not WebhookSubscriber.objects.exists()


def test_a_subscription_answer_never_carries_the_secret(staff_api, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", _answers(PUBLIC))
    answer = staff_api("administrator").post(
        "/api/v1/staff/webhooks/",
        {
            "name": "Tableau",
            "url": "https://hooks.example.org/civic",
            "events": ["initiative.published"],
            "secret": SECRET,
        },
        format="json",
    )
    assert answer.status_code == 201, answer.content
    assert SECRET not in answer.content.decode()
    assert "secret" not in answer.json()
    assert WebhookSubscriber.objects.get().secret == SECRET


@pytest.mark.parametrize("role", ["auditor", "moderator"])
def test_only_administrators_subscribe(role, staff_api):
    answer = staff_api(role).post(
        "/api/v1/staff/webhooks/",
        {"name": "r", "url": "https://a.example", "events": ["initiative.published"]},
        format="json",
    )
    assert answer.status_code == 403


def test_the_auditor_reads_no_webhook_secret_in_the_admin(client):
    subscriber = WebhookSubscriber.objects.create(
        name="Tableau", url="https://hooks.example.org/civic", events=["initiative.published"]
    )
    client.force_login(StaffFactory(role="auditor"))
    pages = [
        client.get("/admin/civic/webhooksubscriber/"),
        client.get(f"/admin/civic/webhooksubscriber/{subscriber.pk}/change/"),
        client.get(f"/admin/civic/webhooksubscriber/{subscriber.pk}/history/"),
    ]
    assert [p.status_code for p in pages] == [200, 200, 200]
    for page in pages:
        assert subscriber.secret not in page.content.decode()
    assert "hooks.example.org" in pages[1].content.decode()


def test_the_administrator_writes_a_secret_but_never_reads_it_back(client, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", _answers(PUBLIC))
    client.force_login(StaffFactory(role="administrator"))
    added = client.post(
        "/admin/civic/webhooksubscriber/add/",
        {
            "name": "Tableau",
            "url": "https://hooks.example.org/civic",
            "events": ["initiative.published"],
            "active": "on",
            "new_secret": SECRET,
        },
    )
    assert added.status_code == 302, added.content.decode()[:3000]
    subscriber = WebhookSubscriber.objects.get()
    assert subscriber.secret == SECRET
    page = client.get(f"/admin/civic/webhooksubscriber/{subscriber.pk}/change/")
    assert page.status_code == 200 and SECRET not in page.content.decode()
    # Saved again without a secret: the secret stays.
    client.post(
        f"/admin/civic/webhooksubscriber/{subscriber.pk}/change/",
        {"name": "Tableau 2", "url": subscriber.url, "events": ["initiative.published"]},
    )
    subscriber.refresh_from_db()
    assert (subscriber.name, subscriber.secret) == ("Tableau 2", SECRET)


def test_the_admin_demands_a_secret_at_creation(client, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", _answers(PUBLIC))
    client.force_login(StaffFactory(role="administrator"))
    page = client.post(
        "/admin/civic/webhooksubscriber/add/",
        {"name": "r", "url": "https://hooks.example.org/c", "events": ["initiative.published"]},
    )
    assert page.status_code == 200
    assert not WebhookSubscriber.objects.exists()


def test_the_admin_refuses_an_internal_receiver(client):
    client.force_login(StaffFactory(role="administrator"))
    page = client.post(
        "/admin/civic/webhooksubscriber/add/",
        {
            "name": "metadata",
            "url": "https://169.254.169.254/latest/",
            "events": ["initiative.published"],
            "new_secret": SECRET,
        },
    )
    assert page.status_code == 200
    assert not WebhookSubscriber.objects.exists()
    assert "link-local" in page.content.decode()
