"""Writes of epidemic surveillance data: the disease/syndrome catalogue, daily case counts
(forms, API batches, file imports) and key-group counts.

Case counts
- A submission is a batch of rows (condition, region, optional key place, date, count),
  checked whole first: every problem comes back with its row number and field
  (`RowsInvalid`), and nothing is saved when any row is bad.
- A batch carries an idempotency key (`IngestBatch.key`, unique, namespaced by the user): a
  retried batch answers the first one's result and records nothing twice, also when the
  retries race (the unique key inside the transaction decides; the loser reads the winner's
  result). The same key with different content is refused (409).
- A row whose current value differs is a correction: the current row gets
  `superseded_on = today` and a new row `known_from = today` (today = the local date of
  `now`), so `CaseCount.objects.as_known_on(day)` reproduces what was known on any day. An
  unchanged value writes nothing.
- Who may submit: see `reporting.py` (public-health bodies for their region subtree, a key
  place for itself; everybody else reads only).

Every change is in the change log: one entry per batch, one per correction, one per
key-group count created or replaced, one per catalogue entry created or changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from redline.core import audit
from redline.core.context import current as current_context
from redline.core.errors import Conflict, PermissionDenied, ValidationFailed
from redline.core.inputs import Input
from redline.core.models import ChangeLog
from redline.core.spreadsheet import CellError, Row, as_text
from redline.epidemic import catalogue
from redline.epidemic.models import (
    CaseCount,
    Condition,
    IngestBatch,
    KeyGroupCount,
    series_key,
)
from redline.epidemic.reporting import reporter
from redline.epidemic.rows import (
    COUNT_FIELDS,
    COUNTS,
    GROUP_FIELDS,
    GROUPS,
    CountRow,
    GroupRow,
    RowError,
    RowsInvalid,
    check,
    given_row,
    read_rows,
)
from redline.epidemic.vocab import CountSource
from redline.organisations.models import Enterprise, Region

if TYPE_CHECKING:
    from redline.accounts.models import User

__all__ = [
    "MAX_ROWS",
    "CatalogueChanges",
    "KeyGroupCountInput",
    "Recorded",
    "RowError",
    "RowsInvalid",
    "case_counts_record",
    "condition_catalogue_load",
    "key_group_count_record",
]

MAX_ROWS = 20_000  # rows of one submission (counts and key groups together)
CHUNK = 500
ATTEMPTS = 3


# --- results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    """A submission's outcome. `replayed`: an earlier submission with the same key had
    already recorded it, and `result` is that submission's result."""

    batch: IngestBatch
    result: dict[str, Any]
    replayed: bool


# --- submissions -------------------------------------------------------------------------


def _stored_key(user: User, key: str) -> str:
    raw = (key or "").strip()
    if not raw:
        raise ValidationFailed(
            _("An idempotency key is required."),
            fields={"key": _("An idempotency key is required.")},
        )
    owner = getattr(user, "pk", None) or 0
    stored = f"{owner}:{raw}"
    limit = IngestBatch._meta.get_field("key").max_length or 80
    if len(stored) > limit:
        stored = f"{owner}:#{hashlib.sha256(raw.encode()).hexdigest()}"
    return stored


