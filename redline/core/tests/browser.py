"""Browser-test plumbing shared by every browser journey: Debian's Chromium (never a
downloaded browser), the small demo city per test (built once per process, then put back
from its snapshot), a page that saves its final screenshot, and signing in through the login
form. The fixtures are registered in redline/conftest.py, so all browser tests share one
Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.servers.basehttp import WSGIServer
from django.test.testcases import LiveServerThread
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from redline.core.tests.snapshot import Snapshot


class OneRequestAtATime(WSGIServer):
    """The live server shares the test database's connection with the test (for SQLite an
    in-memory database). Serving one request at a time, in the server's thread (which
    already uses that connection), keeps a page's parallel requests (its photos, its
    scripts' fetches) from using it at once."""

    def __init__(self, *args, connections_override=None, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)


LiveServerThread.server_class = OneRequestAtATime

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "browser"
PASSWORD = "redline-demo"


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Browser:
    """Debian's Chromium, headless. Never a Playwright-downloaded browser."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's Chromium "
            "(`make chromium` installs it)",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def city(transactional_db, settings):
    """The small demo city in the test database; returns the demo logins by username."""
    # Cookies stay Secure, as in production: the live server is plain http://localhost,
    # which Chromium treats as a secure context, so Secure cookies still come back to it
    # and sign-in sticks without loosening SESSION_COOKIE_SECURE / CSRF_COOKIE_SECURE.
    # A fast hasher only for tests: the demo users' passwords are hashed when the city is
    # built, and every sign-in checks one; the production hasher would dominate run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from django.core.management import call_command

    from redline.organisations.demo import build

    if _CITY:  # built by an earlier journey of this process: put it back as it was built
        kept, logins = _CITY[0]
        kept.restore()
        return dict(logins)
    # Start from an empty database: in a full run the session-wide access-test world
    # (redline/conftest.py) is already committed there, and its users share the demo's
    # usernames. Transactional tests flush it at teardown anyway.
    call_command("flush", interactive=False, verbosity=0)
    built = {login.username: login for login in build(seed=1, scale="small", progress=print)}
    _CITY.append((Snapshot.take(), built))
    return dict(built)


# The small demo city as first built in this process, and its logins (`city`).
_CITY: list[tuple[Snapshot, dict[str, Any]]] = []


@pytest.fixture
def context(browser: Browser) -> BrowserContext:
    # Chromium asks for en-US; pages still come in zh-Hans until the user switches.
    ctx = browser.new_context(accept_downloads=True)
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext, request) -> Page:
    """A fresh page; its final state is saved as test-artifacts/browser/<test>.png."""
    new_page = context.new_page()
    yield new_page
    screenshot(new_page, request.node.originalname)


def screenshot(page: Page, name: str, *, full_page: bool = True) -> None:
    """The page as test-artifacts/browser/<name>.png. A full-page shot makes Chromium emulate
    a viewport as tall as the page for a moment (the page sees a resize); `full_page=False`
    takes the window as it is, for a state that a resize would change."""
    if page.is_closed():
        return
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


# -- helpers -------------------------------------------------------------------------------


def sign_in(page: Page, base: str, username: str, password: str = PASSWORD) -> None:
    """Through the login form; waits until the signed-in overview with its nav is there.

    (On a phone the nav sits behind the menu toggle, so it is attached, not visible.)
    """
    submit_login(page, base, username, password)
    expect(page).to_have_url(f"{base}/")
    expect(page.locator("nav.mainnav")).to_have_count(1)


def submit_login(page: Page, base: str, username: str, password: str):
    """Fill and submit the login form once; the response of the submission."""
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation() as navigation:
        page.click(".login form button[type=submit]")
    return navigation.value
