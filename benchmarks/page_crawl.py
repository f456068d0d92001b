"""Benchmark: every page a user opens from the navigation, timed through Django's full request
stack, for a city user, a district user and a department user of an existing demo database.

Uses the database the app itself would (REDLINE_DATABASE_URL, or REDLINE_VAR_DIR's
redline.sqlite3) and the demo logins beside it (REDLINE_VAR_DIR/demo-logins.json, or
--logins). For each user: the links of the navigation menu of their home page, then, one level
deep, the first link of each other kind (URL name) found in those pages' content (a list's
first detail, a dashboard's sub-pages), and the pages --also names (by default the detection
evaluation page, which issue 16 names and no menu links to). Each page is timed: its first
request (cold: the first of the run for that page; with --fresh, in a new process warmed by
one other page) and the median and 90th percentile of --repeat more, with the queries of one
request and the median CPU time of this process (SQLite's work included; on a busy machine
the wall clock also counts waiting for a core). Prints a table per user, slowest median
first (files served for download -- exports -- are listed apart, timed once unless
--downloads, and not counted as pages), and a summary. Asserts nothing.

    REDLINE_DEMO=1 REDLINE_VAR_DIR=/tmp/city .venv/bin/python benchmarks/page_crawl.py \
        [--users city-admin,district-admin,dept-admin] [--repeat 5] [--only PATTERN] \
        [--depth 0|1] [--fresh] [--also epidemic:evaluation] [--top 15]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_USERS = "city-admin,district-admin,dept-admin"
DEFAULT_ALSO = "epidemic:evaluation"
GOAL_MS = 300.0
CPU = 0.0  # the CPU time of the last request (ms): this process's, SQLite's work included
# Links that are not pages to time: they act (sign out), switch a setting, or serve files.
SKIPPED_NAMES = {"logout", "set_language", "login", "javascript-catalog"}
SKIPPED_PREFIXES = ("/static/", "/media/", "/admin/")


class Links(HTMLParser):
    """The hrefs inside the first element with `class` containing `css` (the menu, the main
    content), in document order."""

    def __init__(self, tag: str, css: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tag, self.css = tag, css
        self.depth = 0  # > 0 while inside the element
        self.done = False
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if self.depth:
            if tag == self.tag:
                self.depth += 1
            if tag == "a" and values.get("href"):
                self.hrefs.append(values["href"] or "")
        elif not self.done and tag == self.tag:
            if self.css in (values.get("class") or "").split():
                self.depth = 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag == self.tag:
            self.depth -= 1
            self.done = self.depth == 0


def links_in(html: str, tag: str, css: str) -> list[str]:
    parser = Links(tag, css)
    parser.feed(html)
    return parser.hrefs


@dataclass
class Page:
    url: str
    name: str  # the URL's name (namespace:name)
    via: str  # "nav" or the URL name of the page it was found on
    cold_ms: float = 0.0
    median_ms: float = 0.0
    cpu_ms: float = 0.0  # the median CPU time of the process (a busy machine's wall clock)
    p90_ms: float = 0.0
    queries: int = 0
    status: int = 0
    kind: str = ""  # html, or the content type's subtype of anything else


def url_name(path: str) -> str | None:
    """The URL's name, or None for what is not a page of this site."""
    from django.urls import Resolver404, resolve

    if not path.startswith("/") or path.startswith(SKIPPED_PREFIXES):
        return None
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    name = match.view_name
    if not name or name in SKIPPED_NAMES:
        return None
    return name


def setup() -> None:
    # The demo's var dir has no collected static files; serving pages does not need them.
    warnings.filterwarnings("ignore", message="No directory at")
    os.environ.setdefault("REDLINE_DEMO", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "redline.settings")
    hosts = os.environ.get("REDLINE_ALLOWED_HOSTS", "")
    if "testserver" not in hosts.split(","):
        os.environ["REDLINE_ALLOWED_HOSTS"] = ",".join(h for h in (hosts, "testserver") if h)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def client_for(username: str) -> Any:
    from django.test import Client

    from redline.accounts.models import User

    client = Client(raise_request_exception=False)  # a failing page is a 500 in the table
    client.force_login(User.objects.get(username=username))
    return client


