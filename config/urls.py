from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from civic import desk_views, job_views, staff_views, views, views_follow
from civic.legal import views as legal_views
from dashboards import feeds

# Outside the language prefix: the API, the health check, the city's colours, the language switch's
# view, the admin and the OpenID Connect sign-in
# (their language still follows Accept-Language or the language cookie, civic.middleware.
# LocaleMiddleware). civic.languages.UNPREFIXED lists the same prefixes; a test holds them equal.
urlpatterns = [
    # The API first: its hottest paths (signing, voting, counts) are resolved with the fewest tries.
    path("api/v1/", include("civic.api.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("theme.css", views.theme_stylesheet, name="theme-css"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # The provider knows one callback address: sign-in with OpenID Connect has no language prefix.
    path("oidc/", include("civic.oidc.urls")),
]

# The pages: French, the default, at the plain addresses (/initiatives/...), English under /en/.
# The language is in the address, so a page's bytes depend on its URL alone and a shared cache can
# hold it without varying on Accept-Language or a cookie (civic/http_cache.py).
urlpatterns += i18n_patterns(
    path("", views.home, name="home"),
    path("accounts/", include("allauth.urls")),
    path("me/verify/", views.verify, name="verify"),
    path("me/inbox/", views.inbox, name="inbox"),
    path("me/data/", views.my_data, name="my-data"),
    path("me/follows/", views_follow.follows, name="follows"),
    path("me/follows/set/", views_follow.follow, name="follows-set"),
    path("desabonnement/<str:token>/", views_follow.unsubscribe, name="unsubscribe"),
    path("me/delete/", legal_views.account_delete, name="account-delete"),
    path("mentions-legales/", legal_views.legal_notice, name="legal-notice"),
    path("donnees-personnelles/", legal_views.privacy, name="privacy"),
    path("accessibilite/", legal_views.accessibility, name="accessibility"),
    path("conditions-utilisation/", legal_views.terms, name="terms"),
    path("cookies/", legal_views.cookies, name="cookies"),
    path("design/", views.design, name="design"),
    path("staff/", staff_views.staff_home, name="staff-home"),
    path("staff/registre/", staff_views.staff_register_counts, name="staff-register-counts"),
    path("staff/register/import/", views.register_import_view, name="staff-register-import"),
    path("staff/jobs/<id:pk>/", job_views.staff_job, name="staff-job"),
    path("staff/jobs/<id:pk>/status.json", job_views.staff_job_status, name="staff-job-status"),
    path("staff/jobs/<id:pk>/file/", job_views.staff_job_file, name="staff-job-file"),
    path("staff/verify/", views.desk_verify, name="staff-desk-verify"),
    path(
        "staff/verify/<id:pk>/close/",
        desk_views.desk_request_close_view,
        name="staff-desk-close",
    ),
    path("initiatives/", include("petitions.urls")),
    path("referendums/", include("referendums.urls")),
    path("assembly/", include("assembly.urls")),
    path("tableau-de-bord/", include("dashboards.urls")),
    path("agenda.ics", feeds.calendar, name="feed-calendar"),
    path("actualites.xml", feeds.news, name="feed-news"),
    prefix_default_language=False,
)

admin.site.site_header = settings.CITY_NAME
admin.site.site_title = settings.CITY_NAME

handler400 = "civic.views.bad_request"
handler403 = "civic.views.permission_denied"
handler404 = "civic.views.page_not_found"
handler500 = "civic.views.server_error"
