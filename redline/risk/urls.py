from django.urls import path

from redline.risk import views

urlpatterns = [
    path("enterprises/<int:enterprise_id>/risks/", views.inventory, name="risk-inventory"),
    path("risks/events/<int:event_id>/assess/", views.event_assess, name="risk-event-assess"),
    path(
        "enterprises/<int:enterprise_id>/risks/objects/new/",
        views.object_add,
        name="risk-object-add",
    ),
    path("risks/objects/<int:object_id>/units/new/", views.unit_add, name="risk-unit-add"),
    path("risks/units/<int:unit_id>/events/new/", views.event_add, name="risk-event-add"),
    path("risk-map/", views.risk_map, name="risk-map"),
    path("parks/", views.park_list, name="park-list"),
    path("parks/<int:park_id>/", views.park_detail, name="park-detail"),
    path("risk-map/regions/<int:region_id>/", views.risk_map_region, name="risk-map-region"),
    path(
        "enterprises/<int:enterprise_id>/installations/new/",
        views.installation_edit,
        name="installation-create",
    ),
    path(
        "enterprises/<int:enterprise_id>/installations/<int:installation_id>/",
        views.installation_detail,
        name="installation-detail",
    ),
    path(
        "enterprises/<int:enterprise_id>/installations/<int:installation_id>/edit/",
        views.installation_edit,
        name="installation-edit",
    ),
    path(
        "enterprises/<int:enterprise_id>/installations/<int:installation_id>/regrade/",
        views.installation_regrade,
        name="installation-regrade",
    ),
]
