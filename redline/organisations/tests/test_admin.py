"""Changes made in Django's admin are audited like any other, and nothing is deleted there."""

from __future__ import annotations

import pytest

from redline.accounts.models import User
from redline.core.models import ChangeLog
from redline.organisations.models import Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, world):
    client.force_login(User.objects.create_superuser("root", password="x"))
    return client


def test_region_change_in_admin_is_recorded(admin_client):
    region = Region.objects.get(code="100100")
    data = {
        "code": region.code,
        "name": region.name,
        "name_en": "District One",
        "level": region.level,
        "parent": region.parent_id,
        "population": 123456,
        "boundary": "null",
    }
    response = admin_client.post(f"/admin/organisations/region/{region.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = ChangeLog.objects.filter(model="organisations.Region", object_id=str(region.pk)).latest(
        "id"
    )
    assert entry.actor.username == "root" and entry.action == "update"
    assert entry.before["population"] is None and entry.after["population"] == 123456
    assert entry.after["name_en"] == "District One"


def test_user_roles_change_is_recorded_without_the_password(admin_client):
    user = User.objects.get(username="d1-viewer")
    page = admin_client.get(f"/admin/accounts/user/{user.pk}/change/")
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        username=user.username,
        roles='["viewer", "operator"]',
        organisation=user.organisation_id,
        date_joined_0="2026-01-01",
        date_joined_1="00:00:00",
    )
    data.pop("password", None)
    data.pop("groups", None)
    data.pop("user_permissions", None)
    data.pop("last_login", None)
    response = admin_client.post(f"/admin/accounts/user/{user.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    entry = ChangeLog.objects.filter(model="accounts.User", object_id=str(user.pk)).latest("id")
    assert entry.before["roles"] == ["viewer"] and entry.after["roles"] == ["viewer", "operator"]
    assert "password" not in entry.after


def test_admin_cannot_delete_business_records(admin_client):
    region = Region.objects.get(code="100100")
    response = admin_client.post(
        f"/admin/organisations/region/{region.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 403
    assert Region.objects.filter(pk=region.pk).exists()
