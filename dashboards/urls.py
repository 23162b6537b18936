from django.urls import path

from dashboards import export_views, views

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
    path(
        "staff/exports/<str:kind>/<id:target_id>/",
        export_views.staff_exports,
        name="staff-exports",
    ),
    path(
        "staff/exports/<str:kind>/<id:target_id>/jobs/",
        export_views.staff_export_job,
        name="staff-export-job",
    ),
    path(
        "staff/exports/<str:kind>/<id:target_id>/<slug:name>/",
        export_views.staff_export,
        name="staff-export",
    ),
]
