from django.urls import path

from redline.organisations import views

urlpatterns = [
    path("regions/", views.regions, name="regions"),
    path("enterprises/", views.enterprise_list, name="enterprise-list"),
    path(
        "enterprises/export.csv",
        views.enterprise_export,
        {"fmt": "csv"},
        name="enterprise-export-csv",
    ),
    path(
        "enterprises/export.xlsx",
        views.enterprise_export,
        {"fmt": "xlsx"},
        name="enterprise-export-xlsx",
    ),
    path("enterprises/new/", views.enterprise_create, name="enterprise-create"),
    path("enterprises/<int:enterprise_id>/", views.enterprise_detail, name="enterprise-detail"),
    path("enterprises/<int:enterprise_id>/edit/", views.enterprise_edit, name="enterprise-edit"),
    path(
        "enterprises/<int:enterprise_id>/archive/",
        views.enterprise_archive,
        {"archived": True},
        name="enterprise-archive",
    ),
    path(
        "enterprises/<int:enterprise_id>/restore/",
        views.enterprise_archive,
        {"archived": False},
        name="enterprise-restore",
    ),
    path("enterprises/<int:enterprise_id>/people/new/", views.person_edit, name="person-create"),
    path(
        "enterprises/<int:enterprise_id>/people/<int:person_id>/edit/",
        views.person_edit,
        name="person-edit",
    ),
    path(
        "enterprises/<int:enterprise_id>/people/<int:person_id>/archive/",
        views.person_archive,
        name="person-archive",
    ),
]
