"""Registering and editing units: validation, the audit trail, conflicts, the chain."""

from __future__ import annotations

import json

import pytest
from django.db import IntegrityError, connection, transaction

from redline.core.models import ChangeLog
from redline.engines.credit_code import compose
from redline.organisations.models import Enterprise, Person

pytestmark = pytest.mark.django_db

BAD_CHECK = "91350100M000100Y44"  # the standard's example with a wrong check character


def login(client, username):
    from redline.accounts.models import User

    user = User.objects.get(username=username)
    client.force_login(user)
    return user


def api(client, method, url, body=None):
    return getattr(client, method)(
        url,
        data=json.dumps(body) if body is not None else None,
        content_type="application/json",
        headers={"accept-language": "en"},
    )


def new_payload(world, **overrides):
    payload = {
        "name": "临江新材料有限公司",
        "credit_code": compose("9", "1", "100100", "AB123456"),
        "sectors": ["hazchem", "fire"],
        "region_id": world.regions["S11"],
        "headcount": 40,
    }
    payload.update(overrides)
    return payload


class TestCreditCode:
    def test_api_refuses_a_wrong_check_character_naming_the_field(self, client, world):
        login(client, "cityhall-operator")
        count = Enterprise.objects.count()
        response = api(
            client, "post", "/api/v1/enterprises", new_payload(world, credit_code=BAD_CHECK)
        )
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert set(error["fields"]) == {"credit_code"}
        assert "GB 32100" in error["fields"]["credit_code"]
        assert Enterprise.objects.count() == count

    def test_form_refuses_a_wrong_check_character_next_to_the_field(self, client, world):
        login(client, "cityhall-operator")
        count = Enterprise.objects.count()
        form = {
            "name": "临江新材料有限公司",
            "credit_code": BAD_CHECK,
            "kind": "enterprise",
            "sector_list": ["hazchem"],
            "region": world.regions["S11"],
            "headcount": 3,
            "status": "operating",
        }
        response = client.post("/enterprises/new/", form)
        assert response.status_code == 422
        assert "credit_code" in response.context["form"].errors
        assert list(response.context["form"].errors) == ["credit_code"]
        assert Enterprise.objects.count() == count
        form["credit_code"] = compose("9", "1", "100100", "AB123457")
        response = client.post("/enterprises/new/", form)
        assert response.status_code == 302
        assert Enterprise.objects.count() == count + 1

    def test_lowercase_and_spaces_are_normalised(self, client, world):
        login(client, "cityhall-operator")
        code = compose("9", "1", "100100", "AB123458")
        spaced = " ".join([code[:6].lower(), code[6:12], code[12:].lower()])
        response = api(
            client, "post", "/api/v1/enterprises", new_payload(world, credit_code=spaced)
        )
        assert response.status_code == 201, response.content
        assert response.json()["credit_code"] == code

    def test_duplicate_code_is_refused(self, client, world):
        login(client, "cityhall-operator")
        existing = Enterprise.objects.first().credit_code
        response = api(
            client, "post", "/api/v1/enterprises", new_payload(world, credit_code=existing)
        )
        assert response.status_code == 422
        assert "credit_code" in response.json()["error"]["fields"]


class TestApiErrors:
    def test_malformed_body_is_400_with_fields(self, client, world):
        login(client, "cityhall-operator")
        response = api(client, "post", "/api/v1/enterprises", {"name": "x"})
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "bad_request"
        assert "credit_code" in error["fields"] and "region_id" in error["fields"]

    def test_unknown_sector_is_refused(self, client, world):
        login(client, "cityhall-operator")
        response = api(
            client, "post", "/api/v1/enterprises", new_payload(world, sectors=["mining"])
        )
        assert response.status_code == 400
        assert any(k.startswith("sectors") for k in response.json()["error"]["fields"])

    def test_no_sector_is_refused(self, client, world):
        login(client, "cityhall-operator")
        response = api(client, "post", "/api/v1/enterprises", new_payload(world, sectors=[]))
        assert response.status_code == 422
        assert "sectors" in response.json()["error"]["fields"]

    def test_region_outside_jurisdiction_is_a_field_error_not_a_leak(self, client, world):
        login(client, "d1-operator")
        response = api(
            client,
            "post",
            "/api/v1/enterprises",
            new_payload(world, region_id=world.regions["S21"]),
        )
        assert response.status_code == 422
        assert response.json()["error"]["fields"] == {
            "region": "No such record in your jurisdiction."
        }

    def test_missing_record_is_404_in_the_error_shape(self, client, world):
        login(client, "cityhall-viewer")
        response = client.get("/api/v1/enterprises/999999", headers={"accept-language": "en"})
        assert response.status_code == 404
        assert response.json() == {
            "error": {"code": "not_found", "message": "Not found.", "fields": {}}
        }

    def test_session_writes_need_csrf(self, world):
        from django.test import Client

        client = Client(enforce_csrf_checks=True)
        login(client, "cityhall-operator")
        response = api(client, "post", "/api/v1/enterprises", new_payload(world))
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"


