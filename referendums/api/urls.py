from django.urls import URLPattern, URLResolver, path

from referendums import workflow
from referendums.api import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("referendums/", views.ReferendumListCreateApi.as_view(), name="api-referendums"),
    path(
        "referendums/<int:pk>/", views.ReferendumDetailApi.as_view(), name="api-referendum-detail"
    ),
    *[
        path(
            f"referendums/<int:pk>/{action}/",
            views.ReferendumTransitionApi.as_view(transition=action),
            name=f"api-referendum-{action}",
        )
        for action in workflow.ACTIONS
    ],
    path(
        "referendums/<int:pk>/ballots/", views.BallotCastApi.as_view(), name="api-referendum-cast"
    ),
    path(
        "referendums/<int:pk>/turnout/", views.TurnoutApi.as_view(), name="api-referendum-turnout"
    ),
    path(
        "referendums/<int:pk>/results/", views.ResultsApi.as_view(), name="api-referendum-results"
    ),
    path(
        "referendums/<int:pk>/ballot-box/",
        views.BallotBoxApi.as_view(),
        name="api-referendum-ballot-box",
    ),
    path(
        "referendums/<int:pk>/receipts/check/",
        views.ReceiptCheckApi.as_view(),
        name="api-referendum-receipt-check",
    ),
    path(
        "referendums/<int:pk>/campaigners/",
        views.CampaignerCreateApi.as_view(),
        name="api-referendum-campaigners",
    ),
    path(
        "referendums/<int:pk>/sheets/",
        views.ResultSheetListCreateApi.as_view(),
        name="api-referendum-sheets",
    ),
    path(
        "referendums/<int:pk>/stations/<slug:code>/resolve/",
        views.StationResolveApi.as_view(),
        name="api-referendum-station-resolve",
    ),
]
