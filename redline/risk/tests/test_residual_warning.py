"""A residual risk (with the control measures) that scores or grades higher than the
inherent one is saved, with a warning: next to the residual assessment on the pages, in
the user's language, and in the API's answer."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import translation

from redline.accounts.models import User
from redline.organisations.models import Enterprise
from redline.risk import services
from redline.risk.models import RiskEvent
from redline.risk.services import RiskEventInput, RiskObjectInput, RiskUnitInput

pytestmark = pytest.mark.django_db

LOW = {"L": 1, "E": 2, "C": 7}  # 14: low (blue)
LOW_HIGHER = {"L": 1, "E": 3, "C": 7}  # 21: low too, but a higher score
GENERAL = {"L": 3, "E": 6, "C": 7}  # 126: general (yellow)
CODE = 'data-warning="residual_above_inherent"'
ZH = "高于固有风险"
EN = "is higher than the inherent risk"


@pytest.fixture
def unit(world):
    me = User.objects.get(username="ent-operator")
    enterprise = Enterprise.objects.get(name="U-S11-hazchem")
    obj = services.risk_object_save(
        actor=me, enterprise_id=enterprise.pk, data=RiskObjectInput(name="储罐区", kind="mhi")
    )
    return services.risk_unit_save(actor=me, object_id=obj.pk, data=RiskUnitInput(name="甲醇储罐"))


def save(unit, inherent, residual, name="泄漏火灾"):
    return services.risk_event_save(
        actor=User.objects.get(username="ent-operator"),
        unit_id=unit.pk,
        data=RiskEventInput(name=name, method="LEC", inherent=inherent, residual=residual),
    )


def test_a_residual_risk_above_the_inherent_one_is_saved_with_a_warning(unit):
    assert services.assessment_warnings(save(unit, GENERAL, LOW, "a")) == []
    assert services.assessment_warnings(save(unit, GENERAL, None, "b")) == []
    assert services.assessment_warnings(save(unit, LOW, LOW, "c")) == []
    graded = save(unit, LOW, GENERAL, "d")  # a higher level
    assert (graded.inherent_level, graded.residual_level, graded.level) == (4, 3, 3)
    scored = save(unit, LOW, LOW_HIGHER, "e")  # the same level, a higher score
    assert scored.residual_level == scored.inherent_level == 4
    for event in (graded, scored):
        event = RiskEvent.objects.get(pk=event.pk)  # saved as given
        (warning,) = services.assessment_warnings(event)
        assert (warning.code, warning.field) == ("residual_above_inherent", "residual")
    with translation.override("en"):
        (warning,) = services.assessment_warnings(graded)
        assert warning.message.startswith("The residual risk (score 126) is higher than the")
        assert "inherent risk (score 14)" in warning.message
    with translation.override("zh-hans"):
        (warning,) = services.assessment_warnings(graded)
        assert ZH in warning.message and "126" in warning.message


@pytest.mark.parametrize(("language", "text"), [("zh-hans", ZH), ("en", EN)])
def test_the_assessment_shows_the_warning_next_to_the_residual_risk(client, unit, language, text):
    event = save(unit, GENERAL, LOW)
    client.force_login(User.objects.get(username="ent-operator"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    url = f"/risks/events/{event.pk}/assess/"
    assert CODE not in client.get(url).content.decode()
    answer = client.post(
        url,
        {"version": event.version, **{f"inherent_{k}": v for k, v in LOW.items()}}
        | {f"residual_{k}": v for k, v in GENERAL.items()},
        headers={"HX-Request": "true"},
    )
    assert answer.status_code == 200  # saved: a warning, not a refusal
    assert RiskEvent.objects.get(pk=event.pk).residual_level == 3
    html = answer.content.decode()
    row = html[: html.index("</tr>")]
    cells = row.split("<td")[1:]  # name, method, inherent, residual, measures, action
    assert CODE in cells[3] and text in cells[3]
    assert CODE not in cells[2]
    # Opened again, the form shows it in the residual fieldset.
    form = client.get(url).content.decode()
    fieldset = form[form.rindex("<fieldset") : form.rindex("</fieldset>")]
    assert CODE in fieldset and text in fieldset
    # The inventory's row too.
    inventory = client.get(f"/enterprises/{event.enterprise_id}/risks/").content.decode()
    assert CODE in inventory and text in inventory


def test_saving_without_htmx_and_adding_an_event_warn_on_the_next_page(client, unit):
    client.force_login(User.objects.get(username="ent-operator"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    answer = client.post(
        f"/risks/units/{unit.pk}/events/new/",
        {"method": "LEC", "name": "静电引燃"}
        | {f"inherent_{k}": v for k, v in LOW.items()}
        | {f"residual_{k}": v for k, v in GENERAL.items()},
        follow=True,
    )
    assert answer.redirect_chain and answer.status_code == 200
    event = RiskEvent.objects.get(unit=unit, name="静电引燃")
    warnings = [m for m in answer.context["messages"] if m.level_tag == "warning"]
    assert len(warnings) == 1 and EN in warnings[0].message
    assert 'class="msg-warning"' in answer.content.decode()
    answer = client.post(
        f"/risks/events/{event.pk}/assess/",
        {"version": event.version}
        | {f"inherent_{k}": v for k, v in GENERAL.items()}
        | {f"residual_{k}": v for k, v in LOW.items()},
        follow=True,
    )
    assert answer.redirect_chain and answer.status_code == 200
    html = answer.content.decode()
    assert 'class="msg-warning"' not in html and CODE not in html


def test_the_api_returns_the_warning_with_the_saved_assessment(client, unit):
    event = save(unit, GENERAL, LOW)
    client.force_login(User.objects.get(username="ent-operator"))
    url = f"/api/v1/risk-events/{event.pk}/assess"
    answer = client.post(
        url,
        {"version": event.version, "inherent": LOW, "residual": GENERAL},
        content_type="application/json",
        headers={"Accept-Language": "en"},
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["residual_level"] == 3 and body["level"] == 3  # saved
    (warning,) = body["warnings"]
    assert warning["code"] == "residual_above_inherent" and warning["field"] == "residual"
    assert EN in warning["message"]
    inventory = client.get(f"/api/v1/enterprises/{event.enterprise_id}/risks").json()
    (listed,) = inventory["objects"][0]["units"][0]["events"]
    assert listed["warnings"][0]["code"] == "residual_above_inherent"
    assert ZH in listed["warnings"][0]["message"]  # no Accept-Language: zh-Hans
    fine = client.post(
        url,
        {"version": body["version"], "inherent": GENERAL, "residual": LOW},
        content_type="application/json",
    )
    assert fine.status_code == 200 and fine.json()["warnings"] == []
    created = client.post(
        f"/api/v1/risk-units/{unit.pk}/events",
        {"name": "静电引燃", "method": "LEC", "inherent": LOW, "residual": LOW_HIGHER},
        content_type="application/json",
    )
    assert created.status_code == 201
    assert [w["code"] for w in created.json()["warnings"]] == ["residual_above_inherent"]
