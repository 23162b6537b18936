from django.urls import URLPattern, URLResolver, path

from assembly.api import clerk, followup, views

urlpatterns: list[URLPattern | URLResolver] = [
    path("assemblies/", views.AssemblyListApi.as_view(), name="api-assemblies"),
    path("assemblies/<id:pk>/", views.AssemblyDetailApi.as_view(), name="api-assembly"),
    path("assemblies/<id:pk>/members/", views.MemberListApi.as_view(), name="api-assembly-members"),
    path("assemblies/<id:pk>/draw/", views.DrawBundleApi.as_view(), name="api-assembly-draw"),
    path(
        "assemblies/<id:pk>/commitment/",
        clerk.CommitmentRequestApi.as_view(),
        name="api-assembly-commitment",
    ),
    path(
        "assemblies/<id:pk>/commitment/job/",
        clerk.CommitmentJobApi.as_view(),
        name="api-assembly-commitment-job",
    ),
    path("assemblies/<id:pk>/draw/run/", clerk.DrawRunApi.as_view(), name="api-assembly-draw-run"),
    path(
        "assembly-members/<id:pk>/leave/", clerk.MemberLeaveApi.as_view(), name="api-member-leave"
    ),
    path("sessions/", views.SessionListApi.as_view(), name="api-sessions"),
    path("sessions/<id:pk>/", views.SessionDetailApi.as_view(), name="api-session"),
    path(
        "sessions/<id:pk>/open/",
        clerk.SessionTransitionApi.as_view(action="open"),
        name="api-session-open",
    ),
    path(
        "sessions/<id:pk>/close/",
        clerk.SessionTransitionApi.as_view(action="close"),
        name="api-session-close",
    ),
    path(
        "sessions/<id:pk>/attendance/",
        followup.AttendanceApi.as_view(),
        name="api-session-attendance",
    ),
    path("sessions/<id:pk>/motions/", clerk.MotionCreateApi.as_view(), name="api-session-motions"),
    path(
        "motions/<id:pk>/open/",
        clerk.MotionTransitionApi.as_view(action="open"),
        name="api-motion-open",
    ),
    path(
        "motions/<id:pk>/close/",
        clerk.MotionTransitionApi.as_view(action="close"),
        name="api-motion-close",
    ),
    path("motions/<id:pk>/votes/", clerk.VoteRecordApi.as_view(), name="api-motion-votes"),
    path(
        "assemblies/<id:pk>/sessions/",
        followup.SessionCreateApi.as_view(),
        name="api-assembly-sessions",
    ),
    path(
        "assemblies/<id:pk>/recommendations/",
        followup.RecommendationListApi.as_view(),
        name="api-assembly-recommendations",
    ),
    path(
        "sessions/<id:pk>/agenda-items/",
        followup.AgendaItemListApi.as_view(),
        name="api-session-agenda-items",
    ),
    path(
        "sessions/<id:pk>/agenda/publish/",
        followup.AgendaPublishApi.as_view(),
        name="api-session-agenda-publish",
    ),
    path("sessions/<id:pk>/minutes/", followup.MinutesApi.as_view(), name="api-session-minutes"),
    path(
        "sessions/<id:pk>/minutes/approve/",
        followup.MinutesApproveApi.as_view(),
        name="api-session-minutes-approve",
    ),
    path(
        "sessions/<id:pk>/minutes/publish/",
        followup.MinutesPublishApi.as_view(),
        name="api-session-minutes-publish",
    ),
    path(
        "recommendations/<id:pk>/",
        followup.RecommendationDetailApi.as_view(),
        name="api-recommendation",
    ),
    path(
        "recommendations/<id:pk>/refer/",
        followup.RecommendationReferApi.as_view(),
        name="api-recommendation-refer",
    ),
    path(
        "recommendations/<id:pk>/answer/",
        followup.RecommendationAnswerApi.as_view(),
        name="api-recommendation-answer",
    ),
    path(
        "recommendations/<id:pk>/referendum/",
        followup.RecommendationReferendumApi.as_view(),
        name="api-recommendation-referendum",
    ),
]
