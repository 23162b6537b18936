from django.urls import URLPattern, URLResolver, path

from referendums import views

app_name = "referendums"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.campaign_list, name="list"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/vote/", views.vote, name="vote"),
    path("<int:pk>/receipt/", views.receipt_check, name="receipt"),
    path("<int:pk>/results/", views.results, name="results"),
    path("<int:pk>/sheets/", views.staff_sheets, name="staff-sheets"),
]
