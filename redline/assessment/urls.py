from django.urls import path

from redline.assessment import views

urlpatterns = [
    path("assessment/", views.assessment_list, name="assessment-list"),
    path("assessment/<int:pk>/", views.assessment_detail, name="assessment-detail"),
    path(
        "assessment/<int:pk>/steps/<str:action>/",
        views.assessment_step,
        name="assessment-step",
    ),
    path(
        "assessment/<int:pk>/districts/<int:subject_id>/",
        views.assessment_subject,
        {"kind": "district"},
        name="assessment-subject",
    ),
    path(
        "assessment/<int:pk>/departments/<int:subject_id>/",
        views.assessment_subject,
        {"kind": "department"},
        name="assessment-department",
    ),
    path("assessment/<int:pk>/measure/", views.assessment_measure, name="assessment-measure"),
    path("assessment/<int:pk>/entries/", views.entry_new, name="assessment-entry"),
    path(
        "assessment/entries/<int:entry_id>/evidence/",
        views.entry_evidence,
        name="assessment-evidence",
    ),
]
