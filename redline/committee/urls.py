from django.urls import path

from redline.committee import views

urlpatterns = [
    path("committee/", views.dashboard, name="committee-dashboard"),
    path("committee/tasks/", views.task_list, name="committee-tasks"),
    path("committee/tasks/export.xlsx", views.task_export, name="committee-tasks-export"),
    path("committee/tasks/new/", views.task_new, name="committee-task-new"),
    path("committee/tasks/<int:task_id>/", views.task_detail, name="committee-task"),
    path(
        "committee/tasks/<int:task_id>/steps/<str:action>/",
        views.task_step,
        name="committee-task-step",
    ),
    path("committee/meetings/", views.meeting_list, name="committee-meetings"),
    path("committee/meetings/new/", views.meeting_new, name="committee-meeting-new"),
    path("committee/meetings/<int:meeting_id>/", views.meeting_detail, name="committee-meeting"),
    path(
        "committee/meetings/<int:meeting_id>/edit/",
        views.meeting_edit,
        name="committee-meeting-edit",
    ),
    path("committee/owed/", views.owed, name="committee-owed"),
    path("committee/owed/<int:body_id>/", views.owed_by, name="committee-owed-by"),
]
