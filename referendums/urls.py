from django.urls import URLPattern, URLResolver

app_name = "referendums"
urlpatterns: list[URLPattern | URLResolver] = []
