"""What only a PostgreSQL workspace does: who acted is the role that connected, privileges keep
the log append-only, notifications announce new heads, a killed connection half-writes nothing,
and a workspace moves between the backends whole. (Everything else runs on both backends
through the ``ws`` fixture.)"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Cli, event_count, ingest_one, make_alert
from tests.pg_helpers import psql, sql, team_role
from triage.commands import Commands
from triage.errors import CommandRejected
from triage.playbooks import PlaybookSet
from triage.store.identity import KEY_HASH_SQL_PG, key_hash
from triage.store.transfer import copy_workspace
from triage.store.verify import verify_chain
from triage.store.workspace import Workspace


@pytest.fixture
def pg_ws(pg_location: str) -> Workspace:
    w = Workspace.create(pg_location)
    yield w  # type: ignore[misc]
    w.close()


def test_the_actor_is_the_role_that_connected(
    pg_ws: Workspace, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    ingest_one(Commands(pg_ws, playbooks, "poller"))
    with team_role(pg_ws.location, pg_ws.schema or "") as (role, url):
        cli = Cli(url, analyst="")
        done = cli("ack", "1", analyst="")
        assert done.exit_code == 0, done.output
        last = sql(pg_ws.location, "SELECT body FROM events ORDER BY seq DESC LIMIT 1")[0][0]
        assert json.loads(last)["actor"] == role
        # claiming to be someone else is refused with one line, before anything is written
        before = event_count(pg_ws)
        refused = cli("note", "1", "it was me", analyst="bob")
        assert refused.exit_code == 3
        assert refused.output.count("\n") == 1 and f"connected to the workspace as {role}" in refused.output
        assert event_count(pg_ws) == before
        # and a client that skips the check is stopped by the database itself
        with Workspace.open(url) as mine:
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="actor"), mine.write() as w:
                w.append("bob", "alert.noted", "alert:1", {"text": "forged"})
            assert mine.acting_as(None) == role
            with pytest.raises(CommandRejected):
                mine.acting_as("bob")
        assert event_count(pg_ws) == before


def test_the_log_is_append_only_by_privilege(pg_ws: Workspace, playbooks: PlaybookSet) -> None:
    ingest_one(Commands(pg_ws, playbooks, "poller"))
    with team_role(pg_ws.location, pg_ws.schema or "") as (_role, url):
        for statement in (
            "UPDATE events SET body = 'x'",
            "DELETE FROM events",
            "TRUNCATE events",
            "UPDATE checkpoints SET record = 'x'",
            "ALTER TABLE events DISABLE TRIGGER USER",
        ):
            done = psql(url, statement)
            assert done.returncode != 0 and (
                "permission denied" in done.stderr or "must be owner" in done.stderr
            ), (
                statement,
                done.stderr,
            )
        assert sql(pg_ws.location, "SELECT count(*) FROM events")[0][0] == 1
        healthy = Cli(url, analyst="")("doctor")
        assert healthy.exit_code == 0, healthy.output
        assert "privileges" in healthy.output
    # the owner is warned that nothing binds it
    owner = Cli(pg_ws.location)("doctor")
    assert owner.exit_code == 0 and "warning: you connect as the workspace's owner" in owner.output


def test_a_role_without_rights_is_refused_with_one_line(pg_ws: Workspace, playbooks: PlaybookSet) -> None:
    ingest_one(Commands(pg_ws, playbooks, "poller"))
    with team_role(pg_ws.location, pg_ws.schema or "", grants=False) as (_role, url):
        done = Cli(url, analyst="")("alerts")
        assert done.exit_code == 2
        lines = done.output.strip().splitlines()
        assert len(lines) == 1 and "permission denied" in lines[0], done.output


def test_triggers_disabled_by_the_owner_and_tampering_is_caught(
    pg_ws: Workspace, playbooks: PlaybookSet
) -> None:
    cmds = Commands(pg_ws, playbooks, "alice")
    for _ in range(3):
        cmds.acknowledge(ingest_one(cmds))
    assert verify_chain(pg_ws.conn).ok
    # an attacker with the owner's password, at a psql prompt
    done = psql(
        pg_ws.location,
        "ALTER TABLE events DISABLE TRIGGER USER;"
        " UPDATE events SET body = replace(body, 'alice', 'mallory') WHERE seq = 2;"
        " DELETE FROM events WHERE seq = 4;"
        " ALTER TABLE events ENABLE TRIGGER USER;",
    )
    assert done.returncode == 0, done.stderr
    report = verify_chain(pg_ws.conn)
    found = {(p.seq, p.reason.split(":")[0]) for p in report.problems}
    assert (2, "hash mismatch") in found and (5, "sequence gap") in found, report.problems
    # the column check: an indexed column changed under the body
    psql(
        pg_ws.location,
        "ALTER TABLE events DISABLE TRIGGER USER; UPDATE events SET target = 'alert:99' WHERE seq = 3",
    )
    assert any(p.seq == 3 and "indexed columns" in p.reason for p in verify_chain(pg_ws.conn).problems)


def test_a_connection_killed_mid_transaction_writes_nothing(pg_ws: Workspace, playbooks: PlaybookSet) -> None:
    cmds = Commands(pg_ws, playbooks, "alice")
    ingest_one(cmds)
    before = pg_ws.head()
    victim = Workspace.open(pg_ws.location)
    pid = victim.conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    with pytest.raises(psycopg.OperationalError), victim.write() as w:
        for n in range(5):
            w.append("alice", "alert.noted", "alert:1", {"text": f"half {n}"})
        sql(pg_ws.location, "SELECT pg_terminate_backend(%s)", (pid,))
        time.sleep(0.2)
        w.append("alice", "alert.noted", "alert:1", {"text": "never"})
    assert pg_ws.head() == before
    assert verify_chain(pg_ws.conn).ok
    cmds.note(1, "after the kill")  # the next writer goes on from the same head
    assert pg_ws.head()[0] == before[0] + 1


def test_notifications_announce_the_new_head(pg_ws: Workspace, playbooks: PlaybookSet) -> None:
    listener = pg_ws.listener()
    assert listener is not None
    heard: list[int | None] = []
    try:
        assert listener.wait(0.1) is None  # connects; nothing said yet
        other = Workspace.open(pg_ws.location)
        t = threading.Thread(target=lambda: heard.append(listener.wait(5.0)))
        t.start()
        time.sleep(0.2)
        started = time.monotonic()
        ingest_one(Commands(other, playbooks, "poller"))
        t.join()
        assert heard == [other.head()[0]] and time.monotonic() - started < 1.0
        other.close()
    finally:
        listener.close()


def test_a_workspace_moves_to_postgresql_and_back(
    tmp_path: Path, pg_location: str, playbooks: PlaybookSet
) -> None:
    src = Workspace.create(tmp_path / "team.db")
    cmds = Commands(src, playbooks, "alice")
    a = ingest_one(cmds, title="caf\u00e9 \u202eevil")
    cmds.acknowledge(a)
    cmds.escalate(a, title="Incident")
    ingest_one(cmds, raw={"bad": "\ud800 lone"})
    moved = copy_workspace(src, pg_location)
    assert moved.head == src.head()
    with Workspace.open(pg_location) as team:
        assert team.id == src.id and verify_chain(team.conn).ok
        assert team.rebuild(dry_run=True)[1]
        rows = team.conn.execute("SELECT id, title, status, incident_id FROM alerts ORDER BY id").fetchall()
        assert [tuple(r) for r in rows] == [
            tuple(r)
            for r in src.conn.execute("SELECT id, title, status, incident_id FROM alerts ORDER BY id")
        ]
        Commands(team, playbooks, "alice").note(a, "on the team server")
        back = copy_workspace(team, tmp_path / "audit.db")
        assert back.head == team.head()
    with Workspace.open(tmp_path / "audit.db") as audit:
        assert verify_chain(audit.conn).ok and audit.head() == back.head
    # a target with events already is refused, and the CLI says the same
    done = Cli(tmp_path / "team.db")("migrate", "--to", pg_location)
    assert done.exit_code == 2 and "events already" in done.output
    src.close()


def test_the_url_names_its_secret_and_never_shows_it(
    pg_location: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from urllib.parse import urlsplit

    parts = urlsplit(pg_location)
    password = parts.password or ""
    monkeypatch.setenv("TRIAGE_TEST_SECRET", password)
    hidden = pg_location.replace(f":{password}@", ":${TRIAGE_TEST_SECRET}@")
    done = Cli(hidden)("init")
    assert done.exit_code == 0, done.output
    assert password not in done.output and "***" in done.output and "GRANT INSERT ON" in done.output
    with Workspace.open(hidden) as w:
        assert password not in w.display
        bodies = " ".join(r[0] for r in w.conn.execute("SELECT body FROM events"))
        meta = " ".join(r[1] for r in w.conn.execute("SELECT key, value FROM meta"))
        assert password not in bodies + meta
    monkeypatch.delenv("TRIAGE_TEST_SECRET")
    missing = Cli(hidden)("alerts")
    assert (
        missing.exit_code == 2 and "TRIAGE_TEST_SECRET" in missing.output and password not in missing.output
    )


def test_the_whole_suite_has_a_server() -> None:
    """CI starts PostgreSQL (``.ci/run``): there the backend's tests must not skip."""
    if os.environ.get("CI") and not os.environ.get("TRIAGE_TEST_PG"):
        pytest.fail("CI runs without PostgreSQL: TRIAGE_TEST_PG is unset")