def _digest(count_rows: list[Row], group_rows: list[Row]) -> str:
    """The submission's content as given (before it is read), to tell a retry from another
    submission under the same key."""
    canonical = [
        ["rows", *(as_text(row.raw[name]) for name in COUNT_FIELDS)] for row in count_rows
    ] + [["groups", *(as_text(row.raw[name]) for name in GROUP_FIELDS)] for row in group_rows]
    body = json.dumps(canonical, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def _replay(stored_key: str, digest: str) -> Recorded | None:
    batch = IngestBatch.objects.filter(key=stored_key).first()
    if batch is None:
        return None
    if batch.result.get("digest") != digest:
        raise Conflict(
            _(
                "This idempotency key was already used for a different submission on "
                "%(when)s. Send new data with a new key."
            )
            % {"when": timezone.localtime(batch.received_at).strftime("%Y-%m-%d %H:%M")}
        )
    return Recorded(batch=batch, result=batch.result, replayed=True)


def case_counts_record(
    *,
    rows: Iterable[Any],
    source: str,
    key: str,
    user: User,
    now: dt.datetime | None = None,
    groups: Iterable[Any] = (),
    file_name: str = "",
) -> Recorded:
    """Record a batch of daily case counts (and, from a file import, key-group counts).

    `rows`: mappings with `condition` (catalogue code or name), `region` (administrative
    code), `place` (optional: a key place's id or unified social credit code), `date`,
    `count`, and optionally `row` (the number to report problems under); or sequences in
    that order; or rows a file import has read (`rows.COUNTS`). `groups`: the same with
    `region`, `place`, `group`, `count`, `as_of`, `source` (`rows.GROUPS`). All rows are
    checked first (RowsInvalid lists every problem); then all are recorded in one
    transaction, or none. A retry with the same `key` answers the first result (`replayed`)
    and records nothing."""
    if source not in CountSource.values:
        raise ValueError(f"unknown source {source!r}")
    now = now or timezone.now()
    who = reporter(user)
    if not who.may_submit:
        raise PermissionDenied(_("Your organisation and role may read surveillance data only."))
    stored_key = _stored_key(user, key)
    count_rows, group_rows = read_rows(COUNTS, rows), read_rows(GROUPS, groups)
    if not count_rows and not group_rows:
        raise ValidationFailed(fields={"rows": _("Give at least one row.")})
    if len(count_rows) + len(group_rows) > MAX_ROWS:
        raise ValidationFailed(
            fields={"rows": _("At most %(n)d rows in one submission.") % {"n": MAX_ROWS}}
        )
    digest = _digest(count_rows, group_rows)
    earlier = _replay(stored_key, digest)
    if earlier is not None:
        return earlier
    today = timezone.localdate(now)
    counts, group_counts = check(user, who, today, count_rows, group_rows)
    for _attempt in range(ATTEMPTS):
        try:
            with transaction.atomic():
                return _write(
                    user=user,
                    stored_key=stored_key,
                    raw_key=key.strip(),
                    source=source,
                    file_name=file_name,
                    now=now,
                    digest=digest,
                    counts=counts,
                    groups=group_counts,
                )
        except IntegrityError:
            # Either the same key won a race a moment ago (its result is the answer), or
            # another submission changed one of these series meanwhile (read again, retry).
            earlier = _replay(stored_key, digest)
            if earlier is not None:
                return earlier
    raise Conflict(
        _("Other submissions changed the same counts at the same moment. Send it again.")
    )


def _actor(user: User) -> User | None:
    return user if getattr(user, "pk", None) else None


def _write(
    *,
    user: User,
    stored_key: str,
    raw_key: str,
    source: str,
    file_name: str,
    now: dt.datetime,
    digest: str,
    counts: list[CountRow],
    groups: list[GroupRow],
) -> Recorded:
    with transaction.atomic():
        batch = IngestBatch.objects.create(
            key=stored_key,
            source=source,
            received_at=now,
            received_by=_actor(user),
            file_name=file_name[:200],
            rows=len(counts) + len(groups),
        )
    today = timezone.localdate(now)
    created, corrected, unchanged = _write_counts(user, batch, counts, now, today)
    group_tally = _write_groups(user, groups, now)
    result: dict[str, Any] = {
        "key": raw_key,
        "received_at": now.isoformat(),
        "rows": len(counts),
        "created": created,
        "corrected": corrected,
        "unchanged": unchanged,
        "digest": digest,
    }
    if groups:
        result["groups"] = group_tally
    batch.result = result
    batch.save(update_fields=["result"])
    places = {c.place_id for c in counts} | {g.place_id for g in groups}
    audit.record(
        actor=user,
        action="create",
        instance=batch,
        before=None,
        after=audit.snapshot(batch),
        enterprise_id=next(iter(places)) if len(places) == 1 else None,
    )
    return Recorded(batch=batch, result=result, replayed=False)


def _current(counts: list[CountRow]) -> dict[tuple[int, str, dt.date], tuple[int, int]]:
    """(id, count) of the current rows of the series and days of `counts`, locked until the
    commit."""
    found: dict[tuple[int, str, dt.date], tuple[int, int]] = {}
    if not counts:
        return found
    wanted = {c.ident for c in counts}
    keys = sorted({ident[1] for ident in wanted})
    conditions = sorted({ident[0] for ident in wanted})
    first = min(c.day for c in counts)
    last = max(c.day for c in counts)
    for start in range(0, len(keys), CHUNK):
        rows = (
            CaseCount.objects.current()
            .order_by()  # no joins for the default ordering: FOR UPDATE locks counts only
            .select_for_update(of=("self",))
            .filter(
                series_key__in=keys[start : start + CHUNK],
                condition_id__in=conditions,
                day__range=(first, last),
            )
            .values_list("pk", "condition_id", "series_key", "day", "count")
        )
        for pk, condition_id, key, day, value in rows:
            ident = (condition_id, key, day)
            if ident in wanted:
                found[ident] = (pk, value)
    return found


def _write_counts(
    user: User, batch: IngestBatch, counts: list[CountRow], now: dt.datetime, today: dt.date
) -> tuple[int, int, int]:
    current = _current(counts)
    new_rows: list[CaseCount] = []
    replaced: list[tuple[int, CountRow]] = []
    unchanged = 0
    for item in counts:
        old = current.get(item.ident)
        if old is not None and old[1] == item.count:
            unchanged += 1
            continue
        if old is not None:
            replaced.append((old[0], item))
        new_rows.append(
            CaseCount(
                condition=item.condition,
                region=item.region,
                place=item.place,
                series_key=series_key(item.region.pk, item.place_id),
                day=item.day,
                count=item.count,
                known_from=today,
                batch=batch,
                recorded_at=now,
                recorded_by=_actor(user),
            )
        )
    if replaced:
        olds = _superseded(replaced, today)
    CaseCount.objects.bulk_create(new_rows, batch_size=CHUNK)
    if replaced:
        _log_corrections(user, batch, olds, today)
    return len(new_rows) - len(replaced), len(replaced), unchanged


def _superseded(
    replaced: list[tuple[int, CountRow]], today: dt.date
) -> list[tuple[CaseCount, CountRow]]:
    """Mark the replaced rows superseded today; the rows as they were (for the log)."""
    ids = [pk for pk, _item in replaced]
    rows: dict[int, CaseCount] = {}
    done = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows |= CaseCount.objects.in_bulk(chunk)
        done += CaseCount.objects.filter(pk__in=chunk, superseded_on__isnull=True).update(
            superseded_on=today
        )
    if done != len(ids):
        raise IntegrityError("a count was corrected by another submission meanwhile")
    batches = IngestBatch.objects.in_bulk({r.batch_id for r in rows.values() if r.batch_id})
    users = get_user_model().objects.in_bulk(
        {r.recorded_by_id for r in rows.values() if r.recorded_by_id}
    )
    olds = []
    for pk, item in replaced:
        old = rows[pk]
        # What the log shows for each reference, without a query per row.
        old.condition, old.region, old.place = item.condition, item.region, item.place
        old.batch = batches.get(old.batch_id) if old.batch_id else None
        old.recorded_by = users.get(old.recorded_by_id) if old.recorded_by_id else None
        olds.append((old, item))
    return olds


def _log_corrections(
    user: User, batch: IngestBatch, olds: list[tuple[CaseCount, CountRow]], today: dt.date
) -> None:
    """One change-log entry per superseded count, as `audit.record` writes them, inserted
    together (a re-imported year of corrections is thousands of entries)."""
    context = current_context()
    actor = _actor(user)
    name = (actor.get_full_name() or actor.get_username()) if actor else context.client
    entries = []
    for old, item in olds:
        before = audit.snapshot(old)
        old.superseded_on = today
        entries.append(
            ChangeLog(
                actor=actor,
                actor_name=name,
                client=context.client,
                ip=context.ip,
                request_id=context.request_id,
                action="update",
                model=old._meta.label,
                object_id=str(old.pk),
                object_repr=str(old)[:300],
                enterprise_id=old.place_id,
                before=before,
                after=audit.snapshot(old),
                comment=_("Corrected from %(old)d to %(new)d in submission %(key)s.")
                % {"old": old.count, "new": item.count, "key": batch.key},
            )
        )
    ChangeLog.objects.bulk_create(entries, batch_size=CHUNK)


def _write_groups(user: User, groups: list[GroupRow], now: dt.datetime) -> dict[str, int]:
    tally = {"rows": len(groups), "created": 0, "replaced": 0, "unchanged": 0}
    for item in groups:
        outcome, _row = _write_group(user, item, now)
        tally[outcome] += 1
    return tally


def _write_group(user: User, item: GroupRow, now: dt.datetime) -> tuple[str, KeyGroupCount]:
    key = series_key(item.region.pk, item.place_id)
    existing = (
        KeyGroupCount.objects.order_by()
        .select_for_update(of=("self",))
        .filter(series_key=key, group=item.group, as_of=item.as_of)
        .first()
    )
    if existing is None:
        row = KeyGroupCount(
            region=item.region,
            place=item.place,
            group=item.group,
            count=item.count,
            as_of=item.as_of,
            source=item.source,
            recorded_by=_actor(user),
        )
        with transaction.atomic():
            row.save()
        audit.record(
            actor=user,
            action="create",
            instance=row,
            before=None,
            after=audit.snapshot(row),
            enterprise_id=row.place_id,
        )
        return "created", row
    if existing.count == item.count and existing.source == item.source:
        return "unchanged", existing
    before = audit.snapshot(existing)
    KeyGroupCount.objects.filter(pk=existing.pk).update(
        count=item.count, source=item.source, recorded_at=now, recorded_by=_actor(user)
    )
    existing.refresh_from_db()
    audit.record(
        actor=user,
        action="update",
        instance=existing,
        before=before,
        after=audit.snapshot(existing),
        enterprise_id=existing.place_id,
    )
    return "replaced", existing


@dataclass(frozen=True, kw_only=True)
class KeyGroupCountInput(Input):
    """One key-group count as an edge read it: the region (a record or its administrative
    code) and, for a key place's figure, the place (a record or its id); the key group's
    code, the number of people, the date the figure describes and where it comes from.
    Whether the user may submit for that region or place, whether the date is past and the
    number plausible, is the service's."""

    region: Region | str
    place: Enterprise | int | None = None
    group: str
    count: int
    as_of: dt.date
    source: str


def _group_row(data: KeyGroupCountInput) -> Row:
    """The input as a row of the key-group table (its values as given, nothing read again),
    for the checks every key-group count passes; the number's bounds are the table's."""
    place = data.place.pk if isinstance(data.place, Enterprise) else data.place
    row = given_row(
        GROUPS,
        {
            "region": data.region.code if isinstance(data.region, Region) else data.region,
            "place": None if place is None else str(place),
            "group": data.group,
            "count": data.count,
            "as_of": data.as_of,
            "source": data.source,
        },
    )
    try:
        GROUPS.by_key["count"].type.read(data.count, row.values)
    except CellError as error:
        row.error("count", str(error))
    return row


def key_group_count_record(
    *, user: User, data: KeyGroupCountInput, now: dt.datetime | None = None
) -> tuple[KeyGroupCount, str]:
    """Record one key-group count. A later count for the same series, group and date
    replaces it. Returns the row and "created", "replaced" or "unchanged"; ValidationFailed
    names the field."""
    now = now or timezone.now()
    who = reporter(user)
    if not who.may_submit:
        raise PermissionDenied(_("Your organisation and role may read surveillance data only."))
    try:
        _counts, groups = check(user, who, timezone.localdate(now), [], [_group_row(data)])
    except RowsInvalid as failure:
        raise ValidationFailed(
            failure.message, fields={e.field: e.message for e in failure.errors}
        ) from None
    for _attempt in range(ATTEMPTS):
        try:
            with transaction.atomic():
                outcome, row = _write_group(user, groups[0], now)
                return row, outcome
        except IntegrityError:
            continue  # the same count was created a moment ago: replace it instead
    raise Conflict()


# --- the catalogue -----------------------------------------------------------------------


@dataclass
class CatalogueChanges:
    created: list[str] = field(default_factory=list)
    updated: dict[str, dict[str, tuple[Any, Any]]] = field(default_factory=dict)
    deactivated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deactivated)


