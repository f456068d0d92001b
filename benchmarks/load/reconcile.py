"""After the run: does the database hold exactly what the load users were told it accepted?

Each check is (name, passed, detail). Reads the journal the locust users wrote (one line per
accepted submission) and the load database (Django set up on it).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

Check = tuple[str, bool, str]


def read_journal(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _stored(entry: dict[str, Any]) -> str:
    """The key as the services store it: namespaced by the user."""
    return f"{entry['user_id']}:{entry['key']}"


# --- hazards reported --------------------------------------------------------------------


def hazard_checks(entries: list[dict[str, Any]], run: str) -> list[Check]:
    from django.db.models import Count

    from redline.hazards.models import Hazard, HazardEvent

    reports = [e for e in entries if e["kind"] == "hazard"]
    answered: dict[str, set[int]] = defaultdict(set)
    for entry in reports:
        answered[_stored(entry)].add(entry["id"])
    split = {k: ids for k, ids in answered.items() if len(ids) != 1}
    checks: list[Check] = [
        (
            "hazards: every answer to one key names one hazard",
            not split,
            f"{len(answered)} keys answered ({len(reports)} answers, "
            f"{sum(e['retry'] for e in reports)} to retries); "
            f"keys answered with different ids: {len(split)} {list(split.items())[:3]}",
        )
    ]
    found: dict[str, list[int]] = defaultdict(list)
    keys = list(answered)
    for start in range(0, len(keys), 1000):
        rows = Hazard.objects.filter(idempotency_key__in=keys[start : start + 1000])
        for key, pk in rows.values_list("idempotency_key", "pk"):
            found[key].append(pk)
    wrong = [
        (k, sorted(ids), found.get(k, []))
        for k, ids in answered.items()
        if found.get(k, []) != sorted(ids)
    ]
    checks.append(
        (
            "hazards: each answered key is exactly one hazard, the one answered",
            not wrong,
            f"{len(keys) - len(wrong)} of {len(keys)} keys; wrong: {len(wrong)} {wrong[:3]}",
        )
    )
    shared = (
        Hazard.objects.exclude(idempotency_key=None)
        .values("idempotency_key")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count()
    )
    checks.append(("hazards: no two hazards share a key", shared == 0, f"{shared} shared keys"))
    ours = Hazard.objects.filter(idempotency_key__contains=f":load-{run}-")
    made = ours.count()
    reports_events = Counter(
        HazardEvent.objects.filter(hazard__in=ours, action="report").values_list(
            "hazard_id", flat=True
        )
    )
    not_one = [pk for pk in ours.values_list("pk", flat=True) if reports_events.get(pk) != 1]
    checks.append(
        (
            "hazards: each hazard of the run has one report on its timeline",
            not not_one,
            f"{made} hazards with this run's keys ({made - len(answered)} never answered to "
            f"the client: a timed-out request); without exactly one report: {not_one[:5]}",
        )
    )
    return checks


# --- steps taken -------------------------------------------------------------------------


def step_checks(
    entries: list[dict[str, Any]], during: tuple[Any, Any], unanswered: int
) -> list[Check]:
    """`during`: the run's start and end; `unanswered`: step requests the client got no
    answer to (no connection, 5xx): the server may have taken them."""
    from redline.hazards.models import HazardEvent

    steps = [e for e in entries if e["kind"] == "step"]
    from_version = Counter((e["hazard"], e["version_sent"]) for e in steps)
    twice = [k for k, n in from_version.items() if n > 1]
    checks: list[Check] = [
        (
            "steps: no two accepted steps started from the same version of a hazard",
            not twice,
            f"{len(steps)} steps accepted on {len({e['hazard'] for e in steps})} hazards; "
            f"(hazard, version) accepted twice: {twice[:5]}",
        )
    ]
    accepted = Counter((e["hazard"], e["action"], e["user_id"]) for e in steps)
    hazards = {e["hazard"] for e in steps}
    actors = {e["user_id"] for e in steps}
    recorded: Counter[tuple[int, str, int]] = Counter()
    ids = sorted(hazards)
    for start in range(0, len(ids), 1000):
        rows = HazardEvent.objects.filter(
            hazard_id__in=ids[start : start + 1000],
            at__range=during,
            actor_id__in=actors,
            action__in={e["action"] for e in steps},
        ).values_list("hazard_id", "action", "actor_id")
        recorded.update(rows)
    lost = [(k, n, recorded[k]) for k, n in accepted.items() if recorded[k] < n]
    extra = sum(max(0, n - accepted[k]) for k, n in recorded.items())
    checks.append(
        (
            "steps: each accepted step is on its hazard's timeline (none lost, none doubled)",
            not lost and extra <= unanswered,
            f"lost (hazard, action, user), accepted, on the timeline: {lost[:5]}; on the "
            f"timeline without an answer: {extra} (requests unanswered: {unanswered})",
        )
    )
    return checks


# --- case counts -------------------------------------------------------------------------


def count_checks(entries: list[dict[str, Any]]) -> list[Check]:
    from django.db.models import Count

    from redline.epidemic.models import CaseCount, Condition, IngestBatch, series_key
    from redline.organisations.models import Enterprise, Region

    uploads = [e for e in entries if e["kind"] == "counts"]
    by_key: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in uploads:
        by_key[_stored(entry)].append(entry)
    differing = [
        k for k, same in by_key.items() if len({json.dumps(e["result"]) for e in same}) != 1
    ]
    checks: list[Check] = [
        (
            "counts: a retried batch answers the first one's result",
            not differing,
            f"{len(by_key)} batches accepted ({sum(e['retry'] for e in uploads)} retries "
            f"answered); keys with different answers: {differing[:3]}",
        )
    ]
    batches = {b.key: b for b in IngestBatch.objects.filter(key__in=list(by_key))}
    written = dict(
        CaseCount.objects.filter(batch__in=list(batches.values()))
        .values("batch__key")
        .annotate(n=Count("pk"))
        .values_list("batch__key", "n")
    )
    bad = []
    for key, same in by_key.items():
        result = same[0]["result"]
        batch = batches.get(key)
        if batch is None:
            bad.append((key, "no batch"))
        elif batch.rows != len(same[0]["rows"]) or result["rows"] != batch.rows:
            bad.append((key, f"rows {batch.rows} != {len(same[0]['rows'])}"))
        elif written.get(key, 0) != result["created"] + result["corrected"]:
            bad.append((key, f"{written.get(key, 0)} rows written, answer {result}"))
    checks.append(
        (
            "counts: each accepted batch recorded once, with the rows it answered",
            not bad,
            f"{len(by_key) - len(bad)} of {len(by_key)} batches; wrong: {bad[:3]}",
        )
    )
    regions = dict(Region.objects.values_list("code", "pk"))
    place_regions = dict(Enterprise.objects.values_list("pk", "region_id"))
    conditions = dict(Condition.objects.values_list("code", "pk"))
    wanted: set[tuple[int, str, str]] = set()
    for entry in uploads:
        for row in entry["rows"]:
            place = row.get("place")
            region = place_regions[place] if place else regions[row["region"]]
            wanted.add((conditions[row["condition"]], series_key(region, place), row["date"]))
    current: Counter[tuple[int, str, str]] = Counter()
    series = sorted({w[1] for w in wanted})
    for start in range(0, len(series), 500):
        rows = (
            CaseCount.objects.current()
            .filter(series_key__in=series[start : start + 500])
            .values_list("condition_id", "series_key", "day")
        )
        current.update((c, s, d.isoformat()) for c, s, d in rows)
    not_one = [w for w in wanted if current[w] != 1]
    checks.append(
        (
            "counts: each accepted row's series and day has one current value",
            not not_one,
            f"{len(wanted)} series-days sent; without exactly one current value: {not_one[:5]}",
        )
    )
    duplicated = (
        CaseCount.objects.current()
        .values("condition_id", "series_key", "day")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count()
    )
    checks.append(
        (
            "counts: no series-day has two current values",
            duplicated == 0,
            f"{duplicated} duplicated",
        )
    )
    return checks


# --- the hazard tally --------------------------------------------------------------------


def tally_checks() -> list[Check]:
    """The tally against a recount from the hazards, and the city dashboard's totals (read
    from the tally) against counts of the hazards the city sees."""
    from django.db.models import Count, Q

    from redline.accounts.models import User
    from redline.hazards import selectors
    from redline.hazards.models import Hazard, HazardTally
    from redline.hazards.vocab import HazardLevel, HazardState

    fields = ("region_id", "level", "state", "listed", "sector", "unit_sectors", "unit_kind")
    recount: dict[tuple[Any, ...], tuple[int, int]] = {}
    closed = Q(state=HazardState.CLOSED, closed_at__isnull=False)
    for row in (
        Hazard.objects.order_by()
        .values(*fields)
        .annotate(n=Count("pk"), timed=Count("pk", filter=closed))
    ):
        recount[tuple(row[f] for f in fields)] = (row["n"], row["timed"])
    tally: dict[tuple[Any, ...], tuple[int, int]] = {}
    for row in HazardTally.objects.values(*fields, "count", "closed_timed"):
        if row["count"] or row["closed_timed"]:
            tally[tuple(row[f] for f in fields)] = (row["count"], row["closed_timed"])
    differ = [(k, tally.get(k), recount.get(k)) for k in tally.keys() | recount.keys()]
    differ = [d for d in differ if d[1] != d[2]]
    checks: list[Check] = [
        (
            "tally: every combination's count equals a recount of the hazards",
            not differ,
            f"{len(recount)} combinations, {sum(n for n, _t in recount.values())} hazards; "
            f"differing: {len(differ)} {differ[:3]}",
        )
    ]
    city = User.objects.select_related("organisation").get(username="city-viewer")
    shown = selectors.dashboard(city)["totals"]
    seen = Hazard.objects.restrict(city)
    open_states = HazardState.open_states()
    major = Q(level=HazardLevel.MAJOR)
    counted = seen.aggregate(
        total=Count("pk"),
        open_general=Count("pk", filter=Q(state__in=open_states) & ~major),
        open_major=Count("pk", filter=Q(state__in=open_states) & major),
        closed=Count("pk", filter=Q(state=HazardState.CLOSED)),
        listed_open=Count("pk", filter=Q(state__in=open_states, listed=True)),
        dismissed=Count("pk", filter=Q(state=HazardState.DISMISSED)),
    )
    wrong = {k: (shown[k], v) for k, v in counted.items() if shown[k] != v}
    checks.append(
        (
            "tally: the city dashboard's totals equal counts of the hazards",
            not wrong,
            f"{counted}; differing (dashboard, counted): {wrong}",
        )
    )
    return checks


def all_checks(
    journal: Path, *, run: str, during: tuple[Any, Any], unanswered_steps: int
) -> list[Check]:
    entries = read_journal(journal)
    return [
        *hazard_checks(entries, run),
        *step_checks(entries, during, unanswered_steps),
        *count_checks(entries),
        *tally_checks(),
    ]
