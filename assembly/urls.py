from django.urls import URLPattern, URLResolver, path

from assembly import clerk_views, job_views, member_views, views

app_name = "assembly"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="index"),
    path("mon-espace/", member_views.member_space, name="member-space"),
    path("<id:pk>/", views.mandate_detail, name="mandate"),
    path("<id:pk>/recommandations/", views.recommendations, name="recommendations"),
    path("<id:pk>/tirage.json", views.draw_bundle, name="draw-bundle"),
    path("seances/<id:pk>/", views.session_detail, name="session"),
    path(
        "seances/<id:pk>/proces-verbal.pdf",
        views.session_minutes_pdf,
        name="session-minutes-pdf",
    ),
    path("volontaire/<str:token>/", views.volunteer_signup, name="volunteer"),
    path("greffe/<id:pk>/", clerk_views.clerk_mandate, name="clerk-mandate"),
    path("greffe/<id:pk>/engagement/", job_views.commitment_job, name="commitment-job"),
    path("greffe/seances/<id:pk>/", clerk_views.clerk_session, name="clerk-session"),
    path("greffe/<id:pk>/invitations.csv", views.invitations_export, name="invitations-csv"),
]