def request(client: Any, url: str) -> tuple[float, Any]:
    """(wall-clock ms, response); the request's CPU time is added to `CPU`."""
    global CPU
    started, cpu = time.perf_counter(), time.process_time()
    response = client.get(url)
    if getattr(response, "streaming", False):
        for _chunk in response.streaming_content:
            pass
    CPU = (time.process_time() - cpu) * 1000
    return (time.perf_counter() - started) * 1000, response


def counted(client: Any, url: str) -> int:
    """The queries of one request (counted as they run: a request's start resets the
    connection's own log)."""
    from django.db import connection

    queries = 0

    def count(execute: Any, sql: str, *args: Any) -> Any:
        nonlocal queries
        queries += 1
        return execute(sql, *args)

    with connection.execute_wrapper(count):
        request(client, url)
    return queries


def kind_of(response: Any) -> str:
    content_type = response.get("Content-Type", "")
    return "html" if "text/html" in content_type else content_type.split(";")[0].split("/")[-1]


def html_of(response: Any) -> str:
    if getattr(response, "streaming", False) or kind_of(response) != "html":
        return ""
    return str(response.content.decode(response.charset or "utf-8", "replace"))


def fresh_cold(username: str, url: str, warm: str) -> float:
    """The page's first request in a new process, after one request to another page (so
    Django's own first-request work is not counted)."""
    out = subprocess.run(
        [sys.executable, __file__, "--cold-one", username, url, warm],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ,
    )
    return float(out.stdout.strip().splitlines()[-1])


def crawl(username: str, args: argparse.Namespace) -> list[Page]:
    from django.urls import reverse

    client = client_for(username)
    home = "/"
    _ms, response = request(client, home)
    pages: dict[str, Page] = {}  # by URL name: one page of each kind
    order: list[tuple[str, str]] = []
    for href in links_in(html_of(response), "nav", "mainnav"):
        name = url_name(href)
        if name and name not in pages:
            order.append((href, "nav"))
            pages[name] = Page(href, name, "nav")
    for name in filter(None, args.also.split(",")):
        if name not in pages:
            href = reverse(name)
            pages[name] = Page(href, name, "--also")
            order.append((href, "--also"))
    only = re.compile(args.only) if args.only else None
    timed: list[Page] = []
    queue = list(order)
    while queue:
        href, via = queue.pop(0)
        page = pages[url_name(href) or ""]
        cold, response = request(client, href)
        page.cold_ms, page.status, page.kind = cold, response.status_code, kind_of(response)
        if via == "nav" and args.depth > 0:
            for link in links_in(html_of(response), "main", "content"):
                name = url_name(link)
                if name and name not in pages:
                    pages[name] = Page(link, name, page.name)
                    queue.append((link, page.name))
        if only and not (only.search(page.url) or only.search(page.name)):
            continue
        if page.kind != "html" and not args.downloads:
            page.median_ms = page.p90_ms = page.cold_ms  # timed once
            timed.append(page)
            continue
        if args.fresh:
            page.cold_ms = fresh_cold(username, href, home)
        page.queries = counted(client, href)
        samples, cpus = [], []
        for _ in range(args.repeat):
            samples.append(request(client, href)[0])
            cpus.append(CPU)
        samples.sort()
        page.median_ms = statistics.median(samples)
        page.cpu_ms = statistics.median(cpus)
        page.p90_ms = samples[max(0, round(len(samples) * 0.9) - 1)]
        timed.append(page)
    return timed


def table(pages: list[Page]) -> None:
    width = min(max([len(p.url) for p in pages] + [4]), 60)
    print(
        f"  {'page':<{width}} {'name':<34} {'cold ms':>8} {'median':>7} {'p90':>7} "
        f"{'cpu':>6} {'queries':>7} {'status':>6}  via"
    )
    for p in pages:
        url = p.url if len(p.url) <= width else p.url[: width - 1] + "…"
        kind = "" if p.kind == "html" else f" ({p.kind[:20]})"
        flag = "  > goal" if p.median_ms > GOAL_MS and p.kind == "html" else ""
        once = p.kind != "html" and not p.cpu_ms  # a download timed once: no more figures
        cpu, queries = ("-", "-") if once else (f"{p.cpu_ms:.0f}", str(p.queries))
        print(
            f"  {url:<{width}} {p.name[:34]:<34} {p.cold_ms:>8.0f} {p.median_ms:>7.0f} "
            f"{p.p90_ms:>7.0f} {cpu:>6} {queries:>7} {p.status:>6}  {p.via}{kind}{flag}"
        )