class TestHistoryAndConflicts:
    def test_every_change_shows_in_the_history_with_who_and_before_after(self, client, world):
        user = login(client, "d1-operator")
        unit = Enterprise.objects.get(name="U-S11-build")
        response = api(
            client,
            "patch",
            f"/api/v1/enterprises/{unit.pk}",
            {"version": unit.version, "headcount": 77, "status": "suspended"},
        )
        assert response.status_code == 200
        assert response.json()["version"] == unit.version + 1
        entry = ChangeLog.objects.filter(object_id=str(unit.pk), action="update").latest("id")
        assert entry.actor == user and entry.client == "api"
        assert entry.ip == "127.0.0.1"
        assert (entry.before["headcount"], entry.after["headcount"]) == (unit.headcount, 77)
        assert (entry.before["status"], entry.after["status"]) == ("operating", "suspended")
        shown = {label: (b, a) for label, b, a in entry.changes}
        assert shown["headcount"] == (unit.headcount, 77)  # labels and choice names for people
        assert shown["status"] == ("Operating", "Suspended")
        history = client.get(f"/api/v1/enterprises/{unit.pk}/history").json()
        assert history["items"][0]["after"]["headcount"] == 77
        page = client.get(f"/enterprises/{unit.pk}/")
        html = page.content.decode()
        assert "77" in html and user.username in html

    def test_archive_and_restore_are_recorded_and_nothing_is_deleted(self, client, world):
        login(client, "cityhall-manager")
        unit = Enterprise.objects.get(name="U-S12-fire")
        assert (
            api(
                client, "post", f"/api/v1/enterprises/{unit.pk}/archive", {"comment": "停业"}
            ).status_code
            == 200
        )
        assert Enterprise.objects.filter(pk=unit.pk, is_archived=True).exists()
        assert client.get("/api/v1/enterprises", {"q": unit.name}).json()["count"] == 0
        assert (
            client.get("/api/v1/enterprises", {"q": unit.name, "archived": "only"}).json()["count"]
            == 1
        )
        assert api(client, "post", f"/api/v1/enterprises/{unit.pk}/restore", {}).status_code == 200
        actions = list(
            ChangeLog.objects.filter(object_id=str(unit.pk))
            .order_by("id")
            .values_list("action", "comment")
        )
        assert actions[-2:] == [("archive", "停业"), ("restore", "")]

    def test_a_stale_version_is_409_and_changes_nothing(self, client, world):
        login(client, "cityhall-operator")
        unit = Enterprise.objects.get(name="U-S22-mixed")
        first = api(
            client,
            "patch",
            f"/api/v1/enterprises/{unit.pk}",
            {"version": unit.version, "headcount": 5},
        )
        assert first.status_code == 200
        second = api(
            client,
            "patch",
            f"/api/v1/enterprises/{unit.pk}",
            {"version": unit.version, "headcount": 9},
        )
        assert second.status_code == 409
        assert second.json()["error"]["code"] == "conflict"
        assert Enterprise.objects.get(pk=unit.pk).headcount == 5

    def test_the_edit_form_reports_a_conflict(self, client, world):
        login(client, "cityhall-operator")
        unit = Enterprise.objects.get(name="U-S21-build")
        form = client.get(f"/enterprises/{unit.pk}/edit/").context["form"]
        data = {k: v for k, v in form.initial.items() if v is not None}
        data.update(
            sector_list=unit.sector_list, region=unit.region_id, version=unit.version, headcount=11
        )
        data.pop("id", None)
        data.pop("chemical_park", None)
        Enterprise.objects.filter(pk=unit.pk).update(version=unit.version + 1)  # someone else saved
        response = client.post(f"/enterprises/{unit.pk}/edit/", data)
        assert response.status_code == 409
        assert response.context["form"].non_field_errors()
        assert Enterprise.objects.get(pk=unit.pk).headcount == unit.headcount

    def test_change_log_is_append_only(self, world):
        from redline.core import audit

        unit = Enterprise.objects.first()
        entry = audit.record(actor=None, action="update", instance=unit, before={}, after={})
        with pytest.raises(TypeError):
            entry.save()
        with pytest.raises(TypeError):
            entry.delete()
        with pytest.raises(TypeError):
            ChangeLog.objects.all().update(comment="x")
        with pytest.raises(TypeError):
            ChangeLog.objects.all().delete()
        # ... and in the database itself
        with pytest.raises(IntegrityError if connection.vendor == "sqlite" else Exception):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("UPDATE core_changelog SET comment = 'x'")


