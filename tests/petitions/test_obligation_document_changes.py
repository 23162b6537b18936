"""A document of the city's answer is a public record: staff who may attach one may withdraw it or
replace it, each with a public reason, audited; the public page, the obligations page and the API
keep it listed with its name, size, checksum, the date and the reason, and only its file goes.
Other roles are refused (403), a document of another obligation is not found (404), a bad file
or reason changes nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from civic.errors import Conflict, DomainError, NotFound, PermissionDenied
from civic.models import AuditEntry
from petitions import services
from petitions.models import ObligationDocument
from tests.factories import ResidentFactory, StaffFactory
from tests.petitions.test_obligation_documents import A_PDF, A_PNG, _obligation, _upload

pytestmark = pytest.mark.django_db

REASON = "Compte rendu publié avec des données personnelles."


@pytest.fixture(autouse=True)
def media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _attached(actor, obligation=None, data=A_PDF, title="Compte rendu"):  # type: ignore[no-untyped-def]
    obligation = obligation or _obligation()
    return services.obligation_document_attach(
        obligation_id=obligation.pk, actor=actor, upload=_upload(data), title=title
    )


def _unchanged(document: ObligationDocument, media) -> None:  # type: ignore[no-untyped-def]
    document.refresh_from_db()
    assert document.withdrawn_at is None and document.replaced_by_id is None
    assert (media / document.file.name).read_bytes() == A_PDF


def test_a_withdrawn_document_stays_public_with_its_checksum_and_its_file_goes(
    media, clerk, django_capture_on_commit_callbacks
):
    document = _attached(clerk)
    stored = media / document.file.name
    with django_capture_on_commit_callbacks(execute=True):
        services.obligation_document_withdraw(
            obligation_id=document.obligation_id,
            document_id=document.pk,
            actor=clerk,
            reason=REASON,
        )
    document.refresh_from_db()
    assert document.withdrawn_at is not None and document.withdrawn_by == clerk
    assert document.withdrawal_reason == REASON and document.file.name == ""
    assert document.sha256 and document.size == len(A_PDF)
    assert not stored.exists()
    entry = AuditEntry.objects.get(verb="obligation.document_withdrawn")
    assert entry.before["sha256"] == document.sha256 and entry.after["reason"] == REASON

    page = Client().get(document.obligation.initiative.get_absolute_url()).content.decode()
    assert "Retiré le" in page and REASON in page and document.sha256 in page
    assert f"/initiatives/obligations/documents/{document.pk}/" not in page
    listing = Client().get("/initiatives/obligations/").content.decode()
    assert document.sha256 in listing and REASON in listing
    api = Client().get("/api/v1/obligations/").json()
    row = next(r for r in api["results"] if r["id"] == document.obligation_id)["documents"][0]
    assert row["url"] is None and row["withdrawal_reason"] == REASON
    assert row["sha256"] == document.sha256 and row["withdrawn_at"] and row["replaced_by"] is None
    gone = Client().get(f"/initiatives/obligations/documents/{document.pk}/")
    assert gone.status_code == 410


def test_a_replaced_document_points_to_its_successor_and_both_are_listed(
    media, moderator, django_capture_on_commit_callbacks
):
    old = _attached(moderator)
    with django_capture_on_commit_callbacks(execute=True):
        new = services.obligation_document_replace(
            obligation_id=old.obligation_id,
            document_id=old.pk,
            actor=moderator,
            upload=_upload(A_PNG, name="scan.png"),
            reason="Version signée.",
        )
    old.refresh_from_db()
    assert old.replaced_by == new and old.withdrawal_reason == "Version signée."
    assert new.title == "Compte rendu" and new.filename.endswith(".png") and new.in_force
    assert (media / new.file.name).read_bytes() == A_PNG
    assert AuditEntry.objects.filter(verb="obligation.document_replaced").count() == 1
    page = Client().get(old.obligation.initiative.get_absolute_url()).content.decode()
    assert "Remplacé le" in page and "Version signée." in page and old.sha256 in page
    assert f"/initiatives/obligations/documents/{new.pk}/" in page
    api = Client().get("/api/v1/obligations/").json()
    docs = next(r for r in api["results"] if r["id"] == old.obligation_id)["documents"]
    assert [(d["id"], d["replaced_by"]) for d in docs] == [(old.pk, new.pk), (new.pk, None)]


def test_bad_input_changes_nothing(media, moderator, settings):
    document = _attached(moderator)
    other = _attached(moderator, title="Autre")
    settings.PETITIONS_DOCUMENT_MAX_BYTES = 1024
    cases = [
        (_upload(b"<html></html>", name="r.pdf"), REASON, DomainError, "document_type_refused"),
        (_upload(A_PDF + b"0" * 2048), REASON, DomainError, "document_too_large"),
        (_upload(b""), REASON, DomainError, "document_empty"),
        (_upload(A_PDF), "   ", DomainError, "reason_required"),
        (_upload(A_PDF), "x" * 2001, DomainError, "reason_too_long"),
    ]
    for upload, reason, error, code in cases:
        with pytest.raises(error) as refused:
            services.obligation_document_replace(
                obligation_id=document.obligation_id,
                document_id=document.pk,
                actor=moderator,
                upload=upload,
                reason=reason,
            )
        assert refused.value.code == code
    with pytest.raises(NotFound) as refused:  # a document of another obligation
        services.obligation_document_withdraw(
            obligation_id=document.obligation_id,
            document_id=other.pk,
            actor=moderator,
            reason=REASON,
        )
    assert refused.value.code == "document_not_found"
    with pytest.raises(DomainError):
        services.obligation_document_withdraw(
            obligation_id=document.obligation_id,
            document_id=document.pk,
            actor=moderator,
            reason="",
        )
    assert ObligationDocument.objects.count() == 2
    _unchanged(document, media)
    _unchanged(other, media)
    assert not AuditEntry.objects.filter(verb__startswith="obligation.document_w").exists()


def test_a_document_is_withdrawn_once(media, moderator):
    document = _attached(moderator)
    services.obligation_document_withdraw(
        obligation_id=document.obligation_id,
        document_id=document.pk,
        actor=moderator,
        reason=REASON,
    )
    for change in (
        lambda: services.obligation_document_withdraw(
            obligation_id=document.obligation_id,
            document_id=document.pk,
            actor=moderator,
            reason="Encore",
        ),
        lambda: services.obligation_document_replace(
            obligation_id=document.obligation_id,
            document_id=document.pk,
            actor=moderator,
            upload=_upload(A_PDF),
            reason="Encore",
        ),
    ):
        with pytest.raises(Conflict) as refused:
            change()
        assert refused.value.code == "document_withdrawn"
    document.refresh_from_db()
    assert document.withdrawal_reason == REASON and ObligationDocument.objects.count() == 1


@pytest.mark.parametrize("role", ["campaign_manager", "auditor"])
def test_other_staff_and_residents_can_neither_withdraw_nor_replace(media, moderator, role):
    document = _attached(moderator)
    for actor in (StaffFactory(role=role), ResidentFactory()):
        with pytest.raises(PermissionDenied):
            services.obligation_document_withdraw(
                obligation_id=document.obligation_id,
                document_id=document.pk,
                actor=actor,
                reason=REASON,
            )
        with pytest.raises(PermissionDenied):
            services.obligation_document_replace(
                obligation_id=document.obligation_id,
                document_id=document.pk,
                actor=actor,
                upload=_upload(A_PDF),
                reason=REASON,
            )
    _unchanged(document, media)


def test_the_api_withdraws_and_replaces_for_staff_only(media, moderator, staff_api, resident_api):
    document = _attached(moderator)
    other = _attached(moderator, title="Autre")
    base = f"/api/v1/obligations/{document.obligation_id}/documents"
    withdraw, replace = f"{base}/{document.pk}/withdraw/", f"{base}/{document.pk}/replace/"
    for client in (resident_api, staff_api("campaign_manager"), staff_api("auditor")):
        assert client.post(withdraw, {"reason": REASON}, format="json").status_code == 403
        sent = {"reason": REASON, "file": _upload(A_PDF)}
        assert client.post(replace, sent, format="multipart").status_code == 403
    assert Client().post(withdraw, {"reason": REASON}).status_code in (401, 403)
    clerk = staff_api("assembly_clerk")
    foreign = clerk.post(f"{base}/{other.pk + 1000}/withdraw/", {"reason": REASON}, format="json")
    assert foreign.status_code == 404 and foreign.json()["code"] == "document_not_found"
    elsewhere = f"/api/v1/obligations/{other.obligation_id}/documents/{document.pk}/withdraw/"
    wrong = clerk.post(elsewhere, {"reason": REASON}, format="json")
    assert wrong.status_code == 404 and wrong.json()["code"] == "document_not_found"
    bad = clerk.post(replace, {"reason": REASON, "file": _upload(b"GIF89a")}, format="multipart")
    assert bad.status_code == 400 and bad.json()["code"] == "document_type_refused"
    blank = clerk.post(withdraw, {"reason": ""}, format="json")
    assert blank.status_code == 400
    _unchanged(document, media)

    replaced = clerk.post(
        replace,
        {"reason": REASON, "title": "Version signée", "file": _upload(A_PDF)},
        format="multipart",
    )
    assert replaced.status_code == 201 and replaced.json()["title"] == "Version signée"
    new_id = replaced.json()["id"]
    again = clerk.post(withdraw, {"reason": REASON}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "document_withdrawn"
    done = clerk.post(f"{base}/{new_id}/withdraw/", {"reason": REASON}, format="json")
    assert done.status_code == 200 and done.json()["url"] is None
    assert done.json()["withdrawal_reason"] == REASON


def test_the_staff_pages_ask_for_a_reason_and_a_confirmation(media, moderator):
    document = _attached(moderator)
    client = Client()
    client.force_login(moderator)
    listing = f"/initiatives/obligations/{document.obligation_id}/documents/"
    withdraw = f"{listing}{document.pk}/withdraw/"
    replace = f"{listing}{document.pk}/replace/"
    page = client.get(listing).content.decode()
    assert withdraw in page and replace in page
    assert client.get(withdraw).status_code == 200

    unconfirmed = client.post(withdraw, {"w-reason": REASON})
    assert unconfirmed.status_code == 200
    bad_file = client.post(
        replace,
        {"r-reason": REASON, "r-confirm": "on", "r-file": _upload(b"<svg/>", name="a.pdf")},
        follow=True,
    )
    assert "ni un PDF" in bad_file.content.decode()
    _unchanged(document, media)

    done = client.post(withdraw, {"w-reason": REASON, "w-confirm": "on"})
    assert done.status_code == 302 and done["Location"] == listing
    document.refresh_from_db()
    assert document.withdrawal_reason == REASON
    assert client.get(withdraw).status_code == 404  # already withdrawn: no button, no page
    assert withdraw not in client.get(listing).content.decode()


def test_the_staff_pages_refuse_other_roles_and_documents_of_another_obligation(media, moderator):
    document = _attached(moderator)
    other = _attached(moderator, title="Autre")
    withdraw = (
        f"/initiatives/obligations/{document.obligation_id}/documents/{document.pk}/withdraw/"
    )
    for user in (ResidentFactory(), StaffFactory(role="campaign_manager")):
        client = Client()
        client.force_login(user)
        assert client.get(withdraw).status_code == 403
        sent = {"w-reason": REASON, "w-confirm": "on"}
        assert client.post(withdraw, sent).status_code == 403
    staff = Client()
    staff.force_login(StaffFactory(role="assembly_clerk"))
    crossed = f"/initiatives/obligations/{other.obligation_id}/documents/{document.pk}/withdraw/"
    assert staff.post(crossed, {"w-reason": REASON, "w-confirm": "on"}).status_code == 404
    _unchanged(document, media)
