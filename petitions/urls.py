from django.urls import URLPattern, URLResolver, path

from petitions import views
from petitions.views.moderation import (
    obligation_document,
    staff_initiative_moderation,
    staff_moderation,
    staff_obligation_document_change,
    staff_obligation_documents,
)
from petitions.views.paper import paper_form_pdf, paper_forms
from petitions.views.paper_import import staff_paper_import
from petitions.views.share import initiative_share_image

app_name = "petitions"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.initiative_list, name="list"),
    path("new/", views.initiative_create, name="create"),
    path("new/<slug:step>/", views.initiative_guided, name="guided"),
    path("mine/", views.my_initiatives, name="mine"),
    path("my-signatures/", views.my_signatures, name="my-signatures"),
    path("obligations/", views.obligations, name="obligations"),
    path("obligations/<id:pk>/done/", views.obligation_done, name="obligation-done"),
    path(
        "obligations/<id:pk>/documents/",
        staff_obligation_documents,
        name="staff-obligation-documents",
    ),
    path(
        "obligations/<id:pk>/documents/<id:document_pk>/withdraw/",
        staff_obligation_document_change,
        {"action": "withdraw"},
        name="staff-obligation-document-withdraw",
    ),
    path(
        "obligations/<id:pk>/documents/<id:document_pk>/replace/",
        staff_obligation_document_change,
        {"action": "replace"},
        name="staff-obligation-document-replace",
    ),
    path("obligations/documents/<id:pk>/", obligation_document, name="obligation-document"),
    path("staff/", views.staff_queue, name="staff-queue"),
    path("staff/moderation/", staff_moderation, name="staff-moderation"),
    path("<id:pk>/moderation/", staff_initiative_moderation, name="staff-moderation-initiative"),
    path("<id:pk>/", views.initiative_detail, name="detail"),
    path("<id:pk>/engagements.pdf", views.initiative_obligations_pdf, name="obligations-pdf"),
    path("<id:pk>/edit/", views.initiative_edit, name="edit"),
    path("<id:pk>/sign/", views.initiative_sign, name="sign"),
    path("<id:pk>/unsign/", views.initiative_unsign, name="unsign"),
    path("<id:pk>/invite/", views.initiative_invite, name="invite"),
    path("<id:pk>/cosign/", views.initiative_cosign, name="cosign"),
    path("<id:pk>/reject/", views.initiative_reject, name="reject"),
    path("<id:pk>/paper/", views.staff_paper, name="staff-paper"),
    path("<id:pk>/paper/import/", staff_paper_import, name="staff-paper-import"),
    path("<id:pk>/paper/forms/", paper_forms, name="paper-forms"),
    path("<id:pk>/paper/forms/<id:batch_pk>.pdf", paper_form_pdf, name="paper-form-pdf"),
    path("<id:pk>/invalidations/", views.staff_invalidations, name="staff-invalidations"),
    path("invalidations/<id:pk>/", views.staff_invalidation, name="staff-invalidation"),
    path(
        "invalidations/<id:pk>/undo/",
        views.staff_invalidation_undo,
        name="staff-invalidation-undo",
    ),
    path("<id:pk>/rejections/", views.rejection_register, name="rejections"),
    *[
        path(f"<id:pk>/{action}/", views.initiative_transition, {"action": action}, name=action)
        for action in ("submit", "review", "publish", "withdraw")
    ],
    path("<id:pk>/partage.png", initiative_share_image, name="share-image"),
]
