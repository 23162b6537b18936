from django.urls import URLPattern, URLResolver, path

from petitions import views

app_name = "petitions"
urlpatterns: list[URLPattern | URLResolver] = [
    path("<int:pk>/", views.initiative_detail, name="detail"),
]
