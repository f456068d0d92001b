"""The load scenario: people of every kind using the served city at once, over the API with
their personal tokens (and a few on the web pages with a signed-in session).

Run by `benchmarks/load/run.py`, which creates the tokens and writes them, with what the
users need to know about the city, to the JSON file named by LOAD_FIXTURES. Every accepted
submission (a hazard reported, a step taken, a batch of case counts) is appended to the
JSONL file the fixtures name, for the reconciliation after the run; the outcome of every
request by kind (ok, conflict, 5xx, no answer, failure) is written to LOAD_OUTCOMES at the
end.

The mix, by user class (weights):
- readers (10): the hazard ledger with filters and pages, one hazard, the dashboard,
  inspection tasks, units, early-warning signals;
- web (2): signed in on the web: the ledger, the dashboard, a hazard's page;
- reporters (5): a unit's operators report hazards with an `Idempotency-Key` (sometimes
  sent again, in turn or at the same moment, as a client retrying would) and move their
  unit's hazards on (fix on the spot, deadline, plan, submit);
- unit managers (2): accept or reject rectifications;
- government (2): district, city and department inspectors: set deadlines, accept, list
  major hazards for supervision, dismiss public reports, sign off;
- uploaders (2): public-health bodies and a key place post batches of daily case counts
  (sometimes sent again with the same key).

A 409 (someone acted on the hazard first, or concurrent corrections of the same counts) is
an expected outcome, counted apart from failures.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import re
import uuid
from collections import Counter
from functools import cache
from typing import Any

import gevent
from locust import HttpUser, between, events, task
from locust.contrib.fasthttp import FastHttpUser

API = "/api/v1"
OUTCOMES: Counter[tuple[str, str]] = Counter()

NAMES = [
    ("储罐区防火堤破损", "防火堤东侧有一处裂缝，宽约2厘米。"),
    ("配电室挡鼠板缺失", "配电室门口未设置挡鼠板。"),
    ("安全出口堵塞", "车间东侧安全出口被货物堵塞。"),
    ("可燃气体报警器失效", "装置区两台可燃气体报警器未标定，显示异常。"),
    ("灭火器过期", "仓库三具干粉灭火器超过检验期。"),
    ("动火作业票不全", "检修动火作业未办理作业票。"),
    ("压力表超期未检", "反应釜压力表超过检定周期。"),
    ("应急照明损坏", "二楼走廊应急照明灯不亮。"),
]


@cache
def fixtures() -> dict[str, Any]:
    path = os.environ.get("LOAD_FIXTURES")
    if not path:
        raise RuntimeError("LOAD_FIXTURES names no file: run benchmarks/load/run.py")
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


@cache
def _journal() -> Any:
    return open(fixtures()["journal"], "a", buffering=1, encoding="utf-8")


def journal(entry: dict[str, Any]) -> None:
    """One accepted submission, one line."""
    _journal().write(json.dumps(entry, ensure_ascii=False) + "\n")


@events.test_stop.add_listener
def _write_outcomes(**_kwargs: Any) -> None:
    path = os.environ.get("LOAD_OUTCOMES")
    if path:
        rows = [{"kind": k, "outcome": o, "n": n} for (k, o), n in sorted(OUTCOMES.items())]
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(rows, handle, indent=1)


def _classify(kind: str, response: Any, expected: tuple[int, ...]) -> str:
    status = response.status_code or 0
    if status in expected:
        outcome = "ok"
    elif status == 409:
        outcome = "conflict"
    elif status >= 500:
        outcome = "5xx"
    elif status == 0:
        outcome = "no answer"  # the connection failed: the server may have acted
    else:
        outcome = "failure"
    OUTCOMES[(kind, outcome)] += 1
    if outcome in ("ok", "conflict"):
        response.success()
    elif status == 0:
        response.failure(f"{kind}: no answer: {getattr(response, 'error', None)!r}"[:300])
    else:
        response.failure(f"{kind}: HTTP {status} {str(response.text or '')[:300]}")
    return outcome


class Identity:
    """Which fixture entry a user of a class takes: each class in turn through its group."""

    group = ""
    _turns: dict[str, itertools.count[int]] = {}

    def identity(self) -> dict[str, Any]:
        people = fixtures()[self.group]
        turn = self._turns.setdefault(self.group, itertools.count())
        return people[next(turn) % len(people)]


class ApiUser(Identity, FastHttpUser):
    abstract = True
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        self.me = self.identity()
        self.auth = {"Authorization": f"Bearer {self.me['token']}"}
        self.seen: list[int] = []

    def call(
        self,
        method: str,
        path: str,
        kind: str,
        *,
        expected: tuple[int, ...] = (200,),
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> tuple[str, Any]:
        """One request; (outcome, the response's JSON or None)."""
        with self.client.request(
            method,
            API + path,
            name=kind,
            headers=self.auth | (headers or {}),
            catch_response=True,
            **kwargs,
        ) as response:
            outcome = _classify(kind, response, expected)
            body = None
            if outcome == "ok":
                try:
                    body = response.json()
                except ValueError:
                    response.failure(f"{kind}: not JSON")
                    OUTCOMES[(kind, "ok")] -= 1
                    OUTCOMES[(kind, "failure")] += 1
                    return "failure", None
            return outcome, body

    # --- reads shared by every kind of user -------------------------------------------

    def hazard_page(self, kind: str = "GET /hazards (ledger)", **filters: Any) -> list[Any]:
        _outcome, body = self.call("GET", "/hazards", kind, params=filters)
        items = body["items"] if body else []
        self.seen = ([h["id"] for h in items] + self.seen)[:60]
        return items

    def one_hazard(self) -> None:
        if self.seen:
            self.call("GET", f"/hazards/{random.choice(self.seen)}", "GET /hazards/{id}")
        else:
            self.hazard_page(page_size=20)

    def take_step(self, hazard: dict[str, Any], action: str, **fields: Any) -> str:
        """POST a step with the version read; journal it when accepted."""
        outcome, body = self.call(
            "POST",
            f"/hazards/{hazard['id']}/steps/{action}",
            "POST /hazards/{id}/steps/{action}",
            json={"version": hazard["version"], **fields},
        )
        if outcome == "ok" and body:
            journal(
                {
                    "kind": "step",
                    "hazard": hazard["id"],
                    "action": action,
                    "user_id": self.me["user_id"],
                    "version_sent": hazard["version"],
                    "version": body["version"],
                    "state": body["state"],
                }
            )
        return outcome


def _today() -> dt.date:
    return dt.date.fromisoformat(fixtures()["today"])


def _later(days: int) -> str:
    return (_today() + dt.timedelta(days=days)).isoformat()


def _with_unit(hazard: dict[str, Any]) -> bool:
    return hazard["enterprise"] is not None


def _pick(items: list[Any], test: Any = None) -> Any:
    chosen = [i for i in items if test is None or test(i)]
    return random.choice(chosen) if chosen else None


# --- readers -----------------------------------------------------------------------------


class Reader(ApiUser):
    group = "readers"
    weight = 10

    @task(6)
    def ledger(self) -> None:
        f = fixtures()
        filters: dict[str, Any] = {"page": random.randint(1, 5), "page_size": 20}
        choice = random.random()
        if choice < 0.3:
            filters["state"] = random.choice(["open", "reported", "rectifying", "closed"])
        elif choice < 0.5:
            filters |= {"state": "open", "level": "major"}
        elif choice < 0.6:
            filters["overdue"] = "true"
        elif choice < 0.8:
            filters["sector"] = random.choice(f["sectors"])
        self.hazard_page(**filters)

    @task(4)
    def hazard(self) -> None:
        self.one_hazard()

    @task(2)
    def dashboard(self) -> None:
        self.call("GET", "/hazards/dashboard", "GET /hazards/dashboard")

    @task(2)
    def inspection_tasks(self) -> None:
        params: dict[str, Any] = {"page": random.randint(1, 3)}
        if random.random() < 0.5:
            params["status"] = random.choice(["due", "missed", "upcoming"])
        self.call("GET", "/tasks", "GET /tasks", params=params)

    @task(2)
    def enterprises(self) -> None:
        params: dict[str, Any] = {"page": random.randint(1, 5)}
        if random.random() < 0.4:
            params["sector"] = random.choice(fixtures()["sectors"])
        self.call("GET", "/enterprises", "GET /enterprises", params=params)

    @task(1)
    def signals(self) -> None:
        params: dict[str, Any] = {"page": 1}
        if random.random() < 0.5:
            params["state"] = "open"
        self.call("GET", "/epidemic/signals", "GET /epidemic/signals", params=params)


# --- web pages ---------------------------------------------------------------------------


class WebReader(Identity, HttpUser):
    """A signed-in browser: the ledger, the dashboard and a hazard's page."""

    group = "web"
    weight = 2
    wait_time = between(1, 3)

    def on_start(self) -> None:
        me = self.identity()
        self.ids: list[int] = []
        with self.client.get(
            "/accounts/login/", name="web sign-in page", catch_response=True
        ) as response:
            if _classify("web sign-in page", response, (200,)) != "ok":
                return
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text)
        base = self.host.rstrip("/")
        with self.client.post(
            "/accounts/login/",
            data={
                "csrfmiddlewaretoken": token.group(1) if token else "",
                "username": me["username"],
                "password": me["password"],
            },
            headers={"Referer": base + "/accounts/login/"},
            name="web sign-in",
            catch_response=True,
        ) as response:
            if "/accounts/login/" not in response.url:
                _classify("web sign-in", response, (200,))
            else:
                OUTCOMES[("web sign-in", "failure")] += 1
                response.failure(f"{me['username']}: still on the sign-in page")

    def page(self, path: str, kind: str) -> str:
        with self.client.get(path, name=kind, catch_response=True) as response:
            if _classify(kind, response, (200,)) != "ok":
                return ""
            return response.text

    @task(3)
    def ledger(self) -> None:
        page = random.randint(1, 3)
        text = self.page(f"/hazards/?state=open&page={page}", "web /hazards/")
        found = [int(i) for i in re.findall(r'href="/hazards/(\d+)/"', text)]
        self.ids = (found + self.ids)[:40]

    @task(2)
    def dashboard(self) -> None:
        self.page("/hazards/dashboard/", "web /hazards/dashboard/")

    @task(2)
    def hazard(self) -> None:
        if self.ids:
            self.page(f"/hazards/{random.choice(self.ids)}/", "web /hazards/{id}/")
        else:
            self.ledger()