class TestPeopleAndChain:
    def test_chain_runs_from_posts_up_to_the_city(self, client, world):
        login(client, "cityhall-viewer")
        unit = Enterprise.objects.get(name="U-S11-hazchem")
        Person.objects.create(
            name="李操作", role="post_holder", post="储罐区操作工", enterprise=unit
        )
        Person.objects.create(name="赵安全", role="safety_manager", enterprise=unit)
        chain = client.get(f"/api/v1/enterprises/{unit.pk}/chain").json()
        levels = [link["level"] for link in chain]
        assert levels[:3] == ["post", "safety_manager", "main_responsible"]
        assert levels[3] == "department"
        assert (
            levels[-3:] == ["subdistrict", "district", "city"][-len(levels[-3:]) :]
            or "city" in levels
        )
        assert [p["name"] for p in chain[0]["people"]] == ["李操作"]
        departments = [link for link in chain if link["level"] == "department"]
        assert [d["body"] for d in departments] == ["应急管理局"]
        assert departments[0]["people"][0]["name"] == "应急联系人"
        governments = [
            link["body"] for link in chain if link["level"] in ("subdistrict", "district", "city")
        ]
        assert governments == ["S11办事处", "D1政府", "测试市人民政府", "安委办"]

    def test_fire_unit_in_d1_is_supervised_by_the_d1_fire_department(self, client, world):
        login(client, "cityhall-viewer")
        unit = Enterprise.objects.get(name="U-S12-mixed")  # industry + fire, in D1
        chain = client.get(f"/api/v1/enterprises/{unit.pk}/chain").json()
        bodies = [link["body"] for link in chain if link["level"] == "department"]
        assert bodies == ["D1消防", "应急管理局"]  # the most local first

    def test_people_are_added_and_edited_with_versions(self, client, world):
        login(client, "ent-operator")
        unit = Enterprise.objects.get(name="U-S11-hazchem")
        response = api(
            client,
            "post",
            f"/api/v1/enterprises/{unit.pk}/people",
            {"name": "钱班长", "role": "post_holder", "post": "班组长", "phone": "13900000000"},
        )
        assert response.status_code == 201
        person = response.json()
        bad = api(
            client,
            "post",
            f"/api/v1/enterprises/{unit.pk}/people",
            {"name": "x", "role": "post_holder"},
        )
        assert bad.status_code == 422 and "post" in bad.json()["error"]["fields"]
        edited = api(
            client, "patch", f"/api/v1/people/{person['id']}", {"version": 1, "post": "值班长"}
        )
        assert edited.status_code == 200 and edited.json()["post"] == "值班长"
        stale = api(client, "patch", f"/api/v1/people/{person['id']}", {"version": 1, "post": "x"})
        assert stale.status_code == 409
        other = Enterprise.objects.get(name="U-S21-fire")
        foreign = api(
            client,
            "post",
            f"/api/v1/enterprises/{other.pk}/people",
            {"name": "x", "role": "safety_manager"},
        )
        assert foreign.status_code == 404
