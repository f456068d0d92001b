"""Shared test fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# The browser journeys' fixtures (one Chromium for the whole session, the demo city, pages).
from redline.core.tests.browser import browser, city, context, page  # noqa: F401

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def shared_path(*parts: str) -> Path:
    """A file under ../shared; skips with a reason on a user's clone, fails in CI."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        message = f"{path} is not here (../shared is only beside the developers' and CI's clones)"
        if os.environ.get("REDLINE_REQUIRE_SHARED"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts and ends in the site's default language: a request's language
    (activated by the middleware for the thread) does not leak into the next test."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True, scope="session")
def _kept_in_memory():
    """The "kept" cache (slow results kept across processes: files or Redis) lives in each
    test process's memory: a test database reuses ids after each rollback, so results kept
    in files could be served to another test's data."""
    from django.conf import settings
    from django.test.signals import clear_cache_handlers

    settings.CACHES["kept"] = {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "redline-tests-kept",
    }
    clear_cache_handlers(setting="CACHES")
    yield


@pytest.fixture(scope="session")
def world(django_db_setup, django_db_blocker):
    """The access-test city, built once per session in the test database."""
    from redline.organisations.tests.world import build_world

    with django_db_blocker.unblock():
        return build_world()


def login(client, username: str) -> None:
    from redline.accounts.models import User

    client.force_login(User.objects.get(username=username))
