from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerSplitView

from civic.api import views
from civic.api.schema_view import SchemaApi

urlpatterns = [
    # The hottest paths first: signing and counts, then the public statistics.
    path("", include("petitions.api.urls")),
    path("", include("dashboards.api.urls")),
    path("schema/", SchemaApi.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("auth/token/", views.TokenCreateApi.as_view(), name="api-token"),
    path("auth/tokens/", views.TokenListApi.as_view(), name="api-tokens"),
    path("auth/tokens/<id:pk>/", views.TokenRevokeApi.as_view(), name="api-token-revoke"),
    path("me/", views.MeApi.as_view(), name="api-me"),
    path("me/verification/", views.VerificationApi.as_view(), name="api-me-verification"),
    path("me/notifications/", views.NotificationListApi.as_view(), name="api-me-notifications"),
    path(
        "me/notifications/<id:pk>/read/",
        views.NotificationReadApi.as_view(),
        name="api-me-notification-read",
    ),
    path("districts/", views.DistrictListApi.as_view(), name="api-districts"),
    path("audit/heads/", views.AuditHeadsApi.as_view(), name="api-audit-heads"),
    path("staff/verifications/", views.DeskVerificationApi.as_view(), name="api-desk-verification"),
    path(
        "staff/desk-requests/<id:pk>/close/",
        views.DeskRequestCloseApi.as_view(),
        name="api-desk-request-close",
    ),
    path("staff/webhooks/", views.WebhookSubscribeApi.as_view(), name="api-staff-webhooks"),
    path("", include("referendums.api.urls")),
    path("", include("assembly.api.urls")),
]
