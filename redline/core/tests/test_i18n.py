"""zh-Hans is the default language, English is complete, and no string is left untranslated."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

PACKAGE = Path(__file__).resolve().parents[2]
CATALOGS = {
    lang: PACKAGE / "locale" / lang / "LC_MESSAGES" / "django.po" for lang in ("zh_Hans", "en")
}


@pytest.mark.parametrize("lang", sorted(CATALOGS))
def test_catalog_is_complete(lang):
    catalog = polib.pofile(str(CATALOGS[lang]))
    assert len(catalog) > 100
    untranslated = [e.msgid for e in catalog.untranslated_entries()]
    fuzzy = [e.msgid for e in catalog.fuzzy_entries()]
    assert not untranslated, f"untranslated in {lang}: {untranslated[:10]}"
    assert not fuzzy, f"fuzzy in {lang}: {fuzzy[:10]}"


def test_zh_hans_placeholders_survive_translation():
    for entry in polib.pofile(str(CATALOGS["zh_Hans"])):
        if entry.msgid_plural:
            translations = list(entry.msgstr_plural.values())
        else:
            translations = [entry.msgstr]
        for placeholder in ("%(name)s", "%(n)d", "%(char)s", "%(pos)d", "%(expected)s", "%s"):
            if placeholder in entry.msgid:
                for text in translations:
                    assert placeholder in text, (entry.msgid, text)


def test_every_string_in_the_code_is_in_the_catalogs(tmp_path):
    """Extract the strings afresh from a copy of the code; none may be new or fuzzy."""
    copy = tmp_path / "redline"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "tests"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("REDLINE_")}
    env.update(
        PYTHONPATH=str(tmp_path),
        DJANGO_SETTINGS_MODULE="redline.settings",
        REDLINE_DEMO="1",
        REDLINE_VAR_DIR=str(tmp_path / "var"),
    )
    result = subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "zh_Hans", "--no-location"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    fresh = polib.pofile(str(copy / "locale/zh_Hans/LC_MESSAGES/django.po"))
    missing = [e.msgid for e in (*fresh.untranslated_entries(), *fresh.fuzzy_entries())]
    assert not missing, f"strings not translated yet (run `make messages`): {missing[:15]}"
    english = {(e.msgctxt, e.msgid) for e in polib.pofile(str(CATALOGS["en"]))}
    absent = [e.msgid for e in fresh if (e.msgctxt, e.msgid) not in english and not e.obsolete]
    assert not absent, f"strings missing from the English catalog: {absent[:15]}"


@pytest.mark.django_db
def test_pages_default_to_chinese_and_switch_to_english(client):
    page = client.get("/accounts/login/")
    assert '<html lang="zh-hans">' in page.content.decode()
    assert "登录" in page.content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    page = client.get("/accounts/login/")
    assert '<html lang="en">' in page.content.decode()
    assert "Sign in to Redline" in page.content.decode()


@pytest.mark.django_db
def test_pages_ignore_the_browsers_language_but_the_api_honours_it(client):
    page = client.get("/accounts/login/", headers={"accept-language": "en-US,en;q=0.9"})
    assert '<html lang="zh-hans">' in page.content.decode()
    answer = client.get("/api/v1/enterprises", headers={"accept-language": "en"})
    assert answer.json()["error"]["message"] == "Sign in or send a valid API token."
    answer = client.get("/api/v1/enterprises")
    assert answer.json()["error"]["message"] != "Sign in or send a valid API token."


@pytest.mark.parametrize("lang", sorted(CATALOGS))
def test_catalog_compiles_with_gnu_gettext(lang):
    result = subprocess.run(
        ["msgfmt", "--check", "-o", os.devnull, str(CATALOGS[lang])], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
