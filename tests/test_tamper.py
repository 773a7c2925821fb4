"""Attacks on the workspace file, done the way an attacker would: the sqlite3 tool on the
file, triggers dropped. The chain catches edits, deletions, insertions and reordering; the
signed checkpoints catch truncation, rollback and a chain recomputed without the key."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from triage.commands import Commands
from triage.playbooks import PlaybookSet
from triage.store.chain import GENESIS, chain_hash
from triage.store.workspace import Workspace

from .conftest import Cli, make_alert

SQLITE3 = shutil.which("sqlite3")
pytestmark = pytest.mark.skipif(SQLITE3 is None, reason="the sqlite3 command-line tool is not installed")
DROP = "DROP TRIGGER IF EXISTS events_no_update; DROP TRIGGER IF EXISTS events_no_delete;"


def sql(db: Path, script: str) -> None:
    assert SQLITE3 is not None
    subprocess.run([SQLITE3, str(db)], input=script, text=True, check=True, capture_output=True)


class Lab:
    def __init__(self, tmp: Path, cli: Cli, playbooks: PlaybookSet) -> None:
        self.db = cli.db
        self.cli = cli
        self.key = tmp / "keys" / "anchor.key"
        self.anchors = tmp / "shipped" / "anchors.jsonl"
        self.playbooks = playbooks
        assert cli("init").exit_code == 0
        assert cli("keygen", "--signing-key", str(self.key)).exit_code == 0

    def history(self, n: int = 6) -> None:
        ws = Workspace.open(self.db)
        try:
            cmds = Commands(ws, self.playbooks, "alice")
            ids = cmds.ingest([make_alert() for _ in range(n)]).alert_ids
            for a in ids:
                cmds.acknowledge(a)
            cmds.close(ids[0], "true_positive", "confirmed by EDR", override="contained already")
        finally:
            ws.close()

    def anchor(self) -> None:
        result = self.cli("anchor", "--signing-key", str(self.key), "--anchor-file", str(self.anchors))
        assert result.exit_code == 0, result.output

    def verify(self) -> tuple[int, str]:
        result = self.cli(
            "verify", "--anchor-file", str(self.anchors), "--public-key", str(self.key) + ".pub"
        )
        return result.exit_code, result.stdout

    def max_seq(self) -> int:
        with sqlite3.connect(self.db) as conn:
            return int(conn.execute("SELECT max(seq) FROM events").fetchone()[0])


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """These attacks edit the file with the sqlite3 tool; the same attacks on PostgreSQL, with
    psql, are in tests/test_postgres.py."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("TRIAGE_CONFIG", raising=False)
    return Cli(tmp_path / "cli.db")


@pytest.fixture
def lab(tmp_path: Path, cli: Cli, playbooks: PlaybookSet) -> Lab:
    lab = Lab(tmp_path, cli, playbooks)
    lab.history()
    lab.anchor()
    return lab


def test_untouched_workspace_verifies(lab: Lab) -> None:
    code, out = lab.verify()
    assert code == 0, out
    n = lab.max_seq()
    assert f"VALID: {n} of {n} events valid; 1 of 1 checkpoints valid" in out


def test_edited_event_is_caught(lab: Lab) -> None:
    sql(lab.db, DROP + "UPDATE events SET body = replace(body, 'confirmed by EDR', 'benign') WHERE seq = 13;")
    code, out = lab.verify()
    assert code == 1
    assert "event 13: hash mismatch" in out
    assert "INVALID" in out


def test_deleted_event_is_caught(lab: Lab) -> None:
    sql(lab.db, DROP + "DELETE FROM events WHERE seq = 4;")
    code, out = lab.verify()
    assert code == 1
    assert "event 5: sequence gap: event 4 missing" in out
    assert "event 5: chain broken" in out


def test_inserted_event_is_caught(lab: Lab) -> None:
    # Shift events 5.. up by one and slip a well-formed, correctly hashed event in at 5.
    sql(
        lab.db,
        DROP
        + "UPDATE events SET seq = seq + 1000000 WHERE seq >= 5;"
        + "UPDATE events SET seq = seq - 999999 WHERE seq >= 1000000;",
    )
    with sqlite3.connect(lab.db) as conn:
        prev = conn.execute("SELECT hash FROM events WHERE seq = 4").fetchone()[0]
    body = (
        '{"action":"alert.noted","actor":"mallory","exercise":null,"payload":{"text":"all fine"},'
        '"seq":5,"target":"alert:1","ts":"2026-11-23T00:00:00.000000Z","v":1}'
    )
    sql(
        lab.db,
        f"INSERT INTO events VALUES (5, '2026-11-23T00:00:00.000000Z', 'alert.noted', 'alert:1', "
        f"'{body}', '{prev}', '{chain_hash(prev, body)}');",
    )
    code, out = lab.verify()
    assert code == 1
    assert "event 6: chain broken" in out
    assert "event 6: indexed columns disagree" in out


