"""`redline backup` / `redline restore` as an operator runs them (processes, their own
database and files): a round trip restores every table's rows and the uploaded files, and a
damaged, foreign, too new or in-use case is refused with the target left as it was."""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import socket
import sqlite3
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
REDLINE = ROOT / ".venv" / "bin" / "redline"
PG_ADMIN = "postgres://postgres@127.0.0.1:5432"
UPLOAD = ("hazards/2026/3f9a1c", b"\xff\xd8\xff\xe0 a photo's bytes")

SEED = """
from redline.accounts.models import User
from redline.organisations.models import Region
city = Region.objects.create(code="990000", name="备份市", level="city")
for n in range(3):
    Region.objects.create(code=f"99010{n}", name=f"区{n}", level="district", parent=city)
User.objects.create_user(username="keeper", password="not-a-secret-123")
"""


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(REDLINE), *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def site_env(var_dir: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDLINE_", "DJANGO_"))}
    env |= {
        "REDLINE_DEMO": "1",
        "REDLINE_SECRET_KEY": "tests-only-backup-key",
        "REDLINE_VAR_DIR": str(var_dir),
        "REDLINE_DATABASE_URL": database_url,
    }
    return env


def make_site(env: dict[str, str], var_dir: Path) -> None:
    """A migrated database with a few records, and one uploaded file."""
    for args in (("migrate", "-v0"), ("shell", "-c", SEED)):
        done = run(env, *args)
        assert done.returncode == 0, done.stderr
    upload = var_dir / "media" / UPLOAD[0]
    upload.parent.mkdir(parents=True)
    upload.write_bytes(UPLOAD[1])


def table_digests(cursor: Any, tables: list[str]) -> dict[str, tuple[int, str]]:
    """Each table's row count and a checksum of its rows (in a stable order)."""
    out = {}
    for table in tables:
        cursor.execute(f'SELECT * FROM "{table}"')
        rows = sorted(repr(tuple(row)) for row in cursor.fetchall())
        out[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return out


def sqlite_digests(path: Path) -> dict[str, tuple[int, str]]:
    with sqlite3.connect(path) as conn:
        cursor = conn.cursor()
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
        )
        return table_digests(cursor, [r[0] for r in cursor.fetchall()])


def rewrite(
    source: Path, target: Path, *, manifest: Any = None, member: tuple[str, bytes] | None = None
) -> Path:
    """A copy of an archive with its manifest edited and/or one member's bytes replaced."""
    with tarfile.open(source) as old, tarfile.open(target, "w") as new:
        for info in old.getmembers():
            data = old.extractfile(info).read()  # type: ignore[union-attr]
            if info.name == "manifest.json" and manifest is not None:
                data = json.dumps(manifest(json.loads(data))).encode()
            if member is not None and info.name == member[0]:
                data = member[1]
            info.size = len(data)
            new.addfile(info, io.BytesIO(data))
    return target


def fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "absent"


@pytest.fixture(scope="module")
def sqlite_site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A SQLite site with a few records and an upload, and its backup archive."""
    var = tmp_path_factory.mktemp("source")
    env = site_env(var, f"sqlite:///{var / 'redline.sqlite3'}")
    make_site(env, var)
    archive = tmp_path_factory.mktemp("archives") / "site.tar"
    done = run(env, "backup", "--output", str(archive))
    assert done.returncode == 0, done.stderr
    assert "Wrote" in done.stdout
    return {"var": var, "env": env, "db": var / "redline.sqlite3", "archive": archive}


def empty_target(tmp_path: Path) -> tuple[dict[str, str], Path]:
    var = tmp_path / "target"
    var.mkdir()
    db = var / "redline.sqlite3"
    db.write_bytes(b"")  # an empty SQLite database
    return site_env(var, f"sqlite:///{db}"), db


def test_sqlite_round_trip_into_an_empty_database(sqlite_site, tmp_path):
    manifest = json.loads(tarfile.open(sqlite_site["archive"]).extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert manifest["vendor"] == "sqlite" and manifest["format"] == 1
    assert manifest["counts"]["organisations_region"] == 4
    assert manifest["counts"]["accounts_user"] == 1
    assert f"media/{UPLOAD[0]}" in manifest["members"]
    assert manifest["migrations"]["hazards"].startswith("00")

    env, db = empty_target(tmp_path)
    done = run(env, "restore", str(sqlite_site["archive"]))
    assert done.returncode == 0, done.stderr
    assert "tables match the manifest" in done.stdout
    source = sqlite_digests(sqlite_site["db"])
    assert sqlite_digests(db) == source
    assert source["organisations_region"][0] == 4
    assert (tmp_path / "target" / "media" / UPLOAD[0]).read_bytes() == UPLOAD[1]


def test_an_archive_of_older_migrations_is_restored_and_migrate_suggested(sqlite_site, tmp_path):
    def older(manifest: dict[str, Any]) -> dict[str, Any]:
        manifest["migrations"]["hazards"] = "0001_initial"
        return manifest

    archive = rewrite(sqlite_site["archive"], tmp_path / "older.tar", manifest=older)
    env, db = empty_target(tmp_path)
    done = run(env, "restore", str(archive))
    assert done.returncode == 0, done.stderr
    assert "redline migrate" in done.stdout and "hazards" in done.stdout
    assert sqlite_digests(db) == sqlite_digests(sqlite_site["db"])


def _tampered(site: dict[str, Any], path: Path) -> Path:
    return rewrite(site["archive"], path, member=(f"media/{UPLOAD[0]}", b"<html>swapped</html>"))


def _truncated(site: dict[str, Any], path: Path) -> Path:
    body = site["archive"].read_bytes()
    path.write_bytes(body[: len(body) // 2])
    return path


def _foreign(site: dict[str, Any], path: Path) -> Path:
    """The same bytes presented as a PostgreSQL archive (checksums consistent)."""
    with tarfile.open(site["archive"]) as old, tarfile.open(path, "w") as new:
        for info in old.getmembers():
            data = old.extractfile(info).read()  # type: ignore[union-attr]
            if info.name == "manifest.json":
                manifest = json.loads(data)
                manifest["vendor"] = "postgresql"
                members = manifest["members"]
                members["database.pgdump"] = members.pop("database.sqlite3")
                data = json.dumps(manifest).encode()
            if info.name == "database.sqlite3":
                info.name = "database.pgdump"
            info.size = len(data)
            new.addfile(info, io.BytesIO(data))
    return path


def _ahead(site: dict[str, Any], path: Path) -> Path:
    def ahead(manifest: dict[str, Any]) -> dict[str, Any]:
        manifest["migrations"]["hazards"] = "9999_from_the_future"
        return manifest

    return rewrite(site["archive"], path, manifest=ahead)


def _no_manifest(site: dict[str, Any], path: Path) -> Path:
    with tarfile.open(site["archive"]) as old, tarfile.open(path, "w") as new:
        for info in old.getmembers():
            if info.name != "manifest.json":
                new.addfile(info, old.extractfile(info))
    return path


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (_tampered, "checksum mismatch for media/"),
        (_truncated, "damaged archive"),
        (_foreign, "holds a postgresql database; this site runs on sqlite"),
        (_ahead, "ahead of this code"),
        (_no_manifest, "manifest.json is missing"),
    ],
    ids=["tampered", "truncated", "vendor", "ahead", "no-manifest"],
)
def test_a_refused_archive_leaves_the_target_unchanged(sqlite_site, tmp_path, make, reason):
    archive = make(sqlite_site, tmp_path / "bad.tar")
    env, db = empty_target(tmp_path)
    done = run(env, "restore", "--yes", str(archive))
    assert done.returncode != 0
    assert reason in done.stderr
    assert db.read_bytes() == b""
    assert not (tmp_path / "target" / "media").exists()


def test_a_database_in_use_is_replaced_only_with_yes(sqlite_site, tmp_path):
    env, db = empty_target(tmp_path)
    # A site in use: the source's database with a record of its own.
    db.write_bytes(sqlite_site["db"].read_bytes())
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE organisations_region SET name = 'changed since' WHERE code = '990000'")
    before = fingerprint(db)
    assert sqlite_digests(db) != sqlite_digests(sqlite_site["db"])

    refused = run(env, "restore", str(sqlite_site["archive"]))
    assert refused.returncode != 0
    assert "not empty" in refused.stderr and "--yes" in refused.stderr
    assert fingerprint(db) == before
    assert not (tmp_path / "target" / "media").exists()

    done = run(env, "restore", "--yes", str(sqlite_site["archive"]))
    assert done.returncode == 0, done.stderr
    assert sqlite_digests(db) == sqlite_digests(sqlite_site["db"])


# --- PostgreSQL ------------------------------------------------------------------------------


def _postgres_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=2):
            return True
    except OSError:
        return False


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_ADMIN}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def pg_digests(name: str) -> dict[str, tuple[int, str]]:
    import psycopg

    with psycopg.connect(f"{PG_ADMIN}/{name}") as conn:
        cursor = conn.cursor()
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        return table_digests(cursor, [r[0] for r in cursor.fetchall()])


@pytest.mark.skipif(not _postgres_answers(), reason="PostgreSQL does not answer on 127.0.0.1:5432")
def test_postgresql_round_trip_into_an_empty_database(sqlite_site, tmp_path):
    tag = secrets.token_hex(4)
    source, target = f"redline_backup_test_{tag}", f"redline_backup_test_{tag}_restored"
    _admin(f'CREATE DATABASE "{source}"')
    _admin(f'CREATE DATABASE "{target}"')
    try:
        var = tmp_path / "source"
        var.mkdir()
        env = site_env(var, f"{PG_ADMIN}/{source}")
        make_site(env, var)
        archive = tmp_path / "pg.tar"
        done = run(env, "backup", "--output", str(archive))
        assert done.returncode == 0, done.stderr

        into = tmp_path / "target"
        into.mkdir()
        target_env = site_env(into, f"{PG_ADMIN}/{target}")
        # A SQLite archive is refused by a PostgreSQL site, which stays empty.
        foreign = run(target_env, "restore", str(sqlite_site["archive"]))
        assert foreign.returncode != 0 and "holds a sqlite database" in foreign.stderr
        assert pg_digests(target) == {}

        done = run(target_env, "restore", str(archive))
        assert done.returncode == 0, done.stderr
        restored = pg_digests(target)
        assert restored == pg_digests(source)
        assert restored["organisations_region"][0] == 4
        assert (into / "media" / UPLOAD[0]).read_bytes() == UPLOAD[1]

        # Now in use: refused without --yes, nothing changed.
        again = run(target_env, "restore", str(archive))
        assert again.returncode != 0 and "not empty" in again.stderr
        assert pg_digests(target) == restored
    finally:
        for name in (source, target):
            _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
