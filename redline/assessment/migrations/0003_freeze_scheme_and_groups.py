"""Freeze, in every assessment published before the scheme was kept with its inputs, the
scheme it was published with, so that it recomputes to the same result (issue 14 §3).

Until now a published assessment kept only its measured inputs and named its scheme by
version; the scheme's file was read again at every reading. The department scheme now
leaves an indicator with an empty base out (`"when_empty": "not_applicable"`) where it used
to give all its points: re-read, an assessment published before would change. Each one gets
its scheme's data as published: the file's, with every empty base giving all points
(`"when_empty": "full"`, the only behaviour there was). A published department assessment
also gets each department's ranking group (the city, or the district its region is in), which
publishing now freezes too."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from django.db import migrations

DATA = Path(__file__).resolve().parents[1] / "data"


def _schemes() -> dict[str, dict[str, Any]]:
    found = {}
    for path in sorted(DATA.glob("scheme-*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        found[str(data.get("version"))] = data
    return found


def _as_published(data: dict[str, Any]) -> dict[str, Any]:
    """The scheme as it scored before `when_empty`: every empty base gives all points."""
    frozen = copy.deepcopy(data)
    frozen["when_empty"] = "full"
    frozen.pop("when_empty_note", None)
    for family in frozen.get("families", []):
        for indicator in family.get("indicators", []):
            indicator.pop("when_empty", None)
    return frozen


def _tier(path: str) -> str:
    return "/" + "".join(f"{step}/" for step in path.strip("/").split("/")[:2])


def freeze(apps: Any, schema_editor: Any) -> None:
    Assessment = apps.get_model("assessment", "Assessment")
    Region = apps.get_model("organisations", "Region")
    published = list(Assessment.objects.filter(state="published"))
    if not published:
        return
    schemes = _schemes()
    for record in published:
        inputs = dict(record.inputs or {})
        changed = False
        if "scheme_data" not in inputs and record.scheme_version in schemes:
            inputs["scheme_data"] = _as_published(schemes[record.scheme_version])
            changed = True
        subjects = inputs.get("subjects", {})
        if record.subject_kind == "department" and any(
            "group" not in s for s in subjects.values()
        ):
            tiers = {_tier(s.get("path", "/")) for s in subjects.values()}
            names = dict(Region.objects.filter(path__in=tiers).values_list("path", "name"))
            for subject in subjects.values():
                tier = _tier(subject.get("path", "/"))
                subject.setdefault("group", tier)
                subject.setdefault("group_name", names.get(tier, ""))
            changed = True
        if changed:
            record.inputs = inputs
            record.save(update_fields=["inputs"])


class Migration(migrations.Migration):
    dependencies = [
        ("assessment", "0002_department_subjects"),
        ("organisations", "0004_enterprise_standardisation_grade"),
    ]

    operations = [migrations.RunPython(freeze, migrations.RunPython.noop)]
