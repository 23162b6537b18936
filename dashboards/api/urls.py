from django.urls import path

from dashboards.api import views

urlpatterns = [
    path("stats/city/", views.CityStatsApi.as_view(), name="api-stats-city"),
    path(
        "stats/initiatives/", views.InitiativeStatsListApi.as_view(), name="api-stats-initiatives"
    ),
    path(
        "stats/initiatives/<id:pk>/",
        views.InitiativeStatsApi.as_view(),
        name="api-stats-initiative",
    ),
    path(
        "stats/initiatives/<id:pk>/signatures/",
        views.InitiativeSeriesApi.as_view(),
        name="api-stats-initiative-signatures",
    ),
]