def test_reordered_events_are_caught(lab: Lab) -> None:
    sql(
        lab.db,
        DROP
        + "UPDATE events SET seq = -1 WHERE seq = 8;"
        + "UPDATE events SET seq = 8 WHERE seq = 9;"
        + "UPDATE events SET seq = 9 WHERE seq = -1;",
    )
    code, out = lab.verify()
    assert code == 1
    assert "event 8: chain broken" in out
    assert "event 9: chain broken" in out


def test_column_edited_without_body_is_caught(lab: Lab) -> None:
    sql(lab.db, DROP + "UPDATE events SET ts = '2020-01-01T00:00:00.000000Z' WHERE seq = 2;")
    code, out = lab.verify()
    assert code == 1
    assert "event 2: indexed columns disagree with the hashed event body" in out


def test_truncated_tail_is_caught_by_the_checkpoint(lab: Lab) -> None:
    n = lab.max_seq()
    sql(lab.db, DROP + f"DELETE FROM events WHERE seq > {n - 3};")
    code, out = lab.verify()
    assert code == 1
    assert f"event {n}: missing, but checkpoint 1" in out and "truncated or rolled back" in out


def test_rollback_to_an_older_copy_is_caught(lab: Lab, tmp_path: Path) -> None:
    old = tmp_path / "old-copy.db"
    sql(lab.db, f".backup '{old}'")
    lab.history(3)
    lab.anchor()  # checkpoint 2 is shipped off the host
    sql(lab.db, f".restore '{old}'")  # the attacker puts the old file back
    code, out = lab.verify()
    assert code == 1
    assert "missing, but checkpoint 2" in out


def test_chain_recomputed_from_scratch_without_the_key_is_caught(lab: Lab) -> None:
    # The attacker rewrites an event and recomputes every hash after it, drops the
    # workspace's checkpoints, and signs new ones with a key of their own.
    sql(lab.db, DROP + "DROP TRIGGER checkpoints_no_delete; DELETE FROM checkpoints;")
    with sqlite3.connect(lab.db) as conn:
        rows = conn.execute("SELECT seq, body FROM events ORDER BY seq").fetchall()
        prev = GENESIS
        for seq, body in rows:
            if seq == 13:
                body = body.replace("confirmed by EDR", "benign")
            digest = chain_hash(prev, body)
            conn.execute(
                "UPDATE events SET body = ?, prev_hash = ?, hash = ? WHERE seq = ?", (body, prev, digest, seq)
            )
            prev = digest
    rogue_key = lab.key.parent / "rogue.key"
    assert lab.cli("keygen", "--signing-key", str(rogue_key)).exit_code == 0
    rogue_anchors = lab.anchors.parent / "rogue.jsonl"
    assert (
        lab.cli("anchor", "--signing-key", str(rogue_key), "--anchor-file", str(rogue_anchors)).exit_code == 0
    )
    # Internally consistent again:
    code, out = (
        lab.cli("verify", "--anchor-file", str(rogue_anchors), "--public-key", f"{rogue_key}.pub").exit_code,
        "",
    )
    assert code == 0
    # ...but not against the shipped checkpoints and the team's key.
    code, out = lab.verify()
    assert code == 1
    assert "hash differs from checkpoint 1" in out and "rewritten" in out
    assert "signed by another key" in out


def test_forged_checkpoint_in_the_anchor_file_is_caught(lab: Lab) -> None:
    lines = lab.anchors.read_text().splitlines()
    lab.anchors.write_text(lines[0].replace('"seq":', '"seq":1', 1) + "\n")
    code, out = lab.verify()
    assert code == 1
    assert "bad signature" in out or "differs between" in out


def test_verify_without_a_trusted_key_does_not_pass_checkpoints(lab: Lab) -> None:
    (lab.key.parent / "anchor.key.pub").rename(lab.key.parent / "elsewhere.pub")
    result = lab.cli("verify", "--anchor-file", str(lab.anchors))
    assert result.exit_code == 1
    assert "could not be checked: no public key (give --public-key" in result.stdout
    assert "1 of 1 checkpoints valid" not in result.stdout  # an unchecked signature is not valid


def test_edited_projection_is_caught_by_rebuild_check_and_repaired(lab: Lab) -> None:
    sql(lab.db, "UPDATE alerts SET status = 'closed', disposition = 'false_positive' WHERE id = 2;")
    result = lab.cli("rebuild", "--check")
    assert result.exit_code == 1 and "DIFFERENT" in result.stdout
    assert lab.cli.json("show", "2")["alert"]["status"] == "closed"  # --check changed nothing
    assert lab.cli("rebuild").exit_code == 0
    assert lab.cli.json("show", "2")["alert"]["status"] == "acknowledged"
    assert lab.cli("rebuild", "--check").exit_code == 0
