"""Every query of a scoped model in a view, API, selector, form, export or service module goes
through the door (`restrict(user, action)` or `get_for(user, action, ...)`, STYLE.md "one
door"), read from the code itself: a chain `Model.objects.<...>` (or `_default_manager`,
`_base_manager`) on a model whose queryset has `restrict` must call `restrict` or `get_for`
somewhere in the chain, or be `.none()`; `get_object_or_404(Model, ...)` on such a model is a
bypass. Services may write (`create`, `update`, ... on records they loaded through the door).

What may bypass it is listed in ALLOWED, each entry with its reason; an entry that no longer
matches anything fails too, so the list stays exact."""

from __future__ import annotations

import ast
import importlib
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.apps import apps

import redline
from redline.conftest import login

ROOT = Path(redline.__file__).resolve().parent
# The kinds of module that read or write business data for a request or a job.
SCANNED = re.compile(r"(^|_)(views|api|selectors|services|exports|forms)(_|$)")
MANAGERS = ("objects", "_default_manager", "_base_manager")
DOOR = {"restrict", "get_for"}
WRITES = {"create", "bulk_create", "update", "delete", "get_or_create", "update_or_create"}
SHORTCUTS = {"get_object_or_404", "get_list_or_404"}

ORG = "redline/organisations"
# "module:function:Model" -> why it may query without the door.
ALLOWED: dict[str, str] = {
    # Reference data and directories every signed-in user (or the public) reads.
    "redline/hazards/forms.py:PublicReportForm.__init__:Region": (
        "the public report form: the city's districts and subdistricts are public reference data"
    ),
    f"{ORG}/selectors.py:responsibility_chain:Person": (
        "the contacts of government bodies (the directory every signed-in user reads)"
    ),
    f"{ORG}/selectors.py:responsibility_chain:Organisation": (
        "the governments above a unit the caller loaded through the door (the directory)"
    ),
    f"{ORG}/selectors.py:organisations_in:Organisation": (
        "the government bodies of regions the caller read through the door (the directory)"
    ),
    f"{ORG}/selectors.py:supervising_departments:Organisation": (
        "the departments supervising a unit: the directory, also used to route notifications"
    ),
    f"{ORG}/selectors.py:governments_at:Organisation": (
        "the governments above a region: the directory, used to route notifications"
    ),
    # The records of a record the caller loaded through the door (they follow it).
    "redline/inspections/forms.py:EnforcementForm.__init__:Finding": (
        "the findings of an inspection the caller loaded through the door (they follow it)"
    ),
    "redline/inspections/views.py:public_plan:Inspection": (
        "a published double-random plan's inspections are public (一公开): units, months, "
        "bodies and outcomes, no personal data"
    ),
    "redline/risk/selectors.py:inventory:RiskObject": (
        "the risk inventory of a unit the caller loaded through the door (it follows the unit)"
    ),
    "redline/risk/selectors.py:inventory:RiskUnit": (
        "the risk inventory of a unit the caller loaded through the door (it follows the unit)"
    ),
    "redline/risk/selectors.py:inventory:RiskEvent": (
        "the risk inventory of a unit the caller loaded through the door (it follows the unit)"
    ),
    "redline/risk/selectors.py:unit_summary:RiskEvent": (
        "the level of an analysis unit whose event the page loaded through the door"
    ),
    "redline/risk/selectors.py:object_summary:RiskEvent": (
        "the level of an analysis object whose event the page loaded through the door"
    ),
    "redline/risk/selectors.py:enterprise_summary:RiskEvent": (
        "the level of a unit whose event the page loaded through the door"
    ),
    "redline/medical/selectors.py:current_report:CapacityReport": (
        "the report of the user's own hospital, loaded through the door (own_health_unit)"
    ),
    "redline/medical/selectors.py:previous_report:CapacityReport": (
        "the report of the user's own hospital, loaded through the door (own_health_unit)"
    ),
    "redline/epidemic/selectors.py:latest_group_counts:KeyGroupCount": (
        "a correlated NOT EXISTS over the same series as the restricted rows it filters"
    ),
    # Writes: rows locked or read back after the door was asked (services).
    "redline/epidemic/selectors_evaluation.py:_version:CaseCount": (
        "the counts' version (the latest id) in the key of the kept evaluation alarms: no "
        "record is read or shown; which counts a user reads is the key's door part"
    ),
    "redline/epidemic/services.py:_current:CaseCount": (
        "locks the current counts of series the submission was checked for ('report')"
    ),
    "redline/epidemic/services.py:_superseded:CaseCount": (
        "the rows a checked submission supersedes, read for the change log"
    ),
    "redline/epidemic/services.py:_write_group:KeyGroupCount": (
        "locks the key-group count a checked submission replaces"
    ),
    "redline/risk/services.py:risk_object_save:MajorHazardInstallation": (
        "an installation of the unit loaded through the door ('change'), by pk within it"
    ),
    "redline/risk/services.py:measure_save:InspectionCycle": (
        "the cycle of a measure loaded through the door ('change')"
    ),
    "redline/risk/services.py:_cycle_save:InspectionCycle": (
        "the cycle of a measure loaded through the door ('change')"
    ),
    "redline/medical/services.py:capacity_report_submit:CapacityReport": (
        "the actor's own earlier submission by its key, and the current report of the "
        "hospital loaded with get_for(actor, 'report_capacity'), locked"
    ),
    # System-wide jobs and the routing of notifications.
    "redline/medical/selectors.py:missing_reports:CapacityReport": (
        "the missing-reports job: every operating hospital of the city (system-wide)"
    ),
    "redline/medical/selectors.py:missing_reports:Enterprise": (
        "the missing-reports job: every operating hospital of the city (system-wide)"
    ),
    "redline/epidemic/services_signals.py:signal_raise:Signal": (
        "the detection job raises and continues signals city-wide (system-wide)"
    ),
    "redline/epidemic/services_signals.py:signal_raise:Region": (
        "the detection job raises and continues signals city-wide (system-wide)"
    ),
    "redline/epidemic/services_signals.py:signal_deadlines_sweep:Signal": (
        "the deadline job sweeps every overdue signal (system-wide)"
    ),
    "redline/epidemic/services_signals.py:signal_deadlines_sweep:Organisation": (
        "the deadline job names the bodies it escalates to (the directory)"
    ),
    "redline/epidemic/services_signals.py:responsible_body:Organisation": (
        "the public-health body responsible for a region (the directory), for routing"
    ),
    "redline/epidemic/services_signals.py:_bodies:Organisation": (
        "the bodies a signal is announced to (the directory), for routing"
    ),
    "redline/accidents/services.py:_next_number:Accident": (
        "an accident's number is the year's next one city-wide: only the highest number is read"
    ),
}


