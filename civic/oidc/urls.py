from django.urls import path

from civic.oidc import staff, views

urlpatterns = [
    path("authenticate/", views.start, name="oidc-start"),
    path("callback/", views.callback, name="oidc-callback"),
    path("logout/", views.logout, name="oidc-logout"),
    # The staff single sign-on (ProConnect), through the same code.
    path("staff/authenticate/", staff.start, name="oidc-staff-start"),
    path("staff/callback/", staff.callback, name="oidc-staff-callback"),
]
