from django.urls import path

from civic.oidc import views

urlpatterns = [
    path("authenticate/", views.start, name="oidc-start"),
    path("callback/", views.callback, name="oidc-callback"),
    path("logout/", views.logout, name="oidc-logout"),
]
