"""A case's timeline, the same for every machine: for the page (the partial
`core/timeline.html`) and for the API (`EventOut`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from ninja import Schema

from redline.core.models import CaseEvent
from redline.core.workflow.machine import Machine


class PhotoOut(Schema):
    url: str
    content_type: str
    size: int


class EventOut(Schema):
    at: dt.datetime
    actor_name: str
    organisation_name: str
    action: str
    label: str
    from_state: str
    to_state: str
    comment: str
    data: dict[str, Any]
    photos: list[PhotoOut]


@dataclass(frozen=True)
class Entry:
    """An event as the timeline partial shows it."""

    event: CaseEvent
    label: str
    to_label: str  # the state reached, when the event changed it
    details: list[str]
    photos: list[Any]


def _photos(event: CaseEvent) -> list[Any]:
    # Only some case types keep evidence photos with their events (hazards do).
    if hasattr(event, "photos"):
        return list(event.photos.all())
    return []


def events_of(machine: Machine, record: Any) -> list[CaseEvent]:
    """A record's events in order, with who acted (and their photos, where events have them)."""
    events: QuerySet[Any] = machine.event_model._default_manager.filter(
        **{machine.event_record: record}
    ).select_related("actor")
    if any(
        rel.get_accessor_name() == "photos" for rel in machine.event_model._meta.related_objects
    ):
        events = events.prefetch_related("photos")
    return list(events)


def timeline(machine: Machine, events: list[CaseEvent]) -> list[Entry]:
    """The events of one record, labelled (prefetch their photos where they have any)."""
    entries = []
    for event in events:
        changed = bool(event.to_state and event.from_state and event.to_state != event.from_state)
        entries.append(
            Entry(
                event=event,
                label=str(machine.action_label(event.action)),
                to_label=machine.state_label(event.to_state) if changed else "",
                details=[str(line) for line in machine.describe(event)],
                photos=_photos(event),
            )
        )
    return entries


def photo_out(photo: Any) -> dict[str, Any]:
    return {
        "url": photo.get_absolute_url(),
        "content_type": photo.content_type,
        "size": photo.size,
    }


def event_out(machine: Machine, event: CaseEvent) -> dict[str, Any]:
    """One event as the API gives it (`EventOut`)."""
    return {
        "at": event.at,
        "actor_name": event.actor_name,
        "organisation_name": event.organisation_name,
        "action": event.action,
        "label": str(machine.action_label(event.action)),
        "from_state": event.from_state,
        "to_state": event.to_state,
        "comment": event.comment,
        "data": event.data,
        "photos": [photo_out(p) for p in _photos(event)],
    }


def steps_description(machine: Machine, extra: str = "") -> str:
    """The API's description of a machine's step endpoint: each step's fields and the codes."""
    steps = "; ".join(
        f"`{t.name}`: "
        + ", ".join(
            f"{name}{'*' if name in t.required else ''} ({f.kind})" for name, f in t.fields.items()
        )
        + (" (+ photos)" if t.photos else "")
        for t in machine.transitions.values()
    )
    return (
        f"Steps and their fields besides `version` (* needed){extra}: {steps}. Outside your "
        "jurisdiction "
        "404; a step you may not take 403; a stale `version` or a step the record's state does "
        "not allow 409; a missing or invalid field 422."
    )