# --- a unit's people ---------------------------------------------------------------------


class Reporter(ApiUser):
    """A unit's operator: reports hazards and moves the unit's hazards on."""

    group = "reporters"
    weight = 5

    def report_body(self) -> dict[str, Any]:
        f = fixtures()
        name, description = random.choice(NAMES)
        return {
            "enterprise": self.me["enterprise"],
            "name": name,
            "description": description,
            "hazard_type": random.choice(f["hazard_types"]),
            "level": "major" if random.random() < 0.1 else "general",
            "classification": random.choice(f["classifications"]),
            "location": random.choice(["一车间", "二号罐区", "仓库", "配电室", "办公楼"]),
        }

    def send_report(
        self, body: dict[str, Any], key: str, kind: str, expected: tuple[int, ...]
    ) -> str:
        outcome, answer = self.call(
            "POST",
            "/hazards",
            kind,
            expected=expected,
            json=body,
            headers={"Idempotency-Key": key},
        )
        if outcome == "ok" and answer:
            journal(
                {
                    "kind": "hazard",
                    "key": key,
                    "user_id": self.me["user_id"],
                    "id": answer["id"],
                    "retry": kind.endswith("(retry)"),
                }
            )
        return outcome

    @task(5)
    def report(self) -> None:
        body = self.report_body()
        key = f"load-{fixtures()['run']}-{uuid.uuid4().hex}"
        roll = random.random()
        if roll < 0.05:
            # A client that timed out and sent again at once: both requests in flight, one
            # creates the hazard (201), the other answers it (200), whichever comes first.
            either = (200, 201)
            first = gevent.spawn(self.send_report, body, key, "POST /hazards", either)
            second = gevent.spawn(self.send_report, body, key, "POST /hazards (retry)", either)
            gevent.joinall([first, second])
            return
        created = self.send_report(body, key, "POST /hazards", (201,))
        if roll < 0.2 and created == "ok":
            self.send_report(body, key, "POST /hazards (retry)", (200,))

    @task(5)
    def move_on(self) -> None:
        unit = self.me["enterprise"]
        if random.random() < 0.5:
            hazards = self.hazard_page(
                "GET /hazards (to act)", state="reported", unit=unit, page_size=20
            )
            hazard = _pick(hazards)
            if hazard is None:
                return
            if hazard["level"] == "major":
                self.take_step(
                    hazard,
                    "plan",
                    plan_responsible="安全主任",
                    plan_measures="更换损坏部件，加强日常巡检。",
                    plan_funds="1.5",
                    plan_deadline=_later(30),
                    plan_contingency="设置警戒区，安排专人值守。",
                )
            elif random.random() < 0.5:
                self.take_step(hazard, "fix_on_spot", comment="已现场整改。")
            else:
                self.take_step(hazard, "assign", deadline=_later(14))
        else:
            hazards = self.hazard_page(
                "GET /hazards (to act)", state="rectifying", unit=unit, page_size=20
            )
            hazard = _pick(hazards)
            if hazard is not None:
                photo = {"name": "rectified.jpg", "content_base64": fixtures()["photo"]}
                self.take_step(hazard, "submit", comment="整改完成，请验收。", photos=[photo])

    @task(2)
    def read(self) -> None:
        self.one_hazard()