@transaction.atomic
def condition_catalogue_load(
    *, user: User | None = None, path: Path | str | None = None, dry_run: bool = False
) -> CatalogueChanges:
    """Bring `Condition` in line with the catalogue file: create new codes, update changed
    fields, deactivate codes no longer in the file (their counts and signals stay).
    Idempotent; each change is in the change log. `dry_run` says what would change.
    catalogue.CatalogueError (naming every problem) leaves everything as it was."""
    entries = catalogue.read(path)
    existing = {c.code: c for c in Condition.objects.select_for_update()}
    changes = CatalogueChanges()
    for entry in entries:
        condition = existing.get(entry.code)
        if condition is None:
            changes.created.append(entry.code)
            if not dry_run:
                condition = Condition.objects.create(code=entry.code, **entry.values)
                audit.record(
                    actor=user,
                    action="create",
                    instance=condition,
                    before=None,
                    after=audit.snapshot(condition),
                )
            continue
        diff = {
            name: (getattr(condition, name), value)
            for name, value in entry.values.items()
            if getattr(condition, name) != value
        }
        if not diff:
            changes.unchanged.append(entry.code)
            continue
        changes.updated[entry.code] = diff
        if not dry_run:
            before = audit.snapshot(condition)
            for name, (_old, value) in diff.items():
                setattr(condition, name, value)
            condition.save(update_fields=list(diff))
            audit.record(
                actor=user,
                action="update",
                instance=condition,
                before=before,
                after=audit.snapshot(condition),
                comment=_("Catalogue file"),
            )
    listed = {e.code for e in entries}
    for code, condition in sorted(existing.items()):
        if code in listed or not condition.is_active:
            continue
        changes.deactivated.append(code)
        if not dry_run:
            before = audit.snapshot(condition)
            condition.is_active = False
            condition.save(update_fields=["is_active"])
            audit.record(
                actor=user,
                action="update",
                instance=condition,
                before=before,
                after=audit.snapshot(condition),
                comment=_("No longer in the catalogue file"),
            )
    return changes
