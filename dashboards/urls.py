from django.urls import path

from dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("donnees/", views.dataset_index, name="opendata"),
    path(
        "donnees/<slug:name>.<str:fmt>",
        views.dataset_export,
        name="dataset",
    ),
    path(
        "staff/initiatives/<id:initiative_id>/signataires.csv",
        views.signatories_export,
        name="signatories-export",
    ),
]
