from django.urls import URLPattern, URLResolver, path

from petitions.api import initiatives, obligations, signatures

urlpatterns: list[URLPattern | URLResolver] = [
    path("initiatives/", initiatives.InitiativeListApi.as_view(), name="api-initiatives"),
    path("initiatives/<int:pk>/", initiatives.InitiativeDetailApi.as_view(), name="api-initiative"),
    path(
        "initiatives/<int:pk>/submit/",
        initiatives.InitiativeSubmitApi.as_view(),
        name="api-initiative-submit",
    ),
    path(
        "initiatives/<int:pk>/review/",
        initiatives.InitiativeReviewApi.as_view(),
        name="api-initiative-review",
    ),
    path(
        "initiatives/<int:pk>/publish/",
        initiatives.InitiativePublishApi.as_view(),
        name="api-initiative-publish",
    ),
    path(
        "initiatives/<int:pk>/reject/",
        initiatives.InitiativeRejectApi.as_view(),
        name="api-initiative-reject",
    ),
    path(
        "initiatives/<int:pk>/withdraw/",
        initiatives.InitiativeWithdrawApi.as_view(),
        name="api-initiative-withdraw",
    ),
    path(
        "initiatives/<int:pk>/promoters/",
        initiatives.PromoterInviteApi.as_view(),
        name="api-initiative-promoters",
    ),
    path(
        "initiatives/<int:pk>/promoters/mine/",
        initiatives.PromoterCosignApi.as_view(),
        name="api-initiative-cosign",
    ),
    path(
        "initiatives/<int:pk>/signatures/",
        signatures.SignatureCreateApi.as_view(),
        name="api-initiative-sign",
    ),
    path(
        "initiatives/<int:pk>/signatures/mine/",
        signatures.SignatureMineApi.as_view(),
        name="api-initiative-signature-mine",
    ),
    path("initiatives/<int:pk>/count/", signatures.CountApi.as_view(), name="api-initiative-count"),
    path(
        "initiatives/<int:pk>/paper-signatures/",
        signatures.PaperSignatureApi.as_view(),
        name="api-initiative-paper",
    ),
    path(
        "initiatives/<int:pk>/paper-rejections/",
        signatures.PaperRejectionCountsApi.as_view(),
        name="api-initiative-paper-rejections",
    ),
    path("me/signatures/", signatures.MySignaturesApi.as_view(), name="api-me-signatures"),
    path("obligations/", obligations.ObligationListApi.as_view(), name="api-obligations"),
    path(
        "obligations/<int:pk>/done/",
        obligations.ObligationDoneApi.as_view(),
        name="api-obligation-done",
    ),
    path(
        "instrument-types/",
        obligations.InstrumentTypeListApi.as_view(),
        name="api-instrument-types",
    ),
]