class UnitManager(ApiUser):
    """A unit's manager: accepts (or now and then rejects) the rectifications."""

    group = "managers"
    weight = 2

    @task(4)
    def accept(self) -> None:
        hazards = self.hazard_page(
            "GET /hazards (to act)", state="awaiting", unit=self.me["enterprise"], page_size=20
        )
        hazard = _pick(hazards)
        if hazard is None:
            return
        if random.random() < 0.15:
            self.take_step(hazard, "reject", comment="整改不到位，请重新整改。")
        else:
            self.take_step(hazard, "accept")

    @task(2)
    def read(self) -> None:
        if random.random() < 0.5:
            self.call("GET", "/hazards/dashboard", "GET /hazards/dashboard")
        else:
            self.one_hazard()


# --- government --------------------------------------------------------------------------


class Government(ApiUser):
    """A district, city or department inspector acting on the hazards they supervise."""

    group = "government"
    weight = 2

    @task(3)
    def act(self) -> None:
        acts = self.me["acts"]
        action = random.choice(acts)
        if action == "assign":
            hazards = self.hazard_page(
                "GET /hazards (to act)", state="reported", level="general", page_size=20
            )
            hazard = _pick(hazards, _with_unit)
            if hazard:
                self.take_step(hazard, "assign", deadline=_later(10))
        elif action == "accept":
            hazards = self.hazard_page("GET /hazards (to act)", state="awaiting", page_size=20)
            hazard = _pick(hazards, _with_unit)
            if hazard:
                self.take_step(hazard, "accept")
        elif action == "sign_off":
            hazards = self.hazard_page("GET /hazards (to act)", state="signoff", page_size=20)
            hazard = _pick(hazards, _with_unit)
            if hazard:
                self.take_step(hazard, "sign_off")
        elif action == "list":
            hazards = self.hazard_page(
                "GET /hazards (to act)",
                state="open",
                level="major",
                listed="false",
                page=random.randint(1, 3),
                page_size=20,
            )
            hazard = _pick(hazards, _with_unit)
            if hazard:
                self.take_step(
                    hazard, "list", comment="挂牌督办。", supervision_deadline=_later(60)
                )
        elif action == "dismiss":
            hazards = self.hazard_page(
                "GET /hazards (to act)", state="reported", source="public", page_size=20
            )
            hazard = _pick(hazards)
            if hazard:
                self.take_step(hazard, "dismiss", comment="经核查，举报不实。")

    @task(2)
    def read(self) -> None:
        if random.random() < 0.5:
            self.call("GET", "/hazards/dashboard", "GET /hazards/dashboard")
        else:
            self.one_hazard()


