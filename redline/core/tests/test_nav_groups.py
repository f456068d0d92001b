"""The main menu in groups (`redline.core.context_processors`): what each user sees is the
flat list of `nav_items` (tests in test_sections.py), shown in the menu's groups, in order;
a group holding none of a user's links is not shown, a group of one link shows as that
link, and the group of the current page is marked.

The users are the demo's roles on the access-test city (test_sections.py `roles`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from redline.conftest import login
from redline.core.context_processors import MENU_GROUPS, group_navigation
from redline.core.tests.test_sections import roles  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

# The city's administrator sees every group, in this order, with these links in each.
CITY_ADMIN = [
    ("overview", ["home"]),
    ("base", ["regions", "enterprises", "parks"]),
    ("prevention", ["riskmap", "hazards", "inspections", "tasks", "campaigns"]),
    ("supervision", ["accidents", "training", "committee", "assessment"]),
    ("analysis", ["cockpit", "reports"]),
    ("epidemic", ["epidemic", "medical"]),
    ("system", ["audit", "tokens"]),
]
# A unit's account: no analysis, no epidemic, and accidents and API tokens alone in theirs.
ENTERPRISE = [
    ("overview", ["home"]),
    ("base", ["regions", "enterprises", "parks"]),
    ("prevention", ["riskmap", "hazards", "inspections", "tasks", "campaigns"]),
    ("supervision", ["accidents"]),
    ("system", ["tokens"]),
]
# The city CDC: the base data and the epidemic.
CDC = [
    ("overview", ["home"]),
    ("base", ["regions", "enterprises"]),
    ("epidemic", ["epidemic", "medical"]),
    ("system", ["tokens"]),
]


@dataclass
class Entry:
    """A top-level entry of the rendered menu: a link, or a group of links."""

    kind: str  # "link" or "group"
    id: str = ""
    classes: list[str] = field(default_factory=list)
    # (href, aria-current) of each link; a plain link has one.
    links: list[tuple[str, str | None]] = field(default_factory=list)


class MenuParser(HTMLParser):
    """The entries of `nav.mainnav` in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[Entry] = []
        self.in_nav = False
        self.group: Entry | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        classes = (attr.get("class") or "").split()
        if tag == "nav" and "mainnav" in classes:
            self.in_nav = True
        elif not self.in_nav:
            return
        elif tag == "details":
            self.group = Entry("group", attr.get("id") or "", classes)
            self.entries.append(self.group)
        elif tag == "a":
            link = (attr.get("href") or "", attr.get("aria-current"))
            if self.group is not None:
                self.group.links.append(link)
            else:
                self.entries.append(Entry("link", classes=classes, links=[link]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav":
            self.in_nav = False
        elif tag == "details":
            self.group = None


def menu(body: bytes) -> list[Entry]:
    parser = MenuParser()
    parser.feed(body.decode())
    return parser.entries


def shown(response) -> list[tuple[str, list[str]]]:
    return [(g.key, [link.key for link in g.links]) for g in response.context["nav_groups"]]


# -- the grouping alone ------------------------------------------------------------------


def test_every_group_is_named_once_and_every_entry_belongs_to_one_group():
    groups = [key for key, _label, _keys in MENU_GROUPS]
    entries = [key for _group, _label, keys in MENU_GROUPS for key in keys]
    assert len(set(groups)) == len(groups)
    assert len(set(entries)) == len(entries)


def test_grouping_keeps_the_groups_order_and_leaves_out_empty_groups():
    items = [
        ("/tokens/", "API tokens", "tokens"),
        ("/hazards/", "Hidden hazards", "hazards"),
        ("/", "Overview", "home"),
        ("/campaigns/", "Special rectification", "campaigns"),
        ("/risk-map/", "Risk map", "riskmap"),
    ]
    groups = group_navigation(items, "campaigns")
    assert [(g.key, [link.key for link in g.links]) for g in groups] == [
        ("overview", ["home"]),
        ("prevention", ["riskmap", "hazards", "campaigns"]),
        ("system", ["tokens"]),
    ]
    assert [g.current for g in groups] == [False, True, False]
    assert [link.current for link in groups[1].links] == [False, False, True]
    assert groups[0].single == ("/", "Overview", "home", False)
    assert groups[1].single is None


def test_an_entry_in_no_group_is_an_error_not_a_missing_link():
    with pytest.raises(ValueError, match="stray"):
        group_navigation([("/x/", "X", "stray")])


# -- what users are shown ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "expected"),
    [("cityhall-admin", CITY_ADMIN), ("ent-viewer", ENTERPRISE), ("cdc_city-viewer", CDC)],
)
def test_each_user_sees_their_links_in_groups(client, roles, username, expected):  # noqa: F811
    login(client, username)
    home = client.get("/")
    assert home.status_code == 200
    assert shown(home) == expected
    # The groups hold exactly the flat menu's links.
    flat = sorted(key for _url, _label, key in home.context["nav_items"])
    assert sorted(key for _group, keys in expected for key in keys) == flat
    # Rendered: a group of several links drops down, a group of one is that link.
    entries = menu(home.content)
    assert [e.id or e.kind for e in entries] == [
        f"navgroup-{group}" if len(keys) > 1 else "link" for group, keys in expected
    ]
    assert [len(e.links) for e in entries] == [len(keys) for _group, keys in expected]
    # Only the overview, on the overview, is the current page.
    current = [href for e in entries for href, mark in e.links if mark == "page"]
    assert current == ["/"]


def test_the_group_of_the_current_page_is_marked(client, roles):  # noqa: F811
    login(client, "cityhall-inspector")
    page = client.get("/hazards/")
    assert page.status_code == 200
    entries = {e.id: e for e in menu(page.content) if e.kind == "group"}
    marked = [key for key, e in entries.items() if "current" in e.classes]
    assert marked == ["navgroup-prevention"]
    assert [href for href, mark in entries["navgroup-prevention"].links if mark == "page"] == [
        "/hazards/"
    ]
    assert not any(mark for key, e in entries.items() if key != marked[0] for _h, mark in e.links)


def test_a_single_link_group_marks_its_link(client, roles):  # noqa: F811
    login(client, "ent-viewer")
    page = client.get("/accidents/")
    assert page.status_code == 200
    entries = menu(page.content)
    assert not any("current" in e.classes for e in entries if e.kind == "group")
    current = [href for e in entries for href, mark in e.links if mark == "page"]
    assert current == ["/accidents/"]
