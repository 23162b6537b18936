from django.urls import URLPattern, URLResolver, path

from petitions.api import initiatives, invalidations, obligations, signatures

urlpatterns: list[URLPattern | URLResolver] = [
    path("initiatives/", initiatives.InitiativeListApi.as_view(), name="api-initiatives"),
    path("initiatives/<id:pk>/", initiatives.InitiativeDetailApi.as_view(), name="api-initiative"),
    path(
        "initiatives/<id:pk>/submit/",
        initiatives.InitiativeSubmitApi.as_view(),
        name="api-initiative-submit",
    ),
    path(
        "initiatives/<id:pk>/review/",
        initiatives.InitiativeReviewApi.as_view(),
        name="api-initiative-review",
    ),
    path(
        "initiatives/<id:pk>/publish/",
        initiatives.InitiativePublishApi.as_view(),
        name="api-initiative-publish",
    ),
    path(
        "initiatives/<id:pk>/reject/",
        initiatives.InitiativeRejectApi.as_view(),
        name="api-initiative-reject",
    ),
    path(
        "initiatives/<id:pk>/withdraw/",
        initiatives.InitiativeWithdrawApi.as_view(),
        name="api-initiative-withdraw",
    ),
    path(
        "initiatives/<id:pk>/promoters/",
        initiatives.PromoterInviteApi.as_view(),
        name="api-initiative-promoters",
    ),
    path(
        "initiatives/<id:pk>/promoters/mine/",
        initiatives.PromoterCosignApi.as_view(),
        name="api-initiative-cosign",
    ),
    path(
        "initiatives/<id:pk>/signatures/",
        signatures.SignatureCreateApi.as_view(),
        name="api-initiative-sign",
    ),
    path(
        "initiatives/<id:pk>/signatures/mine/",
        signatures.SignatureMineApi.as_view(),
        name="api-initiative-signature-mine",
    ),
    path("initiatives/<id:pk>/count/", signatures.CountApi.as_view(), name="api-initiative-count"),
    path(
        "initiatives/<id:pk>/paper-signatures/",
        signatures.PaperSignatureApi.as_view(),
        name="api-initiative-paper",
    ),
    path(
        "initiatives/<id:pk>/paper-rejections/",
        signatures.PaperRejectionCountsApi.as_view(),
        name="api-initiative-paper-rejections",
    ),
    path(
        "initiatives/<id:pk>/invalidations/",
        invalidations.InvalidationListApi.as_view(),
        name="api-initiative-invalidations",
    ),
    path(
        "initiatives/<id:pk>/invalidations/preview/",
        invalidations.InvalidationPreviewApi.as_view(),
        name="api-initiative-invalidation-preview",
    ),
    path(
        "initiatives/<id:pk>/trending/",
        invalidations.TrendingApi.as_view(),
        name="api-initiative-trending",
    ),
    path(
        "initiatives/<id:pk>/rejections/",
        invalidations.RejectionRegisterApi.as_view(),
        name="api-initiative-rejections",
    ),
    path(
        "invalidations/<id:pk>/",
        invalidations.InvalidationDetailApi.as_view(),
        name="api-invalidation",
    ),
    path(
        "invalidations/<id:pk>/undo/",
        invalidations.InvalidationUndoApi.as_view(),
        name="api-invalidation-undo",
    ),
    path("me/signatures/", signatures.MySignaturesApi.as_view(), name="api-me-signatures"),
    path("obligations/", obligations.ObligationListApi.as_view(), name="api-obligations"),
    path(
        "obligations/<id:pk>/done/",
        obligations.ObligationDoneApi.as_view(),
        name="api-obligation-done",
    ),
    path(
        "instrument-types/",
        obligations.InstrumentTypeListApi.as_view(),
        name="api-instrument-types",
    ),
]
