from django.urls import path

from redline.core import views, views_jobs, views_notifications

urlpatterns = [
    path("", views.home, name="home"),
    path("audit/", views.audit_log, name="audit-log"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("notifications/", views_notifications.notifications, name="notifications"),
    path("jobs/<uuid:run_id>/", views_jobs.job_run, name="job-run"),
    path("jobs/<uuid:run_id>/result", views_jobs.job_result, name="job-result"),
    path(
        "notifications/<int:notification_id>/",
        views_notifications.notification_open,
        name="notification-open",
    ),
    path(
        "notifications/read/",
        views_notifications.notifications_read_all,
        name="notifications-read-all",
    ),
]