@dataclass(frozen=True)
class Hit:
    module: str
    function: str
    model: str
    line: int
    chain: str

    @property
    def key(self) -> str:
        return f"{self.module}:{self.function}:{self.model}"


def scoped_models() -> set[type]:
    return {
        model
        for model in apps.get_models()
        if hasattr(getattr(model._default_manager, "_queryset_class", None), "restrict")
    }


def scanned_modules() -> list[Path]:
    return sorted(
        path
        for path in ROOT.rglob("*.py")
        if SCANNED.search(path.stem)
        and "tests" not in path.parts
        and "migrations" not in path.parts
    )


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _function(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> str:
    names = []
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.append(node.name)
    return ".".join(reversed(names)) or "<module>"


def _chain(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> list[str]:
    """The methods called on `node` (Model.objects), in order."""
    methods = []
    while True:
        parent = parents.get(node)
        if isinstance(parent, ast.Attribute) and parent.value is node:
            methods.append(parent.attr)
            node = parent
        elif isinstance(parent, ast.Call) and parent.func is node:
            node = parent
        else:
            return methods


def bypasses(path: Path, scoped: set[type]) -> list[Hit]:
    relative = path.relative_to(ROOT.parent)
    module = importlib.import_module(".".join(relative.with_suffix("").parts))
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = _parents(tree)
    writing = "services" in path.stem
    found = []

    def hit(node: ast.AST, model: type, chain: str) -> None:
        found.append(
            Hit(str(relative), _function(node, parents), model.__name__, node.lineno, chain)
        )

    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in MANAGERS
            and isinstance(node.value, ast.Name)
        ):
            model = getattr(module, node.value.id, None)
            if model not in scoped:
                continue
            methods = _chain(node, parents)
            if DOOR & set(methods) or methods == ["none"]:
                continue
            if writing and WRITES & set(methods):
                continue
            hit(node, model, ".".join([node.value.id, node.attr, *methods]))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in SHORTCUTS and node.args and isinstance(node.args[0], ast.Name):
                model = getattr(module, node.args[0].id, None)
                if model in scoped:
                    hit(node, model, f"{node.func.id}({node.args[0].id}, ...)")
    return sorted(found, key=lambda h: h.line)


def test_the_scan_sees_the_scoped_models_and_modules():
    names = {model.__name__ for model in scoped_models()}
    assert {"Enterprise", "Region", "Hazard", "Signal", "CapacityAlert", "Campaign"} <= names
    assert {"ChangeLog", "CaseCount", "CapacityReport", "RiskEvent", "Person"} <= names
    assert {"KeyTask", "Meeting", "ProgressReport"} <= names  # the committee's, no unit's
    assert "Condition" not in names  # the catalogue is reference data
    stems = {path.stem for path in scanned_modules()}
    assert {"views", "api", "selectors", "services", "forms", "exports"} <= stems
    assert {"api_counts", "views_signals", "selectors_signals", "services_signals"} <= stems


def test_the_scan_finds_a_bypass(tmp_path, monkeypatch):
    """The scan itself: a module reading a scoped model by hand is caught, one through the
    door is not."""
    package = tmp_path / "doorprobe"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "selectors.py").write_text(
        "from django.shortcuts import get_object_or_404\n"
        "from redline.organisations.models import Enterprise, Region\n"
        "def by_hand(user, pk):\n"
        "    return Enterprise.objects.filter(pk=pk).first()\n"
        "def shortcut(user, pk):\n"
        "    return get_object_or_404(Region, pk=pk)\n"
        "def through(user, pk):\n"
        "    return Enterprise.objects.select_related('region').restrict(user).get(pk=pk)\n"
        "def loaded(user, pk):\n"
        "    return Enterprise.objects.get_for(user, 'change', pk=pk)\n"
        "def nothing():\n"
        "    return Region.objects.none()\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path / "doorprobe")
    found = bypasses(package / "selectors.py", scoped_models())
    assert [(h.function, h.model) for h in found] == [
        ("by_hand", "Enterprise"),
        ("shortcut", "Region"),
    ]


def test_views_apis_selectors_and_services_query_through_the_door():
    scoped = scoped_models()
    found = [hit for path in scanned_modules() for hit in bypasses(path, scoped)]
    unlisted = [h for h in found if h.key not in ALLOWED]
    assert not unlisted, "queries around the door (use restrict/get_for, or list them):\n" + (
        "\n".join(f"{h.module}:{h.line} [{h.function}] {h.chain}" for h in unlisted)
    )
    stale = sorted(set(ALLOWED) - {h.key for h in found})
    assert not stale, f"allow-list entries that match nothing any more: {stale}"


def test_every_allowance_says_why():
    for key, reason in ALLOWED.items():
        assert key.count(":") == 2, key
        assert len(reason) > 20 and "\n" not in reason, key


# Every page and API list that filters by region, with the name of its parameter.
REGION_FILTERS = [
    ("/enterprises/", "region"),
    ("/hazards/", "region"),
    ("/hazards/dashboard/", "region"),
    ("/epidemic/counts/", "region"),
    ("/epidemic/places/", "region"),
    ("/epidemic/signals/", "region"),
    ("/epidemic/groups/", "region"),
    ("/medical/", "region"),
    ("/medical/alerts/", "region"),
    ("/api/v1/regions", "parent"),
    ("/api/v1/enterprises", "region"),
    ("/api/v1/chemical-parks", "region"),
    ("/api/v1/hazards", "region"),
    ("/api/v1/hazards/dashboard", "region"),
    ("/api/v1/epidemic/counts", "region"),
    ("/api/v1/epidemic/signals", "region"),
    ("/api/v1/medical/reports", "region"),
    ("/api/v1/medical/alerts", "region"),
    ("/api/v1/medical/regions", "region"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "name"), REGION_FILTERS)
def test_a_region_filter_outside_the_jurisdiction_is_404_naming_the_field(client, world, url, name):
    """A district filtering by another district, or by a region that does not exist, gets
    the same answer everywhere: 404, and in the API the field named; its own regions work."""
    login(client, "d1-viewer")
    assert client.get(url, {name: world.regions["S11"]}).status_code == 200
    answers = [client.get(url, {name: value}) for value in (world.regions["D2"], 999999)]
    for response in answers:
        assert response.status_code == 404, (url, response.status_code)
        if url.startswith("/api/"):
            error = response.json()["error"]
            assert error["code"] == "not_found" and set(error["fields"]) == {name}
            assert response.json() == answers[0].json()  # nothing told of the other district


# What the door carries for the records that are an organisation's affair, not a unit's (the
# Safety Committee's key tasks): for reading, a government-side body's own organisation, and
# a government below the city its region; for reporting a task's progress the same, a unit
# nothing. (Who then sees which task: redline/committee/tests/test_access.py.)
COMMITTEE_SCOPES = {
    # org: (reads its own organisation's tasks, reads by region, reports: own, by region)
    "cityhall": ("all", "all", True, False),
    "office": ("all", "all", True, False),
    "d1": (True, "D1", True, "D1"),
    "s11": (True, "S11", True, "S11"),
    "emergency": (True, None, True, None),
    "fire_d1": (True, None, True, None),
    "education": (True, None, True, None),
    "cdc_d2": (True, None, True, None),
    "ent": (False, None, False, None),
    "ent2": (False, None, False, None),
}


@pytest.mark.django_db
@pytest.mark.parametrize("org", sorted(COMMITTEE_SCOPES))
def test_the_scope_carries_the_organisation_for_its_own_affairs(world, org):
    from redline.accounts.models import User
    from redline.organisations.access import EVERYTHING, jurisdiction
    from redline.organisations.models import Region

    user = User.objects.get(username=f"{org}-operator")
    reads, read_region, reports, report_region = COMMITTEE_SCOPES[org]
    own = world.orgs[org].pk
    viewing, reporting = jurisdiction(user, "view"), jurisdiction(user, "report_progress")
    if reads == "all":
        assert viewing == EVERYTHING
    else:
        assert viewing.organisation_id == (own if reads else None)
        paths = (Region.objects.get(pk=world.regions[read_region]).path,) if read_region else ()
        assert viewing.region_paths == paths
    assert reporting.organisation_id == (own if reports else None)
    paths = (Region.objects.get(pk=world.regions[report_region]).path,) if report_region else ()
    assert reporting.region_paths == paths
    assert reporting.is_empty == (not reports)
    # Nothing else changed: reporting progress brings no unit, no mandate, no health area.
    assert not (reporting.mandates or reporting.key_place_paths or reporting.health_paths)
