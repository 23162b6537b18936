from django.urls import URLPattern, URLResolver, path

from referendums import share, staff_views, views

app_name = "referendums"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.campaign_list, name="list"),
    path("agents/calendrier/", staff_views.staff_calendars, name="staff-calendars"),
    path("agents/bureaux/", staff_views.staff_stations, name="staff-stations"),
    path("agents/bureaux/nouveau/", staff_views.staff_station_edit, name="staff-station-add"),
    path("agents/bureaux/<id:pk>/", staff_views.staff_station_edit, name="staff-station-edit"),
    path("<id:pk>/calendrier/", staff_views.staff_calendar_edit, name="staff-calendar-edit"),
    path("polling-stations/", views.polling_stations, name="polling-stations"),
    path("<id:pk>/", views.campaign_detail, name="detail"),
    path("<id:pk>/vote/", views.vote, name="vote"),
    path("<id:pk>/vote/receipt/", views.vote_receipt, name="vote-receipt"),
    path("<id:pk>/vote/receipt/email/", views.vote_receipt_email, name="vote-receipt-email"),
    path("<id:pk>/receipt/", views.receipt_check, name="receipt"),
    path("<id:pk>/results/", views.results, name="results"),
    path("<id:pk>/results.pdf", views.results_pdf, name="results-pdf"),
    path("<id:pk>/sheets/", views.staff_sheets, name="staff-sheets"),
    path("<id:pk>/partage.png", share.campaign_share_image, name="share-image"),
    path("<id:pk>/results/partage.png", share.results_share_image, name="results-share-image"),
]
