"""The change log for people: one renderer behind every page that shows one.

The log stores machine values (ids, codes, ISO timestamps in UTC, JSON lists); the API gives
them out as they are. A page shows each entry as a person reads it: field labels in the
reader's language, values as the forms show them (choice labels, names instead of ids,
local times, yes/no, lists joined), the workflow step as its label, newest first, a page at a
time. References without a recorded label are resolved in bulk, one query per kind of record
on the page, whatever the number of rows.

Access stays with the caller: a page passes the entries of a record it has already loaded
through the jurisdiction door (`selectors`), this module only presents them.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeGuard

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models.fields.related import RelatedField
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import dateformat, timezone
from django.utils.cache import patch_vary_headers
from django.utils.dateparse import parse_date, parse_datetime, parse_time
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from redline.core.audit import LABEL_SUFFIX
from redline.core.models import ChangeLog
from redline.core.workflow import machines

PER_PAGE = 20
PAGE_PARAM = "changes"  # ?changes=N: the page of the log, beside a page's own parameters
TARGET = "change-log"  # the element htmx swaps; a request aimed at it gets the fragment

# Formats of the rest of the pages (`|date:"Y-m-d H:i"`), in the project's TIME_ZONE.
DATETIME_FORMAT = "Y-m-d H:i"
DATE_FORMAT = "Y-m-d"
TIME_FORMAT = "H:i"

# Bookkeeping every record has; the entry's own time and the version check say it already.
HIDDEN_FIELDS = frozenset({"created_at", "updated_at", "version"})

# The steps of each declared workflow are recorded as "<step>: <comment>" in the comment.
STEP = re.compile(r"^([a-z][a-z_]*)(?:: (.*))?$", re.DOTALL)

# Comments that the system writes as codes (admin site, jobs, loaders).
SYSTEM_COMMENTS = {
    "admin": _("Changed in the administration site"),
    "admin: deleted": _("Deleted in the administration site"),
    "demo data": _("Demo data"),
    "regrade": _("Graded again"),
    "alarm continued": _("Alarm continued"),
    "verification overdue": _("Verification overdue: escalated"),
    "capacity evaluation": _("Capacity evaluation"),
    "thresholds.yaml": _("Loaded from the shipped thresholds"),
}
DETECTION_RUN = re.compile(r"^detection run (\d+)$")

CLIENTS = {
    "web": pgettext_lazy("client", "web"),
    "api": pgettext_lazy("client", "API"),
    "cli": pgettext_lazy("client", "command line"),
    "job": pgettext_lazy("client", "scheduled job"),
    "system": pgettext_lazy("client", "system"),
}


class FieldChange(NamedTuple):
    label: str
    before: object
    after: object


@dataclass
class Shown:
    """One entry as a person reads it (the stored entry stays at `.entry`)."""

    entry: ChangeLog
    at: datetime.datetime  # local time
    actor: str
    action: str
    comment: str
    client: str
    record_type: str
    other_record: bool  # not the record whose page shows the log
    changes: list[FieldChange]

    @property
    def ip(self) -> str | None:
        return self.entry.ip

    @property
    def record(self) -> str:
        return self.entry.object_repr


def join(items: Iterable[object]) -> str:
    """Items as a list for reading, with the reader's language's separator."""
    return pgettext("list separator", ", ").join(str(i) for i in items)


# --- pages -----------------------------------------------------------------------------


class LogPage(Page[Any]):
    """A page of the log as people read it: its entries `Shown` (its paginator counts the
    stored entries), and the query string and page parameter its links keep."""

    def __init__(
        self, current: Page[ChangeLog], shown: list[Shown], *, query: str, param: str
    ) -> None:
        super().__init__(shown, current.number, current.paginator)
        self.query = query
        self.param = param


def page(
    request: HttpRequest,
    entries: models.QuerySet[ChangeLog] | Sequence[ChangeLog],
    *,
    subject: models.Model | None = None,
    param: str = PAGE_PARAM,
    per_page: int = PER_PAGE,
) -> LogPage:
    """The page of the log the request asks for (newest first), its entries shown."""
    if isinstance(entries, models.QuerySet):
        entries = entries.order_by("-at", "-id")
    current = Paginator(entries, per_page).get_page(request.GET.get(param))
    query = request.GET.copy()
    query.pop(param, None)
    return LogPage(
        current,
        present(list(current.object_list), subject=subject),
        query=query.urlencode(),
        param=param,
    )


def fragment(
    request: HttpRequest,
    entries: models.QuerySet[ChangeLog] | Sequence[ChangeLog],
    *,
    subject: models.Model | None = None,
) -> HttpResponse | None:
    """The log alone when htmx asks for it (its pager's links), None for a whole page.
    Call it after the record was loaded through the door, before the page's own work."""
    htmx = getattr(request, "htmx", None)
    if not htmx or htmx.target != TARGET:
        return None
    response = render(
        request, "core/_change_log.html", {"changes": page(request, entries, subject=subject)}
    )
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


def record_types(labels: Iterable[str]) -> list[tuple[str, str]]:
    """(model label, its name for people) for a filter menu, sorted by the name."""
    named = []
    for label in labels:
        model = _model(label)
        named.append((label, capfirst(str(model._meta.verbose_name)) if model else label))
    return sorted(named, key=lambda pair: pair[1])


# --- entries ---------------------------------------------------------------------------


def present(entries: Sequence[ChangeLog], *, subject: models.Model | None = None) -> list[Shown]:
    """Entries as people read them; references resolved in bulk (one query a kind)."""
    rows = [(entry, _model(entry.model)) for entry in entries]
    changed = [_changed_fields(entry, model) for entry, model in rows]
    names = _resolve(rows, changed)
    subject_key = (subject._meta.label, str(subject.pk)) if subject is not None else None
    shown = []
    for (entry, model), fields in zip(rows, changed, strict=True):
        action, comment = _action(entry)
        shown.append(
            Shown(
                entry,
                at=timezone.localtime(entry.at),
                actor=_actor(entry, names),
                action=action,
                comment=comment,
                client=str(CLIENTS.get(entry.client, entry.client)),
                record_type=capfirst(str(model._meta.verbose_name)) if model else "",
                other_record=(entry.model, entry.object_id) != subject_key,
                changes=[_change(entry, model, field, names) for field in fields],
            )
        )
    return shown


def field_changes(entry: ChangeLog) -> list[FieldChange]:
    """The changed fields of one entry, as `present` shows them."""
    return present([entry])[0].changes


def _model(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def shown_field(model: type[models.Model] | None, name: str) -> models.Field[Any, Any] | None:
    """The field a key of the log stands for, or None when the key is not for people:
    bookkeeping, the recorded labels of references, and internal fields. A field is
    internal when its model gives it no translatable label (ip hashes, idempotency keys,
    denormalised copies: they stay in the API's output, not on pages)."""
    if model is None or name in HIDDEN_FIELDS or name.endswith(LABEL_SUFFIX):
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    if not isinstance(field, models.Field) or field.primary_key:
        return None
    if not isinstance(field.verbose_name, Promise):
        return None
    return field


def _empty(value: object) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _changed_fields(
    entry: ChangeLog, model: type[models.Model] | None
) -> list[models.Field[Any, Any]]:
    before, after = entry.before or {}, entry.after or {}
    fields = []
    for key in dict.fromkeys([*before, *after]):
        old, new = before.get(key), after.get(key)
        if old == new or (_empty(old) and _empty(new)):
            continue
        field = shown_field(model, key)
        if field is not None:
            fields.append(field)
    return fields


def _is_reference(field: models.Field[Any, Any]) -> TypeGuard[RelatedField[Any, Any]]:
    return (
        isinstance(field, RelatedField)
        and bool(field.many_to_one or field.one_to_one)
        and field.related_model is not None
    )


def _resolve(
    rows: list[tuple[ChangeLog, type[models.Model] | None]],
    changed: list[list[models.Field[Any, Any]]],
) -> dict[type[models.Model], dict[Any, str]]:
    """Names of the records and people the page refers to by id, one query per kind."""
    user_model = get_user_model()
    wanted: dict[type[models.Model], set[Any]] = defaultdict(set)
    for (entry, _unused), fields in zip(rows, changed, strict=True):
        if entry.actor_id is not None and "actor" not in entry._state.fields_cache:
            wanted[user_model].add(entry.actor_id)
        for field in fields:
            if not _is_reference(field):
                continue
            for side in (entry.before or {}, entry.after or {}):
                value = side.get(field.name)
                if value is not None and f"{field.name}{LABEL_SUFFIX}" not in side:
                    try:
                        key = field.target_field.to_python(value)
                    except (ValidationError, TypeError, ValueError):
                        continue
                    wanted[field.related_model].add(key)
    names: dict[type[models.Model], dict[Any, str]] = {}
    for model, keys in wanted.items():
        found = model._base_manager.in_bulk(list(keys))
        names[model] = {key: _name(obj) for key, obj in found.items()}
    return names


def _name(obj: models.Model) -> str:
    if hasattr(obj, "get_full_name") and hasattr(obj, "get_username"):
        return obj.get_full_name() or obj.get_username()
    return str(obj)


def _actor(entry: ChangeLog, names: dict[type[models.Model], dict[Any, str]]) -> str:
    if entry.actor_id is not None:
        if "actor" in entry._state.fields_cache and entry.actor is not None:
            return _name(entry.actor)
        found = names.get(get_user_model(), {}).get(entry.actor_id)
        if found:
            return found
    recorded = entry.actor_name or entry.client
    return str(CLIENTS.get(recorded, recorded))


def _action(entry: ChangeLog) -> tuple[str, str]:
    """The entry's action for people, and what is left of its comment."""
    comment = entry.comment or ""
    lookup = _step_labels(entry.model)
    matched = STEP.match(comment) if lookup else None
    if lookup and matched:
        name, rest = matched.group(1), matched.group(2) or ""
        label = str(lookup(name))
        if label != name:
            return label, rest
    fixed = SYSTEM_COMMENTS.get(comment)
    if fixed is not None:
        return str(entry.get_action_display()), str(fixed)
    run = DETECTION_RUN.match(comment)
    if run:
        return str(entry.get_action_display()), gettext("Detection run %(id)s") % {
            "id": run.group(1)
        }
    return str(entry.get_action_display()), comment


def _step_labels(model_label: str) -> Callable[[str], Any] | None:
    """The step labels of the workflow declared on this model, if one is."""
    for machine in machines():
        if machine.model._meta.label == model_label:
            return machine.action_label
    return None


# --- values ----------------------------------------------------------------------------


def _change(
    entry: ChangeLog,
    model: type[models.Model] | None,
    field: models.Field[Any, Any],
    names: dict[type[models.Model], dict[Any, str]],
) -> FieldChange:
    before, after = entry.before or {}, entry.after or {}
    return FieldChange(
        str(field.verbose_name),
        display(model, field, before.get(field.name), before, names),
        display(model, field, after.get(field.name), after, names),
    )


def display(
    model: type[models.Model] | None,
    field: models.Field[Any, Any],
    value: object,
    side: dict[str, Any],
    names: dict[type[models.Model], dict[Any, str]],
) -> object:
    """A stored value as the forms show it; None when there is none (shown as a dash)."""
    custom = getattr(model, "audit_display", None)
    if custom is not None and value is not None:
        shown = custom(field.name, value)
        if shown is not None:
            return shown or None
    if _empty(value):
        return None
    if _is_reference(field):
        recorded = side.get(f"{field.name}{LABEL_SUFFIX}")
        if recorded:
            return recorded
        try:
            key = field.target_field.to_python(value)
        except (ValidationError, TypeError, ValueError):
            key = None
        return names.get(field.related_model, {}).get(key) or gettext("(not found)")
    return _plain(field, value)


def _plain(field: models.Field[Any, Any], value: object) -> object:
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, list | tuple):
        return join(_plain(field, v) for v in value if not _empty(v))
    if isinstance(value, dict):
        return pgettext("list separator", ", ").join(
            f"{k}: {_plain(field, v)}" for k, v in value.items()
        )
    if field.choices:
        labels = dict(field.flatchoices)
        if value in labels:
            return str(labels[value])
    if isinstance(value, str):
        return _moment(field, value)
    return value


def _moment(field: models.Field[Any, Any], value: str) -> str:
    """ISO dates and times as the pages show them, datetimes in local time."""
    try:
        if isinstance(field, models.DateTimeField):
            moment = parse_datetime(value)
            if moment is not None:
                if timezone.is_naive(moment):
                    moment = timezone.make_aware(moment, datetime.UTC)
                return dateformat.format(timezone.localtime(moment), DATETIME_FORMAT)
        elif isinstance(field, models.DateField):
            day = parse_date(value)
            if day is not None:
                return dateformat.format(day, DATE_FORMAT)
        elif isinstance(field, models.TimeField):
            time = parse_time(value)
            if time is not None:
                return dateformat.format(time, TIME_FORMAT)
    except ValueError:
        pass
    return value
