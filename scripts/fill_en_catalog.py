"""Make the English catalog complete: English is the source language, so each msgstr is
its msgid (and the plural forms the msgid/msgid_plural). Run by `make messages`."""

from __future__ import annotations

import sys
from pathlib import Path

import polib

path = Path(__file__).resolve().parents[1] / "redline/locale/en/LC_MESSAGES/django.po"
catalog = polib.pofile(str(path))
catalog.metadata.update(
    {
        "Language": "en",
        "Project-Id-Version": "redline",
        "Language-Team": "English",
        "Last-Translator": "Redline maintainers",
        "PO-Revision-Date": catalog.metadata.get("POT-Creation-Date", ""),
    }
)
catalog.metadata["Plural-Forms"] = "nplurals=2; plural=(n != 1);"
for entry in catalog:
    entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
    if "fuzzy" in entry.flags:
        entry.flags.remove("fuzzy")
    if entry.msgid_plural:
        entry.msgstr_plural = {0: entry.msgid, 1: entry.msgid_plural}
    else:
        entry.msgstr = entry.msgid
catalog.save()
print(f"{path}: {len(catalog)} entries", file=sys.stderr)
