"""What the demo-database benchmarks share: point Django at the benchmark's own database
(created on PostgreSQL when missing) and build the demo there once.

    from demo_db import open_demo
    open_demo(url, scale="city", seed=1)  # Django set up, migrated, the demo built once
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "var" / "bench"


def setup(database_url: str) -> None:
    """Django with the demo's settings on `database_url` (the test server's host allowed)."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    os.environ["REDLINE_DATABASE_URL"] = database_url
    os.environ.setdefault("REDLINE_DEMO", "1")
    os.environ.setdefault("REDLINE_VAR_DIR", str(BENCH_DIR))
    os.environ["REDLINE_ALLOWED_HOSTS"] = "testserver"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "redline.settings")
    sys.path.insert(0, str(ROOT))
    if database_url.startswith("postgres"):
        _create_database(database_url)
    import django

    django.setup()


def _create_database(url: str) -> None:
    from urllib.parse import urlparse

    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def open_demo(database_url: str, *, scale: str, seed: int) -> None:
    """Set up, migrate, and build the demo at `scale` unless the database holds one."""
    setup(database_url)
    from django.core.management import call_command
    from django.db import connection

    from redline.organisations import demo
    from redline.organisations.models import Region

    call_command("migrate", verbosity=0, interactive=False)
    if Region.objects.exists():
        return
    print(f"Building the {scale}-scale demo into {database_url} (once) ...")
    started = time.perf_counter()
    demo.build(seed=seed, scale=scale, progress=lambda m: print("  " + m, flush=True))
    print(f"  built in {time.perf_counter() - started:.0f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
