"""Roles and raw SQL on the tests' PostgreSQL server (see ``scripts/pg-server``)."""

from __future__ import annotations

import secrets
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg

from triage.store.backend.postgres import split_url


def as_role(location: str, role: str, password: str) -> str:
    """``location`` (a workspace URL) as ``role`` would connect to it."""
    parts = urlsplit(location)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{quote(role)}:{quote(password)}@{host}"))


def sql(location: str, statement: str, params: Any = None) -> list[tuple[Any, ...]]:
    """Run ``statement`` as the URL's role, in the workspace's schema, outside triage."""
    url, schema = split_url(location)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'SET search_path TO "{schema}"')
        cur = conn.execute(statement, params)
        return cur.fetchall() if cur.description else []


def psql(location: str, statement: str) -> subprocess.CompletedProcess[str]:
    """Run ``statement`` with the ``psql`` client, as an attacker at a prompt would."""
    url, schema = split_url(location)
    exe = shutil.which("psql") or "psql"
    return subprocess.run(
        [
            exe,
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            url,
            "-c",
            f'SET search_path TO "{schema}"',
            "-c",
            statement,
        ],
        text=True,
        capture_output=True,
        check=False,
    )


@contextmanager
def team_role(location: str, schema: str, *, grants: bool = True) -> Iterator[tuple[str, str]]:
    """A login role of its own for one test (a member of a group given the printed grants, or
    of nothing); dropped afterwards. Yields (role, URL to connect as it)."""
    from triage.store.backend import pg_schema

    tag = secrets.token_hex(4)
    role, group, password = f"analyst_{tag}", f"analysts_{tag}", secrets.token_hex(8)
    script = pg_schema.grants(schema, group).replace(
        "CREATE ROLE alice LOGIN PASSWORD '...'", f"CREATE ROLE {role} LOGIN PASSWORD '{password}'"
    )
    if not grants:
        script = (
            f"CREATE ROLE {group} NOLOGIN;\nCREATE ROLE {role} LOGIN PASSWORD '{password}' IN ROLE {group};"
        )
    url, _ = split_url(location)
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in script.split(";\n"):
            statement = "\n".join(
                line for line in statement.splitlines() if not line.startswith("--")
            ).strip()
            if statement:
                conn.execute(statement.rstrip(";"))
    try:
        yield role, as_role(location, role, password)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            if conn.execute("SELECT to_regnamespace(%s)", (schema,)).fetchone()[0] is not None:  # type: ignore[index]
                conn.execute(f'REVOKE ALL ON ALL TABLES IN SCHEMA "{schema}" FROM {role}, {group}')
                conn.execute(f'REVOKE ALL ON SCHEMA "{schema}" FROM {role}, {group}')
            conn.execute(f"DROP ROLE IF EXISTS {role}")
            conn.execute(f"DROP ROLE IF EXISTS {group}")
