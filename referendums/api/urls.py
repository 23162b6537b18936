from django.urls import URLPattern, URLResolver, path

from referendums import workflow
from referendums.api import campaigns, paper, views

urlpatterns: list[URLPattern | URLResolver] = [
    path("referendums/", campaigns.ReferendumListCreateApi.as_view(), name="api-referendums"),
    path(
        "referendums/<id:pk>/",
        campaigns.ReferendumDetailApi.as_view(),
        name="api-referendum-detail",
    ),
    *[
        path(
            f"referendums/<id:pk>/{action}/",
            campaigns.ReferendumTransitionApi.as_view(transition=action),
            name=f"api-referendum-{action}",
        )
        for action in workflow.ACTIONS
    ],
    path("referendums/<id:pk>/ballots/", views.BallotCastApi.as_view(), name="api-referendum-cast"),
    path("referendums/<id:pk>/turnout/", views.TurnoutApi.as_view(), name="api-referendum-turnout"),
    path("referendums/<id:pk>/results/", views.ResultsApi.as_view(), name="api-referendum-results"),
    path(
        "referendums/<id:pk>/ballot-box/",
        views.BallotBoxApi.as_view(),
        name="api-referendum-ballot-box",
    ),
    path(
        "referendums/<id:pk>/receipts/check/",
        views.ReceiptCheckApi.as_view(),
        name="api-referendum-receipt-check",
    ),
    path(
        "referendums/<id:pk>/campaigners/",
        campaigns.CampaignerCreateApi.as_view(),
        name="api-referendum-campaigners",
    ),
    path(
        "referendums/<id:pk>/sheets/",
        paper.ResultSheetListCreateApi.as_view(),
        name="api-referendum-sheets",
    ),
    path(
        "referendums/<id:pk>/stations/<slug:code>/resolve/",
        paper.StationResolveApi.as_view(),
        name="api-referendum-station-resolve",
    ),
]
