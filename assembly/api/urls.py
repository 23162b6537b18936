from django.urls import URLPattern, URLResolver, path

from assembly.api import clerk, views

urlpatterns: list[URLPattern | URLResolver] = [
    path("assemblies/", views.AssemblyListApi.as_view(), name="api-assemblies"),
    path("assemblies/<int:pk>/", views.AssemblyDetailApi.as_view(), name="api-assembly"),
    path(
        "assemblies/<int:pk>/members/", views.MemberListApi.as_view(), name="api-assembly-members"
    ),
    path("assemblies/<int:pk>/draw/", views.DrawBundleApi.as_view(), name="api-assembly-draw"),
    path(
        "assemblies/<int:pk>/commitment/",
        clerk.CommitmentPublishApi.as_view(),
        name="api-assembly-commitment",
    ),
    path("assemblies/<int:pk>/draw/run/", clerk.DrawRunApi.as_view(), name="api-assembly-draw-run"),
    path(
        "assembly-members/<int:pk>/leave/", clerk.MemberLeaveApi.as_view(), name="api-member-leave"
    ),
    path("sessions/", views.SessionListApi.as_view(), name="api-sessions"),
    path("sessions/<int:pk>/", views.SessionDetailApi.as_view(), name="api-session"),
    path(
        "sessions/<int:pk>/open/",
        clerk.SessionTransitionApi.as_view(action="open"),
        name="api-session-open",
    ),
    path(
        "sessions/<int:pk>/close/",
        clerk.SessionTransitionApi.as_view(action="close"),
        name="api-session-close",
    ),
    path(
        "sessions/<int:pk>/attendance/",
        clerk.AttendanceRecordApi.as_view(),
        name="api-session-attendance",
    ),
    path("sessions/<int:pk>/motions/", clerk.MotionCreateApi.as_view(), name="api-session-motions"),
    path(
        "motions/<int:pk>/open/",
        clerk.MotionTransitionApi.as_view(action="open"),
        name="api-motion-open",
    ),
    path(
        "motions/<int:pk>/close/",
        clerk.MotionTransitionApi.as_view(action="close"),
        name="api-motion-close",
    ),
    path("motions/<int:pk>/votes/", clerk.VoteRecordApi.as_view(), name="api-motion-votes"),
]