@pytest.mark.asyncio
async def test_the_app_shows_the_same_screens_on_both_backends(
    tmp_path: Path, pg_location: str, playbooks: PlaybookSet
) -> None:
    """The snapshots are taken on a file; a PostgreSQL workspace with the same history must
    give the same screens, character for character."""
    import re

    from tests.tui_helpers import T0, build_workspace, frozen_clock, make_app, settle

    screens: list[list[str]] = []
    for location in (tmp_path / "tui.db", pg_location):
        ws = build_workspace(location, playbooks)
        try:
            with frozen_clock(T0):
                Commands(ws, playbooks, "bob").escalate(6, title="Malware on web-00")
            app = make_app(ws, playbooks)
            shots = []
            async with app.run_test(size=(120, 36)) as pilot:
                await settle(pilot)
                for keys in ((), ("down", "down"), ("enter",), ("escape", "i")):
                    await pilot.press(*keys)
                    await settle(pilot)
                    shots.append(re.sub(r"terminal-\d+", "t", app.export_screenshot()))
            screens.append(shots)
        finally:
            ws.close()
    assert screens[0] == screens[1]


def test_a_chain_recomputed_or_cut_short_on_the_server_is_caught_by_the_checkpoints(
    pg_location: str, tmp_path: Path, playbooks: PlaybookSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As tests/test_tamper.py does to a file: an owner rewrites an event and recomputes every
    hash after it, drops the checkpoints and signs new ones with a key of their own; then cuts
    the tail. The checkpoints shipped off the host, with the team's key, catch both."""
    from triage.store.chain import GENESIS, chain_hash

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    cli = Cli(pg_location)
    key, anchors = tmp_path / "keys" / "anchor.key", tmp_path / "shipped" / "anchors.jsonl"
    assert cli("init").exit_code == 0
    assert cli("keygen", "--signing-key", str(key)).exit_code == 0
    with Workspace.open(pg_location) as ws:
        cmds = Commands(ws, playbooks, "alice")
        ids = cmds.ingest([make_alert() for _ in range(5)]).alert_ids
        for a in ids:
            cmds.acknowledge(a)
        cmds.close(ids[0], "true_positive", "confirmed by EDR", override="contained already")
        n = ws.head()[0]
    assert cli("anchor", "--signing-key", str(key), "--anchor-file", str(anchors)).exit_code == 0

    def verify(*extra: str) -> tuple[int, str]:
        done = cli("verify", "--anchor-file", str(anchors), "--public-key", f"{key}.pub", *extra)
        return done.exit_code, done.stdout

    assert verify()[0] == 0
    rows = sql(pg_location, "SELECT seq, body FROM events ORDER BY seq")
    prev, script = (
        GENESIS,
        ["ALTER TABLE events DISABLE TRIGGER USER", "ALTER TABLE checkpoints DISABLE TRIGGER USER"],
    )
    for seq, body in rows:
        if "confirmed by EDR" in body:
            body = body.replace("confirmed by EDR", "benign")
        digest = chain_hash(prev, body)
        script.append(
            f"UPDATE events SET body = {_literal(body)}, prev_hash = {_literal(prev)},"
            f" hash = {_literal(digest)} WHERE seq = {seq}"
        )
        prev = digest
    script += ["DELETE FROM checkpoints", "ALTER TABLE events ENABLE TRIGGER USER"]
    done = psql(pg_location, ";\n".join(script))
    assert done.returncode == 0, done.stderr
    rogue, rogue_anchors = tmp_path / "rogue.key", tmp_path / "rogue.jsonl"
    assert cli("keygen", "--signing-key", str(rogue)).exit_code == 0
    assert cli("anchor", "--signing-key", str(rogue), "--anchor-file", str(rogue_anchors)).exit_code == 0
    assert cli("verify", "--anchor-file", str(rogue_anchors), "--public-key", f"{rogue}.pub").exit_code == 0
    code, out = verify()
    assert code == 1 and "hash differs from checkpoint 1" in out and "rewritten" in out, out
    done = psql(
        pg_location,
        f"ALTER TABLE events DISABLE TRIGGER USER; DELETE FROM events WHERE seq > {n - 3}",
    )
    assert done.returncode == 0, done.stderr
    code, out = verify()
    assert code == 1 and f"event {n}: missing, but checkpoint 1" in out, out


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def test_credentials_from_a_password_file(
    pg_location: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from urllib.parse import urlsplit

    parts = urlsplit(pg_location)
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"{parts.hostname}:{parts.port}:*:{parts.username}:{parts.password}\n")
    passfile.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    bare = pg_location.replace(f":{parts.password}@", "@")
    done = Cli(bare)("init")
    assert done.exit_code == 0, done.output
    passfile.write_text("")
    refused = Cli(bare)("alerts")
    assert refused.exit_code == 2 and "password" in refused.output.lower()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=200))
def test_a_keys_number_in_sql_is_the_one_python_gives(pg_ws: Workspace, key: str) -> None:
    # the number migration 17 gave every stored alert, and the one every new alert gets
    sql_number = KEY_HASH_SQL_PG.format("CAST(? AS TEXT)")
    assert pg_ws.conn.execute(f"SELECT {sql_number}", (key,)).fetchone()[0] == key_hash(key)
