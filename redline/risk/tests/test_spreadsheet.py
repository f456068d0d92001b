"""The risk inventory as an Excel ledger: export and re-import change nothing, a file with
any bad row saves nothing and names each row and column, a new ledger builds the
inventory with the levels of its rule sets, and the pages follow the jurisdiction."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from openpyxl import Workbook, load_workbook

from redline.core.errors import ValidationFailed
from redline.core.models import ChangeLog
from redline.organisations.access import ROLES
from redline.organisations.models import Person
from redline.risk import selectors, services, spreadsheet
from redline.risk.models import ControlMeasure, InspectionCycle, RiskEvent, RiskObject, RiskUnit
from redline.risk.services import (
    CycleInput,
    MeasureInput,
    RiskEventInput,
    RiskObjectInput,
    RiskUnitInput,
)
from redline.risk.tests import test_inventory
from redline.risk.tests.test_inventory import GENERAL, actor

pytestmark = pytest.mark.django_db
inventory = test_inventory.inventory  # the fixture: one object, two units, three events

RECORDS = (RiskObject, RiskUnit, RiskEvent, ControlMeasure, InspectionCycle)
KEYS = [column.key for column in spreadsheet.COLUMNS if not column.computed]


def label(key: str) -> str:
    return spreadsheet.COLUMN[key].label


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (*RECORDS, ChangeLog)}


def records() -> dict[str, list[dict]]:
    """Every stored field of the inventory, so a test can tell that nothing changed."""
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in RECORDS}


def workbook(*rows: list) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def ledger(*rows: dict) -> bytes:
    """A ledger with the whole bilingual labels as its header, one dict per row."""
    return workbook([label(k) for k in KEYS], *([row.get(k) for k in KEYS] for row in rows))


def run(inventory, content: bytes, who: str = "ent-operator") -> spreadsheet.ImportResult:
    return spreadsheet.import_inventory(
        actor=actor(who), enterprise_id=inventory["unit"].pk, file=io.BytesIO(content)
    )


def found(result: spreadsheet.ImportResult) -> set[tuple[int | None, str]]:
    return {(error.row, error.column) for error in result.errors}


INSPECTED = {
    "description": "液位高高联锁",
    "measure_class": "1",
    "measure_subclass": "1-4",
    "control_mode": "inspection",
    "management_level": "team",
    "responsible": "王工",
    "inspection_content": "检查联锁投用",
}


@pytest.fixture
def measured(inventory):
    """The inventory with measures (an hourly package-responsibility cycle, a monitored
    measure, a measure of one of two namesakes), an event on a non-default rule set, an
    object without units, a unit without events, and a name a spreadsheet would run."""
    me, unit = inventory["me"], inventory["unit"]
    start = timezone.make_aware(dt.datetime(2026, 12, 1, 8))
    cycle = CycleInput(
        every=2,
        unit="hour",
        starts_at=start,
        work_start=dt.time(8),
        work_end=dt.time(17, 30),
        task_type="principal",
        task_item=3,
    )
    services.measure_save(
        actor=me, event_id=inventory["leak"].pk, data=MeasureInput(**INSPECTED, cycle=cycle)
    )
    services.measure_save(
        actor=me,
        event_id=inventory["leak"].pk,
        data=MeasureInput(
            **INSPECTED
            | {
                "description": "=可燃气体检测报警",
                "measure_subclass": "1-1",
                "control_mode": "monitoring",
                "management_level": "company",
            }
        ),
    )
    twins = [Person.objects.create(name="李四", role="post_holder", enterprise=unit) for _ in "ab"]
    services.measure_save(
        actor=me,
        event_id=inventory["matrix"].pk,
        data=MeasureInput(
            **INSPECTED
            | {
                "description": "限速标志",
                "measure_class": "4",
                "measure_subclass": "4-5",
                "responsible": twins[1].pk,
                "cycle": CycleInput(every=1, unit="month", starts_at=start, day_type="working"),
            }
        ),
    )
    services.risk_event_save(
        actor=me,
        unit_id=inventory["tank"].pk,
        data=RiskEventInput(
            name="高处坠落",
            method="LEC",
            rule_set="lec-lower-inclusive",
            inherent={"L": 1, "E": 0.5, "C": 40},
        ),
    )
    hot = services.risk_object_save(
        actor=me, enterprise_id=unit.pk, data=RiskObjectInput(name="@危险作业", kind="activity")
    )
    services.risk_unit_save(actor=me, object_id=hot.pk, data=RiskUnitInput(name="动火作业"))
    services.risk_object_save(
        actor=me, enterprise_id=unit.pk, data=RiskObjectInput(name="空对象", kind="area")
    )
    return {**inventory, "twins": twins}


def test_the_export_is_the_ledger(measured):
    content = spreadsheet.export_inventory(measured["unit"])
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == [column.label for column in spreadsheet.COLUMNS]
    by = [dict(zip((c.key for c in spreadsheet.COLUMNS), row, strict=True)) for row in rows[1:]]
    # 2 measures of the leak, 1 of the matrix, 2 events without measures, 1 unit without
    # events, 1 object without units.
    assert len(by) == 7
    assert {r["object"] for r in by} == {"储罐区", "@危险作业", "空对象"}
    leak = [r for r in by if r["event"] == "泄漏火灾"]
    assert {r["measure"] for r in leak} == {"液位高高联锁", "=可燃气体检测报警"}
    hourly = next(r for r in leak if r["measure"] == "液位高高联锁")
    assert (hourly["inherent_L"], hourly["inherent_E"], hourly["inherent_C"]) == (3, 6, 7)
    assert (hourly["inherent_score"], hourly["residual_score"]) == (126, 14)
    assert (hourly["cycle_every"], hourly["work_start"], hourly["work_end"]) == (
        2,
        "08:00",
        "17:30",
    )
    assert hourly["task_item"] == 3 and hourly["responsible"] == "王工"


def test_export_has_a_fixed_number_of_queries(measured, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        spreadsheet.export_inventory(measured["unit"])


@pytest.mark.parametrize(("written", "read"), [("zh-hans", "en"), ("en", "zh-hans")])
def test_export_then_import_changes_nothing(measured, written, read):
    with translation.override(written):
        content = spreadsheet.export_inventory(measured["unit"])
    before, logged = records(), ChangeLog.objects.count()
    with translation.override(read):
        result = run(measured, content)
    assert result.ok, result.errors
    assert result.rows == 7
    assert not result.created and not result.updated
    assert records() == before
    assert ChangeLog.objects.count() == logged


def test_a_changed_export_updates_with_the_current_versions(measured):
    sheet = load_workbook(io.BytesIO(spreadsheet.export_inventory(measured["unit"]))).active
    header = [cell.value for cell in sheet[1]]
    at = {column.key: header.index(column.label) + 1 for column in spreadsheet.COLUMNS}
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row, at["event"]).value == "泄漏火灾":
            sheet.cell(row, at["inherent_C"]).value = 40  # 3 x 6 x 40 = 720: major
            for key in ("residual_L", "residual_E", "residual_C"):
                sheet.cell(row, at[key]).value = None
        if sheet.cell(row, at["measure"]).value == "液位高高联锁":
            sheet.cell(row, at["cycle_every"]).value = 4
    buffer = io.BytesIO()
    sheet.parent.save(buffer)
    leak = measured["leak"]
    result = run(measured, buffer.getvalue())
    assert result.ok, result.errors
    assert result.updated == {"events": 1, "measures": 1, "cycles": 1}
    assert not result.created
    event = RiskEvent.objects.get(pk=leak.pk)
    assert (event.version, event.level, event.residual_level) == (leak.version + 1, 1, None)
    assert InspectionCycle.objects.get(measure__description="液位高高联锁").every == 4
    assert selectors.enterprise_summary(measured["unit"].pk).level == 1


def test_a_new_ledger_builds_the_inventory_with_its_levels(inventory):
    header = [
        "分析对象",  # the Chinese part,
        "Object kind",  # the English part
        *(label(key) for key in KEYS[2:]),  # or the whole label
    ]
    reactor = {
        "object": "反应釜区",
        "object_kind": "unit",
        "unit": "1#反应釜",
        "event": "超温超压",
        "method": "lec",
        "inherent_L": 6,
        "inherent_E": 6,
        "inherent_C": 15,  # 540: major
        "residual_L": 1,
        "residual_E": 6,
        "residual_C": "15",  # 90: general
    }
    hourly = {
        **reactor,
        "measure": "温度高高联锁",
        "measure_class": "1",
        "measure_subclass": "Process control",
        "control_mode": "inspection",
        "management_level": "Team",
        "responsible": "王工",
        "inspection_content": "检查联锁投用",
        "cycle_every": 8,
        "cycle_unit": "hour",
        "work_start": "08:00",
        "work_end": dt.time(18),
        "day_type": "working",
        "task_type": "principal",
        "task_item": 3,
    }
    monitored = {
        **reactor,
        "measure": "紧急泄放",
        "measure_class": "Emergency",
        "measure_subclass": "4-1",
        "control_mode": "Automated monitoring",
        "management_level": "company",
        "responsible": "王工",
    }
    leak = {"object": "反应釜区", "unit": "2#反应釜", "event": "物料泄漏", "method": "LS"}
    leak |= {"inherent_L": 4, "inherent_S": 4}  # 16: large
    dust = {
        "object": "原料仓库",
        "object_kind": "Workplace / area",
        "unit": "仓库",
        "event": "粉尘爆炸",
        "method": "MES",
        "inherent_M": 3,
        "inherent_E": 6,
        "inherent_S": 10,  # 180: large
        "measure": "每日清扫",
        "measure_class": "3",
        "measure_subclass": "3-2",
        "control_mode": "inspection",
        "management_level": "post",
        "responsible": "王工",
        "inspection_content": "检查积尘",
        "cycle_every": 1,
        "cycle_unit": "day",
    }
    rows = ([r.get(k) for k in KEYS] for r in (hourly, monitored, leak, dust))
    logged = ChangeLog.objects.count()
    result = run(inventory, workbook(header, *rows))
    assert result.ok, result.errors
    assert result.created == {"objects": 2, "units": 3, "events": 3, "measures": 3, "cycles": 2}
    assert ChangeLog.objects.count() == logged + 13
    event = RiskEvent.objects.get(name="超温超压")
    assert (event.rule_set, event.inherent_score, event.inherent_level) == ("lec-common", 540, 1)
    assert (event.residual_score, event.residual_level, event.level) == (90, 3, 3)
    assert event.measures.count() == 2
    matrix = RiskEvent.objects.get(name="物料泄漏")
    assert (matrix.rule_set, matrix.inherent_score, matrix.level) == ("ls-db37", 16, 2)
    mes = RiskEvent.objects.get(name="粉尘爆炸")
    assert (mes.rule_set, mes.inherent_score, mes.level) == ("mes-code-b", 180, 2)
    assert RiskObject.objects.get(name="原料仓库").kind == "area"
    cycle = InspectionCycle.objects.get(measure__description="温度高高联锁")
    assert (cycle.every, cycle.unit, cycle.work_start, cycle.work_end) == (
        8,
        "hour",
        dt.time(8),
        dt.time(18),
    )
    assert (cycle.day_type, cycle.task_type, cycle.task_item) == ("working", "principal", 3)
    assert timezone.localtime(cycle.starts_at).time() == dt.time(8)
    measure = ControlMeasure.objects.get(description="紧急泄放")
    assert (measure.measure_subclass, measure.control_mode) == ("4-1", "monitoring")
    assert measure.responsible == inventory["person"]
    assert not InspectionCycle.objects.filter(measure=measure).exists()


def test_a_title_row_and_merged_cells_are_read_as_people_keep_them(inventory):
    book = Workbook()
    sheet = book.active
    sheet.append(["某公司风险分级管控清单"])
    sheet.append([label(k) for k in KEYS])
    first = {"object": "储罐区", "unit": "甲醇储罐", "event": "冒顶", "method": "LEC"}
    first |= {"inherent_L": 3, "inherent_E": 6, "inherent_C": 7}
    monitored = {**INSPECTED, "control_mode": "monitoring", "measure_subclass": "1-1"}
    monitored = {k: v for k, v in monitored.items() if k != "description"}
    sheet.append([{**first, "measure": "液位计", **monitored}.get(k) for k in KEYS])
    sheet.append(
        [{"measure": "高液位报警", **monitored, "management_level": "X"}.get(k) for k in KEYS]
    )
    for key in ("object", "unit", "event", "method", "inherent_L", "inherent_E", "inherent_C"):
        letter = chr(ord("A") + KEYS.index(key))
        sheet.merge_cells(f"{letter}3:{letter}4")
    buffer = io.BytesIO()
    book.save(buffer)
    result = run(inventory, buffer.getvalue())
    assert found(result) == {(4, label("management_level"))}
    sheet.cell(4, KEYS.index("management_level") + 1).value = "post"
    buffer = io.BytesIO()
    book.save(buffer)
    result = run(inventory, buffer.getvalue())
    assert result.ok, result.errors
    assert RiskEvent.objects.get(name="冒顶").measures.count() == 2


def test_every_problem_is_listed_with_its_row_and_column(inventory):
    event = {"object": "储罐区", "unit": "甲醇储罐", "event": "新事件", "method": "LEC"}
    event |= {"inherent_L": 3, "inherent_E": 6, "inherent_C": 7}
    measure = {
        **event,
        **{("measure" if k == "description" else k): v for k, v in INSPECTED.items()},
    }
    measure |= {"cycle_every": 1, "cycle_unit": "day"}
    before = counts()
    result = run(
        inventory,
        ledger(
            event,  # 2: fine
            {**event, "inherent_L": 6},  # 3: the same event assessed differently
            {**event, "event": "甲", "inherent_L": 4, "inherent_S": 2},  # 4: L=4, no S in LEC
            {**event, "event": "乙", "method": "ABC"},  # 5: unknown method
            {**measure, "responsible": "无此人"},  # 6: nobody of that name
            {**measure, "measure_subclass": "2-1"},  # 7: a sub-class of another class
            {**measure, "cycle_unit": "hour"},  # 8: hourly without its window
            {**measure, "control_mode": "monitoring"},  # 9: monitoring with a cycle
            {**measure, "task_type": "operating", "task_item": 11},  # 10: operating has 10
            {**event, "object": "新对象"},  # 11: a new object needs its kind
            {**event, "event": "丙", "inherent_C": None, "residual_L": 1},  # 12
            {"object": "储罐区", "measure": "孤立措施"},  # 13: a measure needs its event
        ),
    )
    assert found(result) == {
        (3, label("inherent_L")),
        (4, label("inherent_L")),
        (4, label("inherent_S")),
        (5, label("method")),
        (6, label("responsible")),
        (7, label("measure_subclass")),
        (8, label("work_start")),
        (8, label("work_end")),
        (9, label("cycle_every")),
        (9, label("cycle_unit")),
        (10, label("task_item")),
        (11, label("object_kind")),
        (12, label("inherent_C")),
        (12, label("residual_E")),
        (12, label("residual_C")),
        (13, label("event")),
    }
    messages = {(e.row, e.column): e.message for e in result.errors}
    assert "2" in messages[3, label("inherent_L")]  # names the row it disagrees with
    assert "10, 6, 3, 1, 0.5, 0.2, 0.1" in messages[4, label("inherent_L")]
    assert "无此人" in messages[6, label("responsible")]
    assert counts() == before
    assert not result.created and not result.updated


def test_a_bad_row_saves_nothing_and_the_page_lists_it(client, inventory):
    good = {"object": "新对象", "object_kind": "area", "unit": "新单元", "event": "好事件"}
    good |= {"method": "LEC", "inherent_L": 3, "inherent_E": 6, "inherent_C": 7}
    content = ledger(good, {**good, "event": "坏事件", "inherent_L": 4})
    before = counts()
    client.force_login(actor("ent-operator"))
    response = client.post(
        f"/enterprises/{inventory['unit'].pk}/risks/import/",
        {"file": SimpleUploadedFile("ledger.xlsx", content)},
    )
    assert response.status_code == 422
    assert counts() == before
    assert [(e.row, e.column) for e in response.context["errors"]] == [(3, label("inherent_L"))]
    html = response.content.decode()
    assert 'class="error-row">3</td>' in html and label("inherent_L") in html


def test_a_service_refusal_rolls_the_whole_import_back(inventory, monkeypatch):
    def refuse(**kwargs):
        raise ValidationFailed(fields={"cycle.work_end": "refused"})

    monkeypatch.setattr(services, "measure_save", refuse)
    row = {"object": "新对象", "object_kind": "area", "unit": "新单元", "event": "新事件"}
    row |= {"method": "LEC", "inherent_L": 3, "inherent_E": 6, "inherent_C": 7}
    row |= {("measure" if k == "description" else k): v for k, v in INSPECTED.items()}
    row |= {"cycle_every": 1, "cycle_unit": "day"}
    before = counts()
    result = run(inventory, ledger(row))
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (2, label("work_end"), "refused")
    ]
    assert counts() == before
    assert not result.created


def test_names_are_unique_so_the_file_can_tell_records_apart(inventory):
    """Objects, units and events are matched by name, so a second one of the same name is
    refused where it would be created (the database holds the same rule)."""
    with pytest.raises(ValidationFailed) as caught:
        services.risk_object_save(
            actor=inventory["me"],
            enterprise_id=inventory["unit"].pk,
            data=RiskObjectInput(name="储罐区", kind="area"),
        )
    assert caught.value.fields


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"name,kind\nx,y\n", "not an Excel .xlsx"),
        (b"", "empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), ".xls"),
        (b"PK\x03\x04broken", "could not be read"),
        (workbook(["名称", "类型"], ["x", "y"]), "No header row"),
        (workbook([label("object"), label("unit"), label("event"), label("method")]), "no rows"),
    ],
)
def test_a_file_that_is_no_ledger_gets_a_clear_error(inventory, content, message):
    before = counts()
    with translation.override("en"):
        result = run(inventory, content)
    assert [(e.row, e.column) for e in result.errors] == [(None, "")]
    assert message in result.errors[0].message
    assert counts() == before


def test_unknown_and_missing_columns_are_named(inventory):
    content = workbook(["分析对象", "Analysis unit", "备注", "分析对象"], ["a", "b", "c", "d"])
    result = run(inventory, content)
    assert found(result) == {
        (1, "备注"),
        (1, label("object")),
        (1, label("event")),
        (1, label("method")),
    }


def test_a_non_xlsx_upload_gets_a_clear_error_page(client, inventory):
    client.force_login(actor("ent-operator"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = f"/enterprises/{inventory['unit'].pk}/risks/import/"
    response = client.post(url, {"file": SimpleUploadedFile("ledger.csv", b"a,b\n1,2\n")})
    assert response.status_code == 422
    assert "This is not an Excel .xlsx workbook." in response.content.decode()
    assert client.post(url, {}).status_code == 422


@pytest.mark.parametrize(
    "org", ["cityhall", "d1", "s11", "emergency", "fire_d1", "ent", "ent2", "cdc_d2"]
)
@pytest.mark.parametrize("role", ROLES)
def test_export_and_import_follow_the_jurisdiction(client, world, inventory, org, role):
    client.force_login(actor(f"{org}-{role}"))
    unit = inventory["unit"]
    visible = unit.pk in world.visible(org)
    may_change = visible and role in {"operator", "manager", "admin"}
    export = client.get(f"/enterprises/{unit.pk}/risks/export.xlsx")
    assert export.status_code == (200 if visible else 404)
    if visible:
        assert export["Content-Type"] == spreadsheet.CONTENT_TYPE
        assert export["Content-Disposition"].startswith("attachment;")
        assert load_workbook(io.BytesIO(export.content)).active.max_row == 4
    url = f"/enterprises/{unit.pk}/risks/import/"
    denied = 404 if not visible else 403
    assert client.get(url).status_code == (200 if may_change else denied)
    row = {"object": "新对象", "object_kind": "area", "unit": "新单元", "event": "新事件"}
    row |= {"method": "LEC", **{f"inherent_{k}": v for k, v in GENERAL.items()}}
    before = counts()
    response = client.post(url, {"file": SimpleUploadedFile("l.xlsx", ledger(row))})
    assert response.status_code == (302 if may_change else denied)
    if may_change:
        assert response["Location"] == f"/enterprises/{unit.pk}/risks/"
        told = [str(m) for m in get_messages(response.wsgi_request)]
        assert len(told) == 1
        assert RiskEvent.objects.get(name="新事件").level == 3
    else:
        assert counts() == before


def test_the_inventory_page_links_to_export_and_only_changers_to_import(client, inventory):
    unit = inventory["unit"]
    client.force_login(actor("ent-viewer"))
    html = client.get(f"/enterprises/{unit.pk}/risks/").content.decode()
    assert f"/enterprises/{unit.pk}/risks/export.xlsx" in html
    assert f"/enterprises/{unit.pk}/risks/import/" not in html
    client.force_login(actor("ent-operator"))
    html = client.get(f"/enterprises/{unit.pk}/risks/").content.decode()
    assert f"/enterprises/{unit.pk}/risks/import/" in html
