"""The security headers on a signed-in page, an API answer and the login page; the templates
hold no inline script (the Content-Security-Policy would block it); static files keep their
caching."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

import redline
from redline.conftest import login

pytestmark = pytest.mark.django_db

ROOT = Path(redline.__file__).resolve().parent

CSP_DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data: blob:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def policy(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return {
        name: value.strip()
        for name, _sep, value in (part.strip().partition(" ") for part in header.split(";"))
    }


def features(response) -> dict[str, str]:
    header = response.headers["Permissions-Policy"]
    return dict(part.strip().split("=", 1) for part in header.split(","))


def assert_common(response) -> None:
    assert policy(response) == CSP_DIRECTIVES
    allowed = features(response)
    assert allowed["camera"] == "(self)"  # the inspectors' photos on the phone checklist
    assert {f for f, allow in allowed.items() if allow != "()"} == {"camera"}
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def no_store(response) -> bool:
    directives = {d.strip() for d in response.headers.get("Cache-Control", "").split(",")}
    return {"private", "no-store"} <= directives


def test_a_signed_in_page(client, world):
    login(client, "cityhall-viewer")
    response = client.get(reverse("hazard-list"))
    assert response.status_code == 200
    assert_common(response)
    assert no_store(response)


def test_an_export_a_signed_in_user_downloads_is_not_stored(client, world):
    login(client, "cityhall-viewer")
    response = client.get(reverse("enterprise-export-csv"))
    assert response.status_code == 200
    assert no_store(response)


def test_a_view_s_own_caching_gives_way_for_a_signed_in_user(rf, world):
    """A view that asks for caching (a photo: `private, max-age=3600`) is still not stored."""
    from django.http import HttpResponse

    from redline.accounts.models import User
    from redline.core.security import SecurityHeadersMiddleware

    def view(request):
        response = HttpResponse(b"photo", content_type="image/jpeg")
        response["Cache-Control"] = "private, max-age=3600"
        return response

    request = rf.get("/hazards/photos/x/")
    request.user = User.objects.get(username="cityhall-viewer")
    assert SecurityHeadersMiddleware(view)(request)["Cache-Control"] == "private, no-store"


def test_an_api_answer(client, world):
    login(client, "cityhall-viewer")
    response = client.get("/api/v1/regions")
    assert response.status_code == 200
    assert_common(response)
    assert no_store(response)
    client.logout()
    refused = client.get("/api/v1/regions")
    assert refused.status_code == 401
    assert no_store(refused)  # every API answer, signed in or not


def test_the_login_page(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert_common(response)
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP: never


def test_hsts_over_https(client, settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    response = client.get(reverse("login"), secure=True)
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


@pytest.mark.parametrize(
    ("environment", "seconds"),
    [
        ({"REDLINE_SECURE_COOKIES": "1"}, 365 * 24 * 3600),
        ({"REDLINE_SECURE_COOKIES": "0"}, 0),
        ({"REDLINE_SECURE_COOKIES": "1", "REDLINE_HSTS_SECONDS": "600"}, 600),
    ],
)
def test_hsts_defaults_to_a_year_where_cookies_are_secure(environment, seconds):
    """Read by the settings at start-up, so in a process of their own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDLINE_", "DJANGO_"))}
    env |= {"REDLINE_SECRET_KEY": "x" * 50} | environment
    code = "import redline.settings as s; print(s.SECURE_HSTS_SECONDS)"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) == seconds


def test_static_files_keep_their_caching(client, world):
    """Static files are not answers to a user: WhiteNoise serves them before the security
    middleware, without `no-store`."""
    login(client, "cityhall-viewer")
    response = client.get("/static/redline/forms.js")
    assert response.status_code == 200
    assert not no_store(response)


# --- templates: no inline script ----------------------------------------------------------

# A <script> element with a body (a script's source is its own file, `src=`).
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
# An event handler attribute (onclick="...", onchange='...'): blocked by the policy.
HANDLER = re.compile(r"""\son[a-z]+\s*=\s*["']""", re.IGNORECASE)
# htmx's inline handlers (hx-on, hx-on:click, hx-on::after-request) run through eval.
HX_ON = re.compile(r"\s(?:data-)?hx-on\b", re.IGNORECASE)
# `javascript:` addresses and htmx's `js:` values are script too.
JS_URL = re.compile(r"""(?:href|src|action|hx-vals|hx-vars)\s*=\s*["']\s*(?:javascript|js):""")


def templates() -> list[Path]:
    return sorted(path for path in ROOT.glob("*/templates/**/*.html"))


def problems(name: str, text: str) -> list[str]:
    found = []
    for kind, pattern in (
        ("inline <script>", INLINE_SCRIPT),
        ("on* handler", HANDLER),
        ("hx-on", HX_ON),
        ("javascript: URL", JS_URL),
    ):
        for match in pattern.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append(f"{name}:{line}: {kind}: {match.group(0).strip()}")
    return found


def for_browsers(path: Path) -> bool:
    """A PDF's template is laid out by WeasyPrint, never run by a browser under the policy."""
    return not path.stem.endswith("_pdf")


def test_no_template_holds_inline_script():
    assert len(templates()) > 50
    found = [
        problem
        for path in templates()
        if for_browsers(path)
        for problem in problems(str(path.relative_to(ROOT)), path.read_text(encoding="utf-8"))
    ]
    assert not found, "inline script the Content-Security-Policy blocks:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "snippet",
    [
        "<script>alert(1)</script>",
        '<script type="module">import x from "./x.js"</script>',
        '<select onchange="this.form.submit()">',
        "<form onsubmit='return false'>",
        '<button hx-on:click="go()">',
        '<div hx-on::after-request="x()">',
        '<a href="javascript:void(0)">',
    ],
)
def test_the_scan_finds_each_kind(snippet):
    assert problems("probe.html", snippet), snippet


def test_the_scan_lets_script_files_and_data_attributes_pass():
    markup = (
        '<script src="/static/a.js" defer data-x="1"></script>'
        '<select data-autosubmit name="onchange"><option>one</option></select>'
        '<form data-confirm="Sure?" hx-get="/x" hx-trigger="change">'
    )
    assert problems("probe.html", markup) == []