def report(username: str, pages: list[Page], top: int) -> None:
    pages = sorted(pages, key=lambda p: p.median_ms, reverse=True)
    html = [p for p in pages if p.kind == "html"]
    files = [p for p in pages if p.kind != "html"]
    table(html[:top] if top else html)
    if files:
        print("  downloads (not counted as pages):")
        table(files)
    over = [p for p in html if p.median_ms > GOAL_MS]
    print(
        f"-- {username}: {len(html)} pages, {len(over)} over {GOAL_MS:.0f} ms median"
        + (f"; slowest {html[0].name}, {html[0].median_ms:.0f} ms" if html else "")
        + (
            f"; slowest cold {max(html, key=lambda p: p.cold_ms).name}, "
            f"{max(p.cold_ms for p in html):.0f} ms"
            if html
            else ""
        )
    )


def cold_one(username: str, url: str, warm: str) -> None:
    setup()
    client = client_for(username)
    request(client, warm)
    print(f"{request(client, url)[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default=DEFAULT_USERS, help="Comma-separated usernames.")
    parser.add_argument("--repeat", type=int, default=5, help="Timed requests after the first.")
    parser.add_argument("--only", default="", help="Time only pages whose URL or name matches.")
    parser.add_argument("--depth", type=int, choices=(0, 1), default=1)
    parser.add_argument("--fresh", action="store_true", help="Each cold figure in a new process.")
    parser.add_argument(
        "--downloads", action="store_true", help="Time downloads (exports) --repeat times too."
    )
    parser.add_argument("--top", type=int, default=0, help="Show only the N slowest per user.")
    parser.add_argument(
        "--also", default=DEFAULT_ALSO, help="URL names to time besides the crawled pages."
    )
    parser.add_argument("--logins", default="", help="Default: REDLINE_VAR_DIR/demo-logins.json.")
    parser.add_argument(
        "--cold-one", nargs=3, metavar=("USER", "URL", "WARM"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.cold_one:
        cold_one(*args.cold_one)
        return
    setup()
    from django.conf import settings
    from django.db import connection

    logins_path = Path(args.logins or Path(settings.VAR_DIR) / "demo-logins.json")
    logins = {entry["username"]: entry for entry in json.loads(logins_path.read_text())}
    print(
        f"database: {connection.vendor} {settings.DATABASES['default']['NAME']}; "
        f"logins: {logins_path}; {args.repeat} timed requests per page after the first"
        f"{'; cold in a fresh process' if args.fresh else ''}; load {os.getloadavg()[0]:.2f}"
    )
    totals: list[tuple[str, list[Page]]] = []
    for username in args.users.split(","):
        entry = logins.get(username)
        if entry is None:
            sys.exit(f"{username} is not in {logins_path}")
        print(
            f"\n== {username}: {entry['organisation']} (level {entry['level']}, "
            f"roles {', '.join(entry['roles'])})"
        )
        pages = crawl(username, args)
        report(username, pages, args.top)
        totals.append((username, pages))
    print("\nsummary")
    everything = [p for _u, pages in totals for p in pages if p.kind == "html"]
    over = [p for p in everything if p.median_ms > GOAL_MS]
    for username, pages in totals:
        pages = [p for p in pages if p.kind == "html"]
        slow = [p for p in pages if p.median_ms > GOAL_MS]
        print(f"  {username:<16} {len(pages):>4} pages, {len(slow):>3} over {GOAL_MS:.0f} ms")
    print(
        f"  {'all':<16} {len(everything):>4} pages, {len(over):>3} over {GOAL_MS:.0f} ms; "
        f"load {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