# --- surveillance data -------------------------------------------------------------------


class Uploader(ApiUser):
    """A public-health body (or a key place) posting batches of daily case counts."""

    group = "uploaders"
    weight = 2

    def rows(self) -> list[dict[str, Any]]:
        f = fixtures()
        wanted = random.randint(1, 30)
        taken: set[tuple[str, Any, str]] = set()
        rows = []
        for _ in range(wanted * 2):
            condition = random.choice(f["conditions"])
            day = (_today() - dt.timedelta(days=random.randint(1, 45))).isoformat()
            if self.me["regions"] and (not self.me["places"] or random.random() < 0.7):
                row: dict[str, Any] = {"region": random.choice(self.me["regions"])}
            else:
                place, region = random.choice(self.me["places"])
                row = {"place": place, "region": region}
            ident = (condition, row.get("place") or row["region"], day)
            if ident in taken:
                continue
            taken.add(ident)
            rows.append(row | {"condition": condition, "date": day, "count": random.randint(0, 40)})
            if len(rows) == wanted:
                break
        return rows

    def send(self, rows: list[dict[str, Any]], key: str, kind: str, retry: bool) -> str:
        outcome, answer = self.call(
            "POST",
            "/epidemic/counts",
            kind,
            expected=(200,) if retry else (201,),
            json={"rows": rows},
            headers={"Idempotency-Key": key},
        )
        if outcome == "ok" and answer:
            journal(
                {
                    "kind": "counts",
                    "key": key,
                    "user_id": self.me["user_id"],
                    "rows": rows,
                    "result": answer,
                    "retry": retry,
                }
            )
        return outcome

    @task(4)
    def upload(self) -> None:
        rows = self.rows()
        key = f"load-{fixtures()['run']}-{uuid.uuid4().hex}"
        created = self.send(rows, key, "POST /epidemic/counts", False)
        if random.random() < 0.15 and created == "ok":
            self.send(rows, key, "POST /epidemic/counts (retry)", True)

    @task(1)
    def read(self) -> None:
        self.call("GET", "/epidemic/signals", "GET /epidemic/signals", params={"state": "open"})
